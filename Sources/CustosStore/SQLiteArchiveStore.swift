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
        try readOnlySQL(path: path, migrations: migrations) { try body(SQLUnitOfWork($0)) }
    }

    /// The same read-only snapshot as `readOnly`, lent as plain SQL: for copying the tables out as they are.
    public static func readOnlySQL<T>(path: String, migrations: URL, _ body: (any SQLDatabase) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw SQLiteError.open(path: path, message: "no such file") }
        let connection = try SQLiteConnection(path: path, readOnly: true)
        try Migrator(directory: migrations).check(connection: connection)
        try connection.execute("BEGIN")
        defer { try? connection.execute("ROLLBACK") }
        return try body(connection)
    }

    public func write<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.write { conn in try body(SQLUnitOfWork(conn)) }
    }

    public func read<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.read { conn in try body(SQLUnitOfWork(conn)) }
    }

    public func appendAudit<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.appendOnlyWrite { conn in try body(SQLUnitOfWork(conn)) }
    }

    public func readRecent<T>(_ body: (any UnitOfWork) throws -> T) throws -> T {
        try database.readRecent { conn in try body(SQLUnitOfWork(conn)) }
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
