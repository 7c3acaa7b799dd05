import CustosCore
import CustosStore
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The PostgreSQL implementation of the storage ports, for an archive larger than one machine's SQLite file or
/// served by several `custos serve` processes at once.
///
/// Every write transaction first takes one transaction-scoped advisory lock, so writes to the archive are
/// serialised in the database, across every node, as SQLite serialises them in its one file: the audit chain
/// is appended by one transaction at a time, whichever node runs it. Reads run in REPEATABLE READ, one snapshot
/// each, beside the writer.
public final class PostgresArchiveStore: ArchiveStore {
    /// The advisory lock every write transaction holds until it commits (the migrator's lock is another key).
    static let writeLockKey: Int64 = 0x6375_7374_6f73_0002

    private let endpoint: PostgresEndpoint
    /// NIO's process-wide loops: every store of the process shares them (a test process opens hundreds of stores),
    /// and the web server's loops are never among them, so a repository waiting on an answer cannot block the loop
    /// that brings it.
    private let group: MultiThreadedEventLoopGroup = .singleton
    private let logger: Logger
    private let idle: Mutex<[PostgresConnection]>
    private let slots: DispatchSemaphore
    private let nextID = Atomic<Int>(0)
    /// Writers of this process queue here rather than on the database's lock, each holding no connection while it
    /// waits; the lock also refuses a write started inside a write on the same thread, which would otherwise wait
    /// for itself forever.
    private let writerLock = ThreadOwnedLock()
    private let closed = Atomic<Bool>(false)
    private let poolTimeout: DispatchTimeInterval

    /// Connects to `endpoint` (the application role) and checks that the schema is the one `migrations` describes:
    /// a database that is behind or differs is refused, never migrated here (that is `custos migrate`'s work, as
    /// the owner role).
    public init(endpoint: PostgresEndpoint, migrations: URL, connections: Int = 8, poolTimeout: Double = 30,
                logger: Logger = Logger(label: "custos.postgres")) throws {
        self.endpoint = endpoint
        self.logger = logger
        idle = Mutex([])
        slots = DispatchSemaphore(value: max(1, connections))
        self.poolTimeout = .milliseconds(Int(poolTimeout * 1000))
        do {
            let migrator = try PostgresMigrator(directory: migrations)
            try withConnection { connection in
                try migrator.checkWaiting(connection, logger: logger)
            }
        } catch {
            try? close()
            throw error is PostgresMigrationError ? error : PostgresStoreError(error)
        }
    }

    deinit {
        // Not waited for: a store may be let go on any thread, an event loop's included. Each connection is kept
        // alive by its own completion handler until it has closed (postgres-nio requires that of a connection).
        for connection in idle.withLock({ $0 }) { connection.close().whenComplete { _ in withExtendedLifetime(connection) {} } }
    }

    public func write<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        let started = ContinuousClock.now
        return try writerLock.withLock {
            WriterWait.record(ContinuousClock.now - started)
            return try transaction("BEGIN ISOLATION LEVEL READ COMMITTED", lock: true) { try body(SQLUnitOfWork($0)) }
        }
    }

    public func read<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lock: false) { try body(SQLUnitOfWork($0)) }
    }

    public func appendAudit<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try write(body)
    }

    /// PostgreSQL's snapshots are cheap to take, so every read takes a new one.
    public func readRecent<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try read(body)
    }

    /// PostgreSQL keeps deleted row versions until VACUUM reclaims them, and its WAL and base backups longer; the
    /// application role may not vacuum. What was deleted is gone from every query at once; its bytes leave the
    /// data files with autovacuum and the WAL with its recycling (README: what holds on PostgreSQL).
    public func forgetDeleted() throws {}

    /// Closes every connection; nothing may use the store afterwards.
    public func close() throws {
        guard closed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let connections = idle.withLock { pool in defer { pool.removeAll() }; return pool }
        for connection in connections { try? connection.close().wait() }
    }

    /// Lends `body` one connection in autocommit mode, with the repositories' SQL interface, outside the archive's
    /// write lock: each statement commits (or fails) on its own. For tools and tests that act on the database as
    /// its owner would; the archive itself writes only through `write`.
    public func withAutocommitSQL<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try withConnection { connection in try body(PostgresSQLSession(connection: connection, logger: logger)) }
    }

    /// Lends `body` one write transaction under the archive's write lock with the repositories' SQL interface, for
    /// a tool signed in as the owner that must change the tables as a whole (`custos migrate-store`): it commits
    /// only if `body` returns, so a failure part-way leaves the database as it was.
    public func withOwnerTransaction<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        try transaction("BEGIN", lock: true, body)
    }

    /// Runs `body` in one transaction opened by `begin`; with `lock`, after taking the archive's write lock.
    private func transaction<T>(_ begin: String, lock: Bool, _ body: (PostgresSQLSession) throws -> T) throws -> T {
        try withConnection { connection in
            let session = PostgresSQLSession(connection: connection, logger: logger)
            try session.execute(begin)
            do {
                if lock { try session.execute("SELECT pg_advisory_xact_lock(\(Self.writeLockKey))") }
                let result = try body(session)
                try session.execute("COMMIT")
                return result
            } catch {
                if !connection.isClosed { try? session.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Lends one pooled connection to `body`, opening it if the pool holds none; a connection found closed (the
    /// server restarted, or dropped it) is replaced rather than lent.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard !closed.load(ordering: .relaxed) else { throw PostgresStoreError.pool("the store is closed") }
        guard slots.wait(timeout: .now() + poolTimeout) == .success else {
            throw PostgresStoreError.pool("no connection free after waiting; the pool is exhausted")
        }
        defer { slots.signal() }
        var connection = idle.withLock { $0.popLast() }
        if let c = connection, c.isClosed { connection = nil }
        let lent = try connection ?? open()
        do {
            let result = try body(lent)
            if !lent.isClosed { idle.withLock { $0.append(lent) } }
            return result
        } catch {
            // A connection in an unknown state (a failed ROLLBACK, a broken socket) is not lent again.
            if !lent.isClosed {
                if (try? lent.query("SELECT 1", logger: logger).wait()) != nil {
                    idle.withLock { $0.append(lent) }
                } else {
                    lent.close().whenComplete { _ in withExtendedLifetime(lent) {} }
                }
            }
            throw error
        }
    }

    private func open() throws -> PostgresConnection {
        let id = nextID.add(1, ordering: .relaxed).newValue
        do {
            return try PostgresConnection.connect(on: group.next(), configuration: endpoint.configuration, id: id, logger: logger).wait()
        } catch {
            throw PostgresStoreError(error)
        }
    }
}
