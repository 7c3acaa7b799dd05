import CustosCore
import Foundation

/// The SQLite implementation of the storage ports: one database file in the data directory,
/// migrated by the numbered files in Migrations/ before first use.
public final class SQLiteArchiveStore: ArchiveStore {
    public let database: Database

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String, migrations: URL) throws {
        database = try Database(path: path)
        let migrator = try Migrator(directory: migrations)
        _ = try migrator.migrate(database)
        // Refuses a database whose applied migrations differ from the files (edited or unknown ones).
        try migrator.check(database)
    }

    /// Runs `body` on one read-only snapshot of the database at `path`, for offline verification: nothing is written,
    /// and a database whose migrations are behind the files (or differ from them) is refused, not migrated.
    public static func readOnly<T>(path: String, migrations: URL, _ body: (any UnitOfWork) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw SQLiteError.open(path: path, message: "no such file") }
        let connection = try SQLiteConnection(path: path, readOnly: true)
        try Migrator(directory: migrations).check(connection: connection)
        try connection.execute("BEGIN")
        defer { try? connection.execute("ROLLBACK") }
        return try body(SQLiteUnitOfWork(connection))
    }

    public func write<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.write { conn in try body(SQLiteUnitOfWork(conn)) }
    }

    public func read<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.read { conn in try body(SQLiteUnitOfWork(conn)) }
    }

    public func appendAudit<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.appendOnlyWrite { conn in try body(SQLiteUnitOfWork(conn)) }
    }

    public func readRecent<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.readRecent { conn in try body(SQLiteUnitOfWork(conn)) }
    }

    /// Closes the database (see `Database.close`): a stopping server's last step.
    public func close() throws {
        try database.close()
    }

    /// Deleted rows were zeroed in their pages (`secure_delete`), but earlier versions of those pages
    /// can still sit in the WAL: copy the WAL back and truncate it to nothing.
    public func forgetDeleted() throws {
        // A reader in the middle of a snapshot holds the WAL; readers here are short, so wait a little.
        for attempt in 0..<50 {
            let done = try database.withWriterConnection { conn in try conn.queryOne("PRAGMA wal_checkpoint(TRUNCATE)")?.int(0) == 0 }
            if done { return }
            usleep(UInt32(min(20, attempt + 1)) * 1_000)
        }
        throw SQLiteError.busy
    }
}

/// The repositories bound to one connection inside one transaction.
final class SQLiteUnitOfWork: UnitOfWork {
    let users: any UserRepository
    let sessions: any SessionRepository
    let loginFailures: any LoginFailureRepository
    let audit: any AuditRepository
    let keys: any KeyRepository
    let ceremonies: any CeremonyRepository
    let captureTokens: any CaptureTokenRepository
    let messages: any MessageRepository
    let search: any SearchRepository
    let decryption: any DecryptionRepository
    let holds: any HoldRepository
    let retention: any RetentionRepository
    let devices: any CustodianDeviceRepository

    init(_ conn: SQLiteConnection) {
        search = SQLiteSearchRepository(db: conn)
        decryption = SQLiteDecryptionRepository(db: conn)
        holds = SQLiteHoldRepository(db: conn)
        retention = SQLiteRetentionRepository(db: conn)
        devices = SQLiteDeviceRepository(db: conn)
        keys = SQLiteKeyRepository(db: conn)
        ceremonies = SQLiteCeremonyRepository(db: conn)
        captureTokens = SQLiteCaptureTokenRepository(db: conn)
        messages = SQLiteMessageRepository(db: conn)
        users = SQLiteUserRepository(db: conn)
        sessions = SQLiteSessionRepository(db: conn)
        loginFailures = SQLiteLoginFailureRepository(db: conn)
        audit = SQLiteAuditRepository(db: conn)
    }
}
