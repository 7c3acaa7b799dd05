import CustosPostgres
import Foundation
import Logging

/// Brings a PostgreSQL database's schema up to this version of Custos, as the role that owns it; the server
/// itself, signed in as the application role, never changes the schema.
public enum PostgresSchema {
    /// Applies the pending files of MigrationsPostgres/ over `ownerURL` and grants `applicationRole` exactly the row
    /// privileges it needs. Answers the names of the migrations applied (none when the schema was current).
    public static func migrate(ownerURL: String, applicationRole: String, resources: Resources,
                               logger: Logger = Logger(label: "custos.migrate")) async throws -> [String] {
        let endpoint: PostgresEndpoint
        do { endpoint = try PostgresEndpoint(url: ownerURL) } catch { throw StartupError("--database: \(error)") }
        let migrator = try PostgresMigrator(directory: resources.postgresMigrations)
        do {
            return try await endpoint.withConnection(logger: logger) { connection in
                try await migrator.migrate(connection, applicationRole: applicationRole, logger: logger)
            }.map(\.name)
        } catch let error as PostgresMigrationError {
            throw StartupError("\(endpoint.displayURL): \(error)")
        } catch {
            throw StartupError("\(endpoint.displayURL): \(serverReason(error))")
        }
    }

    /// For `custos demo --database`: when the URL's role owns the database, applies the pending migrations with no
    /// separate application role (the owner serves the demo itself) and answers what it applied; answers nil when
    /// the role does not own the database, whose schema must then be current already.
    public static func migrateIfOwner(url: String, resources: Resources,
                                      logger: Logger = Logger(label: "custos.migrate")) async throws -> [String]? {
        let endpoint: PostgresEndpoint
        do { endpoint = try PostgresEndpoint(url: url) } catch { throw StartupError("--database: \(error)") }
        let migrator = try PostgresMigrator(directory: resources.postgresMigrations)
        do {
            return try await endpoint.withConnection(logger: logger) { connection in
                var owns = false
                for try await flag in try await connection.query("""
                    SELECT pg_has_role(current_user, datdba, 'USAGE') FROM pg_database WHERE datname = current_database()
                    """, logger: logger).decode(Bool.self) { owns = flag }
                guard owns else { return nil }
                return try await migrator.migrate(connection, applicationRole: nil, logger: logger).map(\.name)
            }
        } catch let error as PostgresMigrationError {
            throw StartupError("\(endpoint.displayURL): \(error)")
        } catch let error as StartupError {
            throw error
        } catch {
            throw StartupError("\(endpoint.displayURL): \(serverReason(error))")
        }
    }
}
