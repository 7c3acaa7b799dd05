import CSQLite
import Foundation
import Synchronization

/// The archive's SQLite database: one writer connection and a small pool of read-only readers (WAL).
///
/// WAL lets readers run while the writer commits; writes are serialised here rather than
/// left to fail with SQLITE_BUSY. The locks are not re-entrant: `write` inside `write` throws
/// SQLITE_MISUSE (use the connection you were handed), and so may `read` inside `read`.
public final class Database: Sendable {
    /// The database file.
    public let path: String
    private let writerLock = ThreadOwnedLock()
    private let writer: SQLiteConnection
    private let readers: [ReaderSlot]
    /// The pool from its end, the order `read` tries it in.
    private let readersFromEnd: [ReaderSlot]
    private let nextReader = Atomic<Int>(0)
    /// Counts the write transactions that may have changed what readers see: all but `appendOnlyWrite`s. A snapshot
    /// kept for `readRecent` is reused only while this is what it was when the snapshot began.
    private let dataVersion = Atomic<UInt64>(0)
    /// How long `readRecent` may reuse a snapshot (seconds).
    public let keptSnapshotLifetime: Double
    /// Checkpoints the WAL once it holds `checkpointFrames` frames; kept here as long as the writer.
    let checkpointer: BackgroundCheckpointer
    /// Set by `close`; every use after it throws instead of touching a closed connection.
    private let closed = Atomic<Bool>(false)

    /// Opens or creates the database and applies the connection settings every part of Custos relies on.
    public init(path: String, readers: Int = 4, checkpointFrames: Int = 32_000, keptSnapshotLifetime: Double = 0.2) throws {
        self.path = path
        self.keptSnapshotLifetime = keptSnapshotLifetime
        let writer = try SQLiteConnection(path: path)
        try writer.execute("PRAGMA busy_timeout = 5000")
        // Page size can only change before the first page is written (an existing archive keeps its own).
        // 8 KiB: ingest writes every page it dirties to the WAL, and inserts into the random-order indexes
        // (uid, participant and conversation tokens) dirty about one page each, so page size sets the write
        // volume per message. Inserting the same 800,000 messages into 4, 8 and 16 KiB databases in lockstep:
        // 3,782 / 3,726 / 3,371 msgs/s (the last 50,000: 3,145 / 3,049 / 2,564), files 3,863 / 3,368 / 3,201 MiB;
        // 8 KiB is nearly as fast as 4 KiB and keeps 2 KiB ciphertexts packed almost as well as 16 KiB.
        if try writer.queryOne("PRAGMA page_count")?.int(0) == 0 {
            try writer.execute("PRAGMA page_size = 8192")
        }
        let mode = try writer.queryOne("PRAGMA journal_mode = WAL")?.optionalText(0)
        guard mode?.lowercased() == "wal" else {
            throw SQLiteError.open(path: path, message: "could not switch to WAL journal mode (got \(mode ?? "nothing"))")
        }
        try writer.execute("""
            PRAGMA synchronous = NORMAL;
            PRAGMA foreign_keys = ON;
            PRAGMA secure_delete = ON;
            PRAGMA temp_store = MEMORY;
            """)
        // Ingest inserts into random-order indexes (uid, participant, domain and conversation tokens): with
        // SQLite's 2 MiB default a 1,000-message transaction spills dirty pages to the WAL and reads them back.
        // 64 MiB took ingest at 1 M from 1,645 to 2,593 msgs/s; with 8 KiB pages a 1,000-message transaction
        // dirties ~32 MiB, so 48 MiB still holds it and the hot upper levels of those indexes. It is a ceiling,
        // reached only by a writer that ingests: at 64 MiB the server ended a 1 M run with search load at 174
        // and 196 MiB resident, too close to the 200 MB budget.
        // A checkpoint copies each page changed since the last one back into the file once, so checkpointing
        // rarely saves writing hot index pages over and over: the same 800,000 messages in lockstep ran at
        // 3,291 / 3,610 / 3,967 msgs/s checkpointing every 8,000 / 32,000 / 100,000 pages. 32,000 pages is a
        // WAL of up to 256 MiB on disk (page cache, not this process's memory) and a checkpoint of a few seconds,
        // which `BackgroundCheckpointer` does mostly on a connection of its own, from a quarter of that on, so
        // the writer's own checkpoint at 32,000 pages finds little left to copy.
        try writer.execute("PRAGMA cache_size = -49152")
        checkpointer = BackgroundCheckpointer(path: path, threshold: max(1, checkpointFrames / 4), writerThreshold: checkpointFrames)
        writer.reportCommits(to: checkpointer)
        self.writer = writer
        // Readers open after the writer so the file and its WAL exist; read-only so a bug cannot write past the lock.
        // 16 MiB of cache each, a ceiling reached only by the readers `readRecent` keeps in use (the first ones of
        // the pool): with kept snapshots a reader's cache lives on from one search to the next, and SQLite's 2 MiB
        // default held less than the pages a dozen different result pages read (under load they were read again
        // from the file, 6 % of the server's CPU in the kernel's copying).
        self.readers = try (0..<max(1, readers)).map { _ in
            let reader = try SQLiteConnection(path: path, readOnly: true)
            try reader.execute("PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384")
            return ReaderSlot(reader)
        }
        readersFromEnd = self.readers.reversed()
    }

    /// Runs `body` on the writer inside BEGIN IMMEDIATE … COMMIT, rolling back if it throws; writes are serialised.
    @discardableResult
    public func write<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writeTransaction(appendOnly: false, body)
    }

    /// `write` for a transaction that only appends rows no `readRecent` caller reads (the audit log): snapshots kept
    /// for `readRecent` stay in use across it, their page caches warm. Each commit makes SQLite empty the page cache
    /// of every reader that begins a new transaction afterwards, so when every search is an audited write, every
    /// search otherwise began by reading its pages again from the file.
    @discardableResult
    public func appendOnlyWrite<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writeTransaction(appendOnly: true, body)
    }

    private func writeTransaction<T>(appendOnly: Bool, _ body: (SQLiteConnection) throws -> T) throws -> T {
        defer {
            // After a write no kept snapshot is reused (an append leaves them, unless the WAL must be checkpointed),
            // and free readers end the ones that cannot be reused now rather than at their next use, so none holds
            // the WAL back from being checkpointed and started again.
            if !appendOnly || !mayKeepSnapshots { dataVersion.add(1, ordering: .releasing) }
            releaseKeptSnapshots()
        }
        return try withWriterConnection { connection in
            try connection.transaction(immediate: true) { try body(connection) }
        }
    }

    /// A kept snapshot holds the WAL back: a checkpoint copies no frame past the oldest reader's snapshot, and the
    /// writer starts the WAL again only when no reader is on a snapshot in it. So snapshots are kept only while the
    /// WAL is under the writer's checkpoint threshold. (Keeping them only below the background checkpointer's lower
    /// threshold was tried: a steady stream of audited searches keeps readers on snapshots in the WAL at every
    /// moment, so the WAL started again only at the writer's threshold anyway, and snapshots were kept a fifth of
    /// the time.)
    private var mayKeepSnapshots: Bool { checkpointer.walFrames < checkpointer.writerThreshold }

    /// Runs `body` on a free reader connection inside one read transaction, so all its queries see one snapshot.
    /// Reads run concurrently with each other and with the writer.
    @discardableResult
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        // From the end of the pool, so the slots at its start keep their snapshots for `readRecent`.
        try withReader(order: readersFromEnd) { try $0.run(body) }
    }

    /// A read that may reuse the snapshot a reader connection kept from an earlier `readRecent`, and so its page
    /// cache: when no write but an `appendOnlyWrite` has committed in this process since it began, and it is less
    /// than `keptSnapshotLifetime` old. It sees every change but the appended rows of the last moments (and, for up
    /// to the lifetime, changes committed by another process). For pages that read no appended rows.
    @discardableResult
    public func readRecent<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        // Past the threshold this reads as `read` does until the WAL has started again.
        guard mayKeepSnapshots else { return try read(body) }
        let version = dataVersion.load(ordering: .acquiring)
        let now = ProcessInfo.processInfo.systemUptime
        // Slots with a snapshot still fresh first, then the rest from the start of the pool.
        let fresh = readers.map { $0.hasFreshSnapshot(version, now, keptSnapshotLifetime) }
        let order = readers.indices.filter { fresh[$0] }.map { readers[$0] } + readers.indices.filter { !fresh[$0] }.map { readers[$0] }
        return try withReader(order: order) { slot in
            // The WAL may have filled while `body` ran: then let this snapshot go now rather than at the next write.
            defer { if !mayKeepSnapshots { slot.endKept() } }
            return try slot.runKeeping(version: version, now: now, lifetime: keptSnapshotLifetime, body)
        }
    }

    /// The first free slot in `order`, else waiting for one (round-robin, so waiters spread over the pool).
    private func withReader<T>(order: [ReaderSlot], _ body: (ReaderSlot) throws -> T) throws -> T {
        for slot in order {
            if let result = try slot.lock.withLockIfAvailable({ try refuseIfClosed(); return try body(slot) }) { return result }
        }
        // All busy: wait for one, skipping any this thread already holds (a read nested in a read) because waiting
        // for it would never end.
        let start = Int(UInt(bitPattern: nextReader.add(1, ordering: .relaxed).oldValue) % UInt(order.count))
        guard let slot = (0..<order.count).map({ order[(start + $0) % order.count] }).first(where: { !$0.lock.isHeldByCurrentThread }) else {
            throw SQLiteError.step(code: SQLITE_MISUSE, message: "read nested in read has no free reader connection: "
                + "use the connection you were handed")
        }
        return try slot.lock.withLock { try refuseIfClosed(); return try body(slot) }
    }

    /// Ends the kept snapshots of free readers that could no longer be reused.
    private func releaseKeptSnapshots() {
        let version = dataVersion.load(ordering: .acquiring)
        let now = ProcessInfo.processInfo.systemUptime
        for slot in readers {
            _ = try? slot.lock.withLockIfAvailable {
                if !closed.load(ordering: .acquiring) { slot.releaseUnless(version, now, keptSnapshotLifetime) }
            }
        }
    }

    /// Raw writer access with no implicit transaction: the migrator, tests and maintenance such as VACUUM. Every way to
    /// the writer passes here, so here the wait for it is measured (`WriterWait`).
    @discardableResult
    public func withWriterConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let asked = ContinuousClock.now
        var waited: Duration?
        // Recorded after the lock is let go, so the critical section pays nothing for it.
        defer { if let waited { WriterWait.record(waited) } }
        return try writerLock.withLock {
            waited = ContinuousClock.now - asked
            try refuseIfClosed()
            return try body(writer)
        }
    }

    /// Closes the database for good: waits for the reads and the write in progress, closes the readers and the
    /// background checkpointer, copies the WAL back into the file and closes the writer last, so that SQLite
    /// removes the WAL (it stays if another process has the file open). Later calls throw; closing again does
    /// nothing. Dropping the last reference closes the connections too, but in no set order and only once every
    /// service holding the store has gone; a server stopping closes it here, at a moment it chooses.
    public func close() throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for slot in readers {
            try slot.lock.withLock {
                slot.endKept()
                slot.connection.close()
            }
        }
        checkpointer.close()
        try writerLock.withLock {
            defer { writer.close() }
            // Busy (another process reads an old snapshot) is answered in the row, not thrown: the WAL then stays.
            _ = try writer.queryOne("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// Whether `close` has run.
    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    private func refuseIfClosed() throws {
        guard !closed.load(ordering: .acquiring) else {
            throw SQLiteError.step(code: SQLITE_MISUSE, message: "the database \(path) is closed")
        }
    }
}

/// One reader connection and the lock that gives one caller at a time exclusive use of it.
private final class ReaderSlot: Sendable {
    let lock = ThreadOwnedLock()
    let connection: SQLiteConnection
    /// The read transaction left open by `runKeeping`: when it began and the data version then. Changed only with
    /// `lock` held; read without it only to choose a slot.
    private let kept = Mutex<(began: Double, version: UInt64)?>(nil)

    init(_ connection: SQLiteConnection) {
        self.connection = connection
    }

    func hasFreshSnapshot(_ version: UInt64, _ now: Double, _ lifetime: Double) -> Bool {
        kept.withLock { $0.map { $0.version == version && now - $0.began < lifetime } ?? false }
    }

    /// Runs `body` in a deferred transaction of its own; called with `lock` held.
    func run<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        endKept()
        return try connection.transaction(immediate: false) { try body(connection) }
    }

    /// Runs `body` in the kept transaction if it is still fresh, else in a new one left open afterwards; `lock` held.
    func runKeeping<T>(version: UInt64, now: Double, lifetime: Double, _ body: (SQLiteConnection) throws -> T) throws -> T {
        releaseUnless(version, now, lifetime)
        if kept.withLock({ $0 == nil }) {
            try connection.execute("BEGIN DEFERRED")
            kept.withLock { $0 = (now, version) }
        }
        do {
            return try body(connection)
        } catch {
            endKept()
            throw error
        }
    }

    /// Ends the kept transaction unless it is still fresh; `lock` held.
    func releaseUnless(_ version: UInt64, _ now: Double, _ lifetime: Double) {
        if !hasFreshSnapshot(version, now, lifetime) { endKept() }
    }

    func endKept() {
        guard kept.withLock({ $0.take() }) != nil else { return }
        // A read transaction has nothing to commit; should COMMIT fail, ROLLBACK ends it all the same.
        if (try? connection.execute("COMMIT")) == nil { try? connection.execute("ROLLBACK") }
    }
}
