import CustosCrypto
import Foundation

/// Disposition: messages whose retention has ended and that no active legal hold covers lose their
/// envelope (ciphertext, ephemeral key, nonce) and any key material made for them, forgotten for good
/// (`ArchiveStore.forgetDeleted`) after the run. The index row stays as a tombstone with the
/// ciphertext hash, so search still shows the message and `custos verify` still accounts for it.
/// Each run and each disposal is audited; the schema refuses a disposal a hold forbids (P5).
public struct DispositionService: Sendable {
    let archive: Archive

    public init(archive: Archive) {
        self.archive = archive
    }

    /// Messages handled per transaction.
    public static let batchSize = 500

    /// What a run found and did.
    public struct Report: Sendable {
        public var runID: Int64
        public var dryRun: Bool
        /// Past retention and not disposed before this run.
        public var due: Int
        /// Of those, kept because an active hold covers them.
        public var held: Int
        public var disposed: Int
        /// Of those, kept because the message's row no longer agrees with what its audited ingest record sealed: its
        /// sent time, class or participants may have been moved out of a hold's scope behind the triggers.
        public var refused: Int = 0
        /// Why, per refused message (at most `listLimit`).
        public var problems: [String] = []
        /// What went (or, in a dry run, would go), at most `listLimit`.
        public var listed: [DueMessage]
    }

    /// Runs disposition now. A dry run changes nothing but its own record and audit entry, and lists what
    /// would go. `progress` is told the number handled so far after each batch.
    public func run(dryRun: Bool, actor: Actor, listLimit: Int = .max,
                    progress: (@Sendable (_ handled: Int) -> Void)? = nil) throws -> Report {
        let now = archive.clock.now()
        let runID = try archive.transaction { tx in try tx.uow.retention.startRun(dryRun: dryRun, actor: actor.username, at: now) }
        var report = Report(runID: runID, dryRun: dryRun, due: 0, held: 0, disposed: 0, listed: [])
        let (policies, minimum) = try archive.read { (try $0.retention.policies(), try $0.retention.minimumDays()) }
        // Nothing goes before the archive's minimum since its capture, whatever its class (the schema holds this too).
        let capturedBefore = now - Int64(minimum) * 86_400
        for policy in policies {
            let cutoff = now - Int64(policy.periodDays) * 86_400
            var cursor: SearchCursor?
            while true {
                let (page, refused): ([DueMessage], [Int64: String]) = try archive.transaction { tx in
                    let page = try tx.uow.retention.due(className: policy.name, cutoff: cutoff, capturedBefore: capturedBefore,
                                                         after: cursor, limit: Self.batchSize)
                    // Checked in the transaction that disposes, so nothing can change between the check and the delete.
                    var integrity = MessageIntegrity()
                    var refused: [Int64: String] = [:]
                    for m in page where !m.held {
                        guard let problem = try integrity.problem(messageID: m.id, in: tx.uow) else { continue }
                        refused[m.id] = problem
                        try tx.record(actor.draft(.messageIntegrityFailed, target: "message:\(m.id)",
                                                  details: ["refused": "disposition", "run": "\(runID)", "problem": problem]))
                    }
                    guard !dryRun else { return (page, refused) }
                    for m in page where !m.held && refused[m.id] == nil {
                        let keys = try tx.uow.retention.dispose(messageID: m.id, runID: runID, at: now)
                        var details = ["class": m.retentionClass, "run": "\(runID)", "sent_at": ISO8601.format(m.sentAt)]
                        if keys > 0 { details["key_rows_deleted"] = "\(keys)" }
                        try tx.record(actor.draft(.messageDisposed, target: "message:\(m.id)", details: details))
                    }
                    return (page, refused)
                }
                guard let last = page.last else { break }
                cursor = SearchCursor(sentAt: last.sentAt, id: last.id)
                report.due += page.count
                report.held += page.filter(\.held).count
                report.refused += refused.count
                report.problems += refused.keys.sorted().prefix(max(0, listLimit - report.problems.count)).compactMap { refused[$0] }
                let going = page.filter { !$0.held && refused[$0.id] == nil }
                if !dryRun { report.disposed += going.count }
                if report.listed.count < listLimit { report.listed += going.prefix(listLimit - report.listed.count) }
                progress?(report.due)
            }
        }
        let finished = archive.clock.now()
        try archive.transaction { tx in
            try tx.uow.retention.finishRun(id: runID, due: report.due, held: report.held, disposed: report.disposed, at: finished)
            var details = ["dry_run": dryRun ? "yes" : "no", "due": "\(report.due)", "held": "\(report.held)",
                           "disposed": "\(report.disposed)",
                           "would_dispose": dryRun ? "\(report.due - report.held - report.refused)" : "0"]
            if report.refused > 0 { details["refused_integrity"] = "\(report.refused)" }
            try tx.record(actor.draft(.dispositionRun, target: "retention-run:\(runID)", details: details))
        }
        if report.disposed > 0 { try archive.store.forgetDeleted() }
        return report
    }

    /// When the last real (not dry) run started, if any.
    public func lastRun() throws -> DispositionRunRecord? {
        try archive.read { try $0.retention.runs(limit: 50).first { !$0.dryRun } }
    }
}
