import ArgumentParser
import CustosCore
import CustosWeb
import Foundation

/// `custos token …`: capture tokens for scripted set-up.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage capture tokens.", subcommands: [Create.self])

    /// `custos token create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a capture token; it is printed once and stored only as a hash.")
        @Option(help: "The data directory.") var data: String
        @Option(help: "A name for the system that captures with it.") var name: String
        @Flag(help: "Print {\"name\", \"token\"} as JSON.") var json = false

        func run() async throws {
            let system = try CustosSystem.open(dataDirectory: data, resources: try Resources.locate())
            let (record, secret) = try system.captureTokens.create(name: name, actor: .system("custos token create"))
            if json {
                say("{\"name\":\(CanonicalJSON.string(record.name)),\"token\":\(CanonicalJSON.string(secret))}")
            } else {
                say("Capture token \"\(record.name)\" (shown once):\n\(secret)\nUse it with: custos capture --token … (or CUSTOS_CAPTURE_TOKEN=…)")
            }
        }
    }
}

/// `custos custodian …`: a custodian's passphrase, for scripted set-up.
struct Custodian: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Key custodian set-up.", subcommands: [Passphrase.self])

    /// `custos custodian passphrase`: reads the passphrase from standard input, never from arguments.
    struct Passphrase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a custodian's passphrase, read from the first line of standard input (so it stays out of shell history).")
        @Option(help: "The data directory.") var data: String
        @Option(help: "The custodian's username.") var user: String

        func run() async throws {
            guard let passphrase = readLine(strippingNewline: true), !passphrase.isEmpty else {
                throw ValidationError("give the passphrase on standard input")
            }
            let system = try CustosSystem.open(dataDirectory: data, resources: try Resources.locate())
            guard let u = try system.users.all().first(where: { $0.username == user.lowercased() }) else {
                throw ValidationError("no user named \(user)")
            }
            let existing = try system.keyCeremony.candidates().first { $0.user.id == u.id }?.hasKey ?? false
            guard !existing else { throw ValidationError("\(user) already has a custodian key; change its passphrase in the web app") }
            try await system.keyCeremony.setPassphrase(user: u, passphrase: passphrase, confirm: passphrase, current: nil,
                                                       actor: Actor(userID: u.id, username: u.username, role: .custodian, client: "local"))
            say("Custodian key created for \(u.username).")
        }
    }
}

/// `custos keys …`: key ceremonies and epochs.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Archive key epochs.", subcommands: [Ceremony.self, List.self])

    /// `custos keys ceremony`.
    struct Ceremony: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a new key epoch: split a fresh archive key among custodians.")
        @Option(help: "The data directory.") var data: String
        @Option(help: "Comma-separated usernames of the custodians who receive shares.") var custodians: String
        @Option(help: "Approvals needed to decrypt (k ≥ 2).") var threshold: Int = 2

        func run() async throws {
            let system = try CustosSystem.open(dataDirectory: data, resources: try Resources.locate())
            let names = Set(custodians.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            let users = try system.users.all().filter { names.contains($0.username) }
            guard users.count == names.count else {
                throw ValidationError("unknown custodian(s): \(names.subtracting(users.map(\.username)).sorted().joined(separator: ", "))")
            }
            let epoch = try system.keyCeremony.startEpoch(custodianIDs: users.map(\.id), threshold: threshold,
                                                          actor: .system("custos keys ceremony"))
            say("Epoch \(epoch.epoch) is in force: \(epoch.threshold) of \(epoch.shareCount) custodians must approve each decryption.")
        }
    }

    /// `custos keys list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key epochs, newest first.")
        @Option(help: "The data directory.") var data: String

        func run() async throws {
            let system = try CustosSystem.open(dataDirectory: data, resources: try Resources.locate())
            let epochs = try system.keyCeremony.epochs()
            if epochs.isEmpty { say("No key epoch yet: run `custos keys ceremony`.") }
            for e in epochs { say("epoch \(e.epoch): \(e.threshold) of \(e.shareCount), created by \(e.createdBy)") }
        }
    }
}
