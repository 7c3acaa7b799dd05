import CustosPostgres
import CustosStore
import CustosRuntime
import Foundation
import Synchronization

/// The engine the archive tests run on: SQLite unless `CUSTOS_TEST_ENGINE=postgres`, when each test archive gets a
/// fresh database on this process's PostgreSQL test server, migrated by the owner role and opened as the
/// application role, exactly as `custos migrate` and `custos serve --database` would. `make test` runs the
/// store, web, holds, decryption and audit suites both ways.
public enum TestDatabase {
    public static var engine: String { ProcessInfo.processInfo.environment["CUSTOS_TEST_ENGINE"] ?? "sqlite" }
    public static var isPostgres: Bool { engine == "postgres" }
    /// For tests that reach into the SQLite file itself (its pages, WAL or triggers): they run on SQLite only.
    public static var isSQLite: Bool { !isPostgres }

    /// The owner role's password on this process's test server, once one has started.
    static let ownerPassword = Mutex<String?>(nil)

    /// A new, empty database for one test archive.
    public static func make(resources: Resources) async throws -> ArchiveDatabase {
        guard isPostgres else { return .sqlite }
        let server = try await TestPostgresServer.shared.value
        ownerPassword.withLock { $0 = server.passwords[TestPostgresServer.ownerRole] }
        let name = try await server.makeDatabase()
        let migrator = try PostgresMigrator(directory: resources.postgresMigrations)
        do {
            _ = try await server.endpoint(database: name, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) {
                try await migrator.migrate($0, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
            }
        } catch let error as PostgresMigrationError {
            throw error
        } catch {
            throw TestServerError("migrating \(name): \(serverReason(error))")
        }
        return .postgres(server.endpoint(database: name, role: TestPostgresServer.applicationRole))
    }
}

extension CustosSystem {
    /// The SQLite database itself, for tests that reach into its file (raw edits as a database thief would make,
    /// its pages, its triggers); on PostgreSQL it throws, so such a test fails with this reason rather than
    /// crashing the run. Tests written this way are marked `.enabled(if: TestDatabase.isSQLite)`.
    public func sqliteDatabase() throws -> Database {
        guard let sqlite else { throw TestServerError("this test reads the SQLite file; it does not apply to PostgreSQL") }
        return sqlite.database
    }
}

extension CustosSystem {
    /// Lends `body` the archive's database as someone with the database's own credentials would reach it, outside
    /// Custos: SQLite's writer connection, or on PostgreSQL a connection signed in as the owner role (the role
    /// `custos migrate` uses: more than the server's own role may do). Each statement commits on its own. The raw
    /// edits of a database thief or a rogue DBA are made here, so their tests hold on both engines.
    public func withRawDatabase<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        switch database {
        case .sqlite:
            return try sqliteDatabase().withWriterConnection { try body($0) }
        case .postgres(let endpoint):
            guard let password = TestDatabase.ownerPassword.withLock({ $0 }) else {
                throw TestServerError("no PostgreSQL test server was started")
            }
            let owner = endpoint.signedIn(as: TestPostgresServer.ownerRole, password: password)
            let store = try PostgresArchiveStore(endpoint: owner, migrations: resources.postgresMigrations, connections: 1)
            defer { try? store.close() }
            return try store.withAutocommitSQL(body)
        }
    }
}

extension SQLDatabase {
    /// Takes the named triggers out of the way, as someone with the database's own credentials can: SQLite's are
    /// dropped; PostgreSQL's (same names) are disabled on their tables, which the owner role may do.
    public func dropTriggers(_ names: String...) throws {
        for name in names {
            switch dialect {
            case .sqlite:
                try execute("DROP TRIGGER IF EXISTS \(name)")
            case .postgres:
                for row in try query("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = ?", name) {
                    try execute("ALTER TABLE \(try row.text(0)) DISABLE TRIGGER \(name)")
                }
            }
        }
    }
}
