/// The one way to change state: a store transaction with an audit recorder, whose committed
/// head is anchored outside the database afterwards.
public struct Archive: Sendable {
    public let store: any ArchiveStore
    public let auditLog: AuditLog
    public let clock: any Clock

    public init(store: any ArchiveStore, auditLog: AuditLog, clock: any Clock) {
        self.store = store
        self.auditLog = auditLog
        self.clock = clock
    }

    /// Runs `body` in one write transaction. Audit entries appended through the transaction
    /// commit with the change; if one cannot be written the whole change rolls back (P7).
    public func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        var head: AuditEntry?
        var appended = 0
        let result = try store.write { uow in
            let tx = Transaction(uow: uow, log: auditLog)
            let value = try body(tx)
            head = tx.lastAppended
            appended = tx.appendedCount
            return value
        }
        if let head { auditLog.anchorCommitted(head) }
        ArchiveCounters.auditAppended(appended)
        return result
    }

    /// Read-only access.
    public func read<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try store.read(body)
    }

    /// Read-only access for pages that show no audit entries: it may see the archive as it was a fraction of a
    /// second ago in the audit log alone (`ArchiveStore.readRecent`), which lets a store keep readers fast across
    /// the audit entries that every search appends.
    public func readRecent<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try store.readRecent(body)
    }

    /// Appends one audit entry in a transaction of its own: for actions that change nothing else (a search, a view).
    @discardableResult
    public func record(_ draft: AuditDraft) throws -> AuditEntry {
        let entry = try store.appendAudit { uow in try auditLog.append(draft, in: uow) }
        auditLog.anchorCommitted(entry)
        ArchiveCounters.auditAppended(1)
        return entry
    }

    /// One write transaction in progress.
    public final class Transaction {
        public let uow: any UnitOfWork
        let log: AuditLog
        fileprivate(set) var lastAppended: AuditEntry?
        fileprivate(set) var appendedCount = 0

        init(uow: any UnitOfWork, log: AuditLog) {
            self.uow = uow
            self.log = log
        }

        /// Appends an audit entry in this transaction.
        @discardableResult
        public func record(_ draft: AuditDraft) throws -> AuditEntry {
            let entry = try log.append(draft, in: uow)
            lastAppended = entry
            appendedCount += 1
            return entry
        }
    }
}
