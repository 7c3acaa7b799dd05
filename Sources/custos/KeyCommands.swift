import ArgumentParser
import CustosCore
import CustosCrypto
import CustosRuntime
import Foundation

/// `custos token …`: capture tokens for scripted set-up.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage capture tokens.", subcommands: [Create.self])

    /// `custos token create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a capture token; it is printed once and stored only as a hash.")
        @Option(help: "The data directory.") var data: String
        @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
        @Option(help: "A name for the system that captures with it.") var name: String
        @Flag(help: "Print {\"name\", \"token\"} as JSON.") var json = false

        func run() async throws {
            let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate())
            let (record, secret) = try system.captureTokens.create(name: name, actor: .system("custos token create"))
            if json {
                say("{\"name\":\(CanonicalJSON.string(record.name)),\"token\":\(CanonicalJSON.string(secret))}")
            } else {
                say("Capture token \"\(record.name)\" (shown once):\n\(secret)\nUse it with: custos capture --token … (or CUSTOS_CAPTURE_TOKEN=…)")
            }
        }
    }
}

/// `custos keys …`: an administrator proposes ceremonies; the custodians' devices carry them out.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Archive key epochs and ceremonies.",
                                                    subcommands: [Propose.self, Redistribute.self, Cancel.self, List.self])

    /// What `propose` and `redistribute` share: who will hold the key, and how many must approve.
    struct Proposal: ParsableArguments {
        @Option(help: "The data directory.") var data: String
        @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
        @Option(help: "Comma-separated usernames of the custodians who will hold the key.") var custodians: String
        @Option(help: "Approvals needed to decrypt (k ≥ 2).") var threshold: Int = 2

        /// Proposes a ceremony of `kind` over the named custodians.
        func propose(_ kind: CeremonySetup.Kind, command: String) throws -> CeremonyRecord {
            let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate())
            let wanted = Set(custodians.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
            let users = try system.users.all().filter { wanted.contains($0.username) }
            guard users.count == wanted.count else {
                throw ValidationError("unknown custodian(s): \(wanted.subtracting(users.map(\.username)).sorted().joined(separator: ", "))")
            }
            return try system.ceremonies.propose(kind: kind, custodianIDs: users.map(\.id), threshold: threshold, actor: .system(command))
        }
    }

    /// `custos keys propose`.
    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose a ceremony for a new archive key; each named custodian then runs `custos custodian ceremony`.")
        @OptionGroup var proposal: Keys.Proposal

        func run() async throws {
            let c = try proposal.propose(.newKey, command: "custos keys propose")
            say("Ceremony \(c.id) proposed for epoch \(c.epoch). Each custodian now runs on their own device:\n"
                + "  custos custodian ceremony --server URL --key custodian.key")
        }
    }

    /// `custos keys redistribute`.
    struct Redistribute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose handing the current archive key to a new set of custodians (turnover); k holders of it deal their shares.")
        @OptionGroup var proposal: Keys.Proposal

        func run() async throws {
            let c = try proposal.propose(.redistribution, command: "custos keys redistribute")
            say("Ceremony \(c.id) proposed: epoch \(c.epoch) redistributes epoch \(c.previousEpoch ?? 0)'s key. The current custodians "
                + "and the new ones each run `custos custodian ceremony --server URL --key custodian.key`.")
        }
    }

    /// `custos keys cancel`.
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel the ceremony in progress.")
        @Option(help: "The data directory.") var data: String
        @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?

        func run() async throws {
            let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate())
            guard let open = try system.ceremonies.openSnapshot() else { throw ValidationError("no ceremony is in progress") }
            try system.ceremonies.cancel(id: open.record.id, actor: .system("custos keys cancel"))
            say("Ceremony \(open.record.id) cancelled.")
        }
    }

    /// `custos keys list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key epochs (newest first), the trust root and any ceremony in progress.")
        @Option(help: "The data directory.") var data: String
        @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?

        func run() async throws {
            let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate())
            let (chain, problem) = try system.ceremonies.verifiedPrefix()
            if chain.isEmpty { say("No key epoch yet: propose a ceremony with `custos keys propose`.") }
            if let first = chain.first { say("trust root: \(Hex.encode(first.transcript.hash))") }
            for e in chain.reversed() {
                say("epoch \(e.epoch): \(e.record.kind), \(e.record.threshold) of \(e.record.shareCount), transcript \(Hex.encode(e.transcript.hash))")
            }
            if let problem { say("NOT VERIFIED: \(problem)") }
            if let open = try system.ceremonies.openSnapshot() {
                say("ceremony \(open.record.id) in progress for epoch \(open.record.epoch): \(open.phase.title); waiting for \(open.waitingFor.joined(separator: ", "))")
            }
        }
    }
}
