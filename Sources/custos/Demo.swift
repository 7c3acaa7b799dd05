import ArgumentParser
import CustosCapture
import CustosCaptureClient
import CustosCore
import CustosCrypto
import CustosRuntime
import CustosWeb
import Foundation
import ServiceLifecycle

/// `custos demo`: a fresh archive with one ready user per role, three key custodians whose key files live in
/// the demo directory, a 2-of-3 key made by their devices through the real ceremony over HTTP, a sample corpus
/// captured through the real client path (verify the chain from the trust root, parse, seal, upload), then serve.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a fresh demo archive with sample data and serve it.")

    @Option(help: "Data directory for the demo (default: a new temporary directory).") var data: String?

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Also write the demo credentials as JSON to this file (mode 0600).") var credentials: String?
    @Flag(help: "Skip capturing the sample corpus.") var noSample = false
    @Option(help: ArgumentHelp("An empty PostgreSQL database for the demo's archive (the keys stay in the data directory). "
                               + "When the URL's role owns the database, the demo migrates it and serves as that role; "
                               + "otherwise run `custos migrate` first. Without it, the SQLite file in the data directory.",
                               valueName: "url"))
    var database: String?

    func run() async throws {
        let dir = data ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("custos-demo-\(UUID().uuidString.prefix(8))")
        let resources = try Resources.locate()
        let archiveDatabase = try ArchiveDatabase(option: database)
        if let database {
            if let applied = try await PostgresSchema.migrateIfOwner(url: database, resources: resources) {
                say("Demo database \(archiveDatabase.displayName): \(applied.isEmpty ? "schema current" : "applied \(applied.joined(separator: ", "))"). "
                    + "The demo serves as the database's owner; a real deployment serves as an application role "
                    + "(custos migrate --application-role).")
            }
        }
        let (system, setupAdmin) = try await CustosSystem.initialize(dataDirectory: dir, database: archiveDatabase, resources: resources,
                                                                     adminUsername: "setup-admin", clock: ServerClock.make())
        let actor = Actor.system("custos demo")
        // The set-up admin from `init` is disabled: the demo users below are the ones to use.
        try system.users.setDisabled(userID: setupAdmin.user.id, disabled: true, actor: actor)
        var users: [DemoUser] = []
        var custodians: [DemoCustodian] = []
        var custodianUsers: [User] = []
        let keyDirectory = (dir as NSString).appendingPathComponent("custodians")
        try FileManager.default.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, display, role) in Self.people {
            let password = Credentials.oneTimePassword()
            let totp = role.requiresTOTP ? TOTP.generateSecret() : nil
            let user = try await system.users.provisionReady(username: name, displayName: display, roles: [role], password: password,
                                                             totpSecret: totp, actor: actor)
            users.append(DemoUser(username: name, password: password, roles: [role.rawValue], totpSecret: totp.map(Base32.encode)))
            if role == .custodian {
                // On a real deployment each custodian runs `custos custodian init` on their own machine.
                let passphrase = "custodian " + Credentials.oneTimePassword()
                let keyFile = (keyDirectory as NSString).appendingPathComponent("\(name).key")
                try KeyFileStore.write(try CustodianKeyFile.create(passphrase: passphrase), to: keyFile, creating: true)
                custodians.append(DemoCustodian(username: name, password: password, passphrase: passphrase,
                                                totpSecret: totp.map(Base32.encode) ?? "", keyFile: keyFile))
                custodianUsers.append(user)
            }
        }
        // The sample corpus was sent in 2000–2002: keep it 30 years, so the daily disposition leaves the demo whole.
        // A 3-year class for chat shows how rules assign classes (no rule uses it, so nothing is disposed of).
        try system.retention.setPeriod(name: "default", periodDays: 10_958,
                                       description: "Demo: 30 years, so the 2000–2002 sample stays.", actor: actor)
        try system.retention.createClass(name: "chat-3y", periodDays: try RetentionService.days(amount: "3", unit: "years"),
                                         description: "SEC 17a-4(b)(4): 3 years. Assign it with a rule.", actor: actor)
        let (_, token) = try system.captureTokens.create(name: "demo capture", actor: actor)
        let url = "http://\(host):\(port)"

        let app = try await buildApplication(system: system, configuration: WebConfiguration(host: host, port: port))
        // The rest of the set-up talks to the served application, so it runs in the same group, after it (and so is
        // stopped before it); once done it stays until the group stops, and its failure stops the demo.
        let setUp = ClosureService { [self, users, custodians, custodianUsers] in
            do {
                try await cancelWhenGracefulShutdown {
                    let root = try await DemoCeremony(system: system, server: url, custodians: custodians, users: custodianUsers).run()
                    try writeCredentials(DemoCredentials(url: url, users: users, custodians: custodians, captureToken: token, archiveTrust: root))
                    if !noSample {
                        try await captureSample(resources: resources, server: url, token: token,
                                                trust: ArchiveTrust(root: root, statePath: (dir as NSString).appendingPathComponent("capture-trust.json")))
                    }
                    printWelcome(dir: dir, url: url, users: users, custodians: custodians, root: root)
                }
            } catch where Task.isShuttingDownGracefully {
                return  // stopped (Ctrl-C) during set-up: not a failure
            }
            try? await gracefulShutdown()
        }
        try await system.serve([app, setUp])
    }

    /// Captures the shipped sample corpus exactly as `custos capture` would.
    private func captureSample(resources: Resources, server: String, token: String, trust: ArchiveTrust) async throws {
        let corpus = resources.root.appendingPathComponent("Demo/corpus")
        for (format, path) in [(CaptureFormat.maildir, "enron"), (.slack, "slack/testarchive.zip")] {
            let target = corpus.appendingPathComponent(path).path
            guard FileManager.default.fileExists(atPath: target) else { continue }
            let uploader = try CaptureUploader(server: server, token: token, trust: trust)
            let summary = try await uploader.run(try CaptureReader(format: format, paths: [target]))
            say("Sample \(format.rawValue) (\(path)): \(summary.line)")
        }
    }

    private func writeCredentials(_ file: DemoCredentials) throws {
        guard let credentials else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard FileManager.default.createFile(atPath: credentials, contents: try encoder.encode(file),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("could not write \(credentials)")
        }
    }

    private func printWelcome(dir: String, url: String, users: [DemoUser], custodians: [DemoCustodian], root: String) {
        say("\nCustos demo archive in \(dir)\(database == nil ? "" : " (its database: \((try? ArchiveDatabase(option: database))?.displayName ?? "?"))")\nOpen \(url) and sign in as one of these (passwords are new every run):\n")
        for u in users {
            say("  \(u.username.padding(toLength: 11, withPad: " ", startingAt: 0)) \(u.password)  role: \(u.roles.joined(separator: ","))"
                + (u.totpSecret.map { "  TOTP key: \($0)" } ?? ""))
        }
        say("\nArchive trust root (capture clients pin it: custos capture --trust …):\n  \(root)")
        say("\nKey custodians hold their shares in key files on their own devices (here, for the demo, in \(dir)/custodians).")
        say("They approve a decryption request on that device, never in the browser:")
        for c in custodians {
            say("  CUSTOS_KEY_PASSPHRASE='\(c.passphrase)' \(CommandLine.arguments[0]) custodian approve --server \(url) --key \(c.keyFile) REQUEST")
        }
        say("\nUsers with a TOTP key need a code: add the key to an authenticator app (or run `oathtool --totp -b KEY`).")
        if let credentials { say("Credentials written to \(credentials)") }
        say("Serving on \(url) — press Ctrl-C to stop.")
    }

    static let people: [(String, String, Role)] = [
        ("admin", "Ada Admin", .admin),
        ("auditor", "Aude Auditor", .auditor),
        // A second auditor, for second-level review of what the first escalates.
        ("auditor2", "Aubrey Auditor", .auditor),
        ("legal", "Lena Legal", .legal),
        ("custodian", "Cato Custodian", .custodian),
        ("custodian2", "Cleo Custodian", .custodian),
        ("custodian3", "Cyrus Custodian", .custodian),
        ("security", "Sam Security", .security),
    ]
}
