import CustosPostgres
import CustosRuntime
import Foundation

/// The engine the archive tests run on: SQLite unless `CUSTOS_TEST_ENGINE=postgres`, when each test archive gets a
/// fresh database on this process's PostgreSQL test server, migrated by the owner role and opened as the
/// application role, exactly as `custos migrate` and `custos serve --database` would. `make test` runs the
/// store, web, holds, decryption and audit suites both ways.
public enum TestDatabase {
    public static var engine: String { ProcessInfo.processInfo.environment["CUSTOS_TEST_ENGINE"] ?? "sqlite" }
    public static var isPostgres: Bool { engine == "postgres" }
    /// For tests that reach into the SQLite file itself (its pages, WAL or triggers): they run on SQLite only.
    public static var isSQLite: Bool { !isPostgres }

    /// A new, empty database for one test archive.
    public static func make(resources: Resources) async throws -> ArchiveDatabase {
        guard isPostgres else { return .sqlite }
        let server = try await TestPostgresServer.shared.value
        let name = try await server.makeDatabase()
        let migrator = try PostgresMigrator(directory: resources.postgresMigrations)
        _ = try await server.endpoint(database: name, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) {
            try await migrator.migrate($0, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
        }
        return .postgres(server.endpoint(database: name, role: TestPostgresServer.applicationRole))
    }
}
