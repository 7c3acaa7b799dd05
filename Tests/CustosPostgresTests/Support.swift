import CustosPostgres
import CustosTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// The repository's MigrationsPostgres/ folder, found from this file's path.
let repositoryMigrations = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("MigrationsPostgres")

/// A fresh database on the test server, migrated with `migrator` (the repository's files by default) as the
/// owner role; the migrations that were applied come back with it.
func migratedDatabase(
    _ migrator: PostgresMigrator? = nil
) async throws -> (server: TestPostgresServer, database: String, applied: [PostgresMigration]) {
    let server = try await TestPostgresServer.shared.value
    let database = try await server.makeDatabase()
    let migrator = try migrator ?? PostgresMigrator(directory: repositoryMigrations)
    let applied = try await server.endpoint(database: database, role: TestPostgresServer.ownerRole)
        .withConnection(logger: server.logger) { connection in
            try await migrator.migrate(connection, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
        }
    return (server, database, applied)
}

/// Runs one statement and returns the server's reason for refusing it, or nil when it succeeded.
func refusal(_ sql: String, on connection: PostgresConnection, logger: Logger) async -> String? {
    do {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        return nil
    } catch {
        return serverReason(error)
    }
}

/// This process's scratch folder for migration files, removed when the process exits.
private let scratchRoot: URL = {
    atexit { try? FileManager.default.removeItem(at: scratchPath()) }
    return scratchPath()
}()

private func scratchPath() -> URL {
    URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("custos-pg-migrations-\(getpid())")
}

/// Writes migration files into a fresh folder named "MigrationsPostgres" under the scratch folder.
func migrationsFolder(_ files: [String: String]) throws -> URL {
    let folder = scratchRoot.appendingPathComponent(UUID().uuidString).appendingPathComponent("MigrationsPostgres")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, sql) in files { try Data(sql.utf8).write(to: folder.appendingPathComponent(name)) }
    return folder
}
