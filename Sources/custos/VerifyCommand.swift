import ArgumentParser
import CustosCore
import CustosRuntime
import Foundation

/// `custos verify`: offline verification of the audit chain and its signatures.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the audit log and the archive offline; exit 0 only if everything holds.",
        discussion: "Needs no secret key (signatures are checked against keys/audit-signing.pub) and never writes to the data directory.")

    @Option(help: "The data directory.") var data: String

    @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
    @Option(help: "A copy of an earlier audit-head.json kept outside the server; the log must still contain that signed head (repeatable).")
    var anchor: [String] = []
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        // Offline: read-only, and with the public key only, so an evidence copy without the secret keys verifies too.
        let (report, archive) = try CustosSystem.verifyOffline(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate(), anchorFiles: anchor)
        let ok = report.ok && archive?.ok == true
        let failure = report.failure ?? archive?.failure
        if json {
            var fields = ["\"ok\":\(ok)", "\"entries\":\(report.entries)", "\"checkpoints\":\(report.checkpoints)",
                          "\"messages\":\(archive?.messages ?? 0)", "\"unsealed\":\(archive?.unsealed ?? 0)"]
            if let seq = report.failedSeq { fields.append("\"failed_seq\":\(seq)") }
            if let failure { fields.append("\"failure\":\(CanonicalJSON.string(failure))") }
            say("{\(fields.joined(separator: ","))}")
        } else if ok {
            say("OK: \(report.entries) audit entries chain correctly; \(report.checkpoints) signed checkpoints and the signed head verify; "
                + "\(archive?.messages ?? 0) archived messages match their hashes, seals and ingest records.")
            if let unsealed = archive?.unsealed, unsealed > 0 {
                say("Note: \(unsealed) of them were stored before seals (migration 0013): their ingest records cover id, uid and "
                    + "ciphertext only, so an edit of their index fields or envelope parts would not be found.")
            }
        } else {
            say("FAILED: \(failure ?? "unknown failure")")
        }
        if !ok { throw ExitCode(1) }
    }
}
