import ArgumentParser
import CustosCore
import CustosRuntime
import Foundation

/// `custos retention …`: disposition from the command line.
struct Retention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Retention and disposition.", subcommands: [RetentionRun.self])
}

/// `custos retention run --data DIR [--dry-run]`: disposes of messages past retention that no active legal
/// hold covers, or lists them. Runs beside a serving instance safely (SQLite serialises the writes).
struct RetentionRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Dispose of messages whose retention has ended and that no active legal hold covers.",
        discussion: """
            Each disposal deletes the message's envelope (ciphertext, ephemeral key, nonce) and any key material made \
            for it, keeps a tombstone (metadata and ciphertext hash) and is recorded in the audit log, as is the run. \
            With --dry-run nothing is disposed of: every message that would go is listed. The summary comes last, as \
            one line: `disposed N, held N, due N` (or `would dispose N, held N, due N`), with `, refused N` when messages were \
            kept because their rows disagree with their audited ingest records (then the exit status is 1).
            """)

    @Option(help: "The data directory.") var data: String

    @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
    @Flag(help: "List what would be disposed of; change nothing.") var dryRun = false

    func run() async throws {
        let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate(), clock: ServerClock.make())
        let interactive = isatty(STDERR_FILENO) == 1
        let report = try system.disposition.run(dryRun: dryRun, actor: .system("custos retention run")) { handled in
            if interactive { FileHandle.standardError.write(Data("\rexamined \(handled) messages past retention…".utf8)) }
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let verb = dryRun ? "would dispose" : "disposed"
        for m in report.listed {
            say("\(verb)\t\(m.id)\t\(ISO8601.format(m.sentAt))\t\(m.platform)\t\(m.retentionClass)")
        }
        for problem in report.problems { say("refused\t\(problem)") }
        let going = dryRun ? report.due - report.held - report.refused : report.disposed
        say("\(verb) \(going), held \(report.held), due \(report.due)" + (report.refused > 0 ? ", refused \(report.refused)" : ""))
        if report.refused > 0 {
            // Kept, and audited as message.integrity_failed: a row edited behind the triggers is a security incident.
            FileHandle.standardError.write(Data("""
                \(report.refused) message(s) were kept because their index rows no longer match their audited ingest \
                records. Run `custos verify --data \(data)` and treat this as an incident.\n
                """.utf8))
            throw ExitCode(1)
        }
    }
}
