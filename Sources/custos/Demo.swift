import ArgumentParser
import CustosCore
import CustosCrypto
import CustosWeb
import Foundation
import Hummingbird

/// `custos demo`: a fresh data directory with one ready demo user per role, then serve.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a fresh demo archive with one user per role and serve it.")

    @Option(help: "Data directory for the demo (default: a new temporary directory).") var data: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Also write the demo credentials as JSON to this file (mode 0600).") var credentials: String?

    func run() async throws {
        let dir = data ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("custos-demo-\(UUID().uuidString.prefix(8))")
        let (system, admin) = try await CustosSystem.initialize(dataDirectory: dir, resources: try Resources.locate(),
                                                                adminUsername: "setup-admin")
        // The set-up admin from `init` is disabled: demo users below are the ones to use.
        let actor = Actor.system("custos demo")
        try system.users.setDisabled(userID: admin.user.id, disabled: true, actor: actor)
        var users: [DemoUser] = []
        for (name, display, role) in Self.people {
            let password = Credentials.oneTimePassword()
            let totp = role.requiresTOTP ? TOTP.generateSecret() : nil
            _ = try await system.users.provisionReady(username: name, displayName: display, roles: [role], password: password,
                                                      totpSecret: totp, actor: actor)
            users.append(DemoUser(username: name, password: password, roles: [role.rawValue], totpSecret: totp.map(Base32.encode)))
        }
        let url = "http://\(host):\(port)"
        say("Custos demo archive in \(dir)\nOpen \(url) and sign in as one of these (passwords are new every run):\n")
        for u in users {
            say("  \(u.username.padding(toLength: 10, withPad: " ", startingAt: 0)) \(u.password)  role: \(u.roles.joined(separator: ","))"
                  + (u.totpSecret.map { "  TOTP key: \($0)" } ?? ""))
        }
        say("\nUsers with a TOTP key need a code: add the key to an authenticator app (or run `oathtool --totp -b KEY`).")
        if let credentials {
            let file = DemoCredentials(url: url, users: users)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            guard FileManager.default.createFile(atPath: credentials, contents: try encoder.encode(file),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("could not write \(credentials)")
            }
            say("Credentials written to \(credentials)")
        }
        let app = try await buildApplication(system: system, configuration: WebConfiguration(host: host, port: port))
        say("Serving on \(url) — press Ctrl-C to stop.")
        try await app.runService()
    }

    static let people: [(String, String, Role)] = [
        ("admin", "Ada Admin", .admin),
        ("auditor", "Aude Auditor", .auditor),
        ("legal", "Lena Legal", .legal),
        ("custodian", "Cato Custodian", .custodian),
        ("security", "Sam Security", .security),
    ]
}

struct DemoUser: Codable {
    var username: String
    var password: String
    var roles: [String]
    var totpSecret: String?

    enum CodingKeys: String, CodingKey {
        case username, password, roles
        case totpSecret = "totp_secret"
    }

    /// Writes `totp_secret` as null rather than leaving it out, so scripts can rely on the key.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(username, forKey: .username)
        try c.encode(password, forKey: .password)
        try c.encode(roles, forKey: .roles)
        try c.encode(totpSecret, forKey: .totpSecret)
    }
}

struct DemoCredentials: Codable {
    var url: String
    var users: [DemoUser]
}
