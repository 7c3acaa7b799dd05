import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files of `MigrationsPostgres/` in order as the owner role, each in one transaction
/// with its bookkeeping row, refuses a database whose recorded history disagrees with the files, and then
/// gives the application role exactly the row privileges of `ApplicationPrivileges`.
public struct PostgresMigrator: Sendable {
    /// The migrations found, ordered by version (1, 2, 3, … without gaps).
    public let migrations: [PostgresMigration]
    /// The directory's last path component, used to name files in messages ("MigrationsPostgres/0001_x.sql").
    private let folder: String
    /// Table → row privileges of the application role (`ApplicationPrivileges.tables` for Custos).
    private let privileges: [String: [String]]

    /// The prefix of the dollar-quote tags a migration is wrapped in; a file may not contain it.
    static let quoteTag = "$custos_migration"
    /// Serialises migrators of one database (several nodes starting at once): pg_advisory_xact_lock key.
    static let lockKey: Int64 = 0x6375_7374_6f73_0001

    /// Reads and validates every `NNNN_description.sql` in `directory`; `privileges` are granted after migrating.
    public init(directory: URL, privileges: [String: [String]] = ApplicationPrivileges.tables) throws {
        folder = directory.lastPathComponent
        self.privileges = privileges
        migrations = try Self.readMigrations(in: directory)
    }

    /// Applies the pending migrations on `connection` (signed in as the owner role) and returns them; an
    /// already-current database gets none. Then grants `applicationRole` its privileges. Refuses when the
    /// owner is a superuser or the application role could act as the owner.
    /// With `applicationRole` nil (`custos demo` on a database its own role owns) nothing is granted: the owner
    /// itself will serve.
    public func migrate(
        _ connection: PostgresConnection, applicationRole: String?, logger: Logger
    ) async throws -> [PostgresMigration] {
        try await Self.checkRoles(connection, applicationRole: applicationRole, logger: logger)
        var applied: [PostgresMigration] = []
        for migration in migrations {
            let path = folder + "/" + migration.name
            let didApply = try await Self.transaction(connection, logger: logger, failure: { reason in
                PostgresMigrationError.failed(path: path, reason: reason)
            }) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                try await connection.query(Self.bookkeepingTable, logger: logger)
                // Read the history inside the lock: another node may have migrated meanwhile.
                let recorded = try await Self.recorded(connection, logger: logger)
                try verify(recorded)
                guard recorded[migration.version] == nil else { return false }
                // postgres-nio speaks the extended protocol, one statement per query; PL/pgSQL's EXECUTE runs the
                // whole file. BEGIN, COMMIT and ROLLBACK inside it are refused by the server.
                try await connection.query(PostgresQuery(unsafeSQL: """
                    DO \(Self.quoteTag)$ BEGIN EXECUTE \(Self.quoteTag)_sql$\(migration.sql)\(Self.quoteTag)_sql$; END \(Self.quoteTag)$
                    """), logger: logger)
                try await connection.query("""
                    INSERT INTO schema_migrations (version, name, checksum) \
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
                return true
            }
            if didApply {
                logger.info("applied migration", metadata: ["migration": "\(path)"])
                applied.append(migration)
            }
        }
        if let applicationRole { try await grant(connection, applicationRole: applicationRole, logger: logger) }
        return applied
    }

    /// Verifies without writing that the database has exactly the migrations the files describe.
    public func check(_ connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger)
        var exists = false
        for try await flag in rows.decode(Bool.self) { exists = flag }
        let recorded = exists ? try await Self.recorded(connection, logger: logger) : [:]
        try verify(recorded)
        let pending = migrations.filter { recorded[$0.version] == nil }
        if !pending.isEmpty { throw PostgresMigrationError.behind(pending: pending.map(\.name)) }
    }

    /// `check` for a caller that may not suspend (a store opening on a thread of its own): the same refusals,
    /// read with the event-loop API and waited for. Never call it on an event loop of `connection`'s group.
    public func checkWaiting(_ connection: PostgresConnection, logger: Logger) throws {
        let exists = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger).wait()
            .rows.first?.decode(Bool.self) ?? false
        var recorded: [Int: Recorded] = [:]
        if exists {
            for row in try connection.query("SELECT version, name, checksum FROM schema_migrations", logger: logger).wait().rows {
                let (version, name, checksum) = try row.decode((Int, String, String).self)
                recorded[version] = Recorded(name: name, checksum: checksum)
            }
        }
        try verify(recorded)
        let pending = migrations.filter { recorded[$0.version] == nil }
        if !pending.isEmpty { throw PostgresMigrationError.behind(pending: pending.map(\.name)) }
    }

    // MARK: - Roles and privileges

    /// The owner may not be a superuser (its tables would escape every check); the application role must exist
    /// and be unable to create, own or become anything.
    static func checkRoles(_ connection: PostgresConnection, applicationRole role: String?, logger: Logger) async throws {
        if let role, !ApplicationPrivileges.isPlainIdentifier(role) { throw PostgresMigrationError.badRoleName(role) }
        for try await (owner, superuser) in try await connection.query(
            "SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user", logger: logger
        ).decode((String, Bool).self) where superuser {
            throw PostgresMigrationError.unsafeRole(role: owner, reason: "(the migrating owner) is a superuser; "
                + "migrate as a role that owns the database and nothing more")
        }
        guard let role else { return }
        let rows = try await connection.query("""
            SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication,
                   rolname = current_user OR pg_has_role(rolname, current_user, 'MEMBER')
            FROM pg_roles WHERE rolname = \(role)
            """, logger: logger)
        var found = false
        for try await (powerful, actsAsOwner) in rows.decode((Bool, Bool).self) {
            found = true
            if powerful {
                throw PostgresMigrationError.unsafeRole(role: role, reason: "(the application role) may create "
                    + "roles or databases, bypass row security or replicate, or is a superuser")
            }
            if actsAsOwner {
                throw PostgresMigrationError.unsafeRole(role: role, reason: "(the application role) is, or can act "
                    + "as, the owner role")
            }
        }
        if !found { throw PostgresMigrationError.unsafeRole(role: role, reason: "(the application role) does not exist") }
    }

    /// Takes every privilege from the application role and grants back exactly `ApplicationPrivileges`.
    private func grant(_ connection: PostgresConnection, applicationRole role: String, logger: Logger) async throws {
        try await Self.transaction(connection, logger: logger, failure: { PostgresMigrationError.grantFailed(reason: $0) }) { connection in
            var tables: [String] = []
            for try await table in try await connection.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", logger: logger
            ).decode(String.self) { tables.append(table) }
            if let unlisted = tables.first(where: { privileges[$0] == nil }) {
                throw PostgresMigrationError.grantFailed(reason: "table \(unlisted) has no line in ApplicationPrivileges; "
                    + "say which row privileges the application role needs on it")
            }
            for statement in ApplicationPrivileges.statements(for: role, tables: privileges) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    // MARK: - History

    private static let bookkeepingTable: PostgresQuery = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY CHECK (version >= 1),
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """

    /// A row of schema_migrations.
    private struct Recorded: Sendable {
        let name: String
        let checksum: String
    }

    private static func recorded(_ connection: PostgresConnection, logger: Logger) async throws -> [Int: Recorded] {
        var rows: [Int: Recorded] = [:]
        let query = try await connection.query("SELECT version, name, checksum FROM schema_migrations", logger: logger)
        for try await (version, name, checksum) in query.decode((Int, String, String).self) {
            rows[version] = Recorded(name: name, checksum: checksum)
        }
        return rows
    }

    /// Throws unless every recorded migration matches its file by name and checksum and the history has no holes.
    private func verify(_ recorded: [Int: Recorded]) throws {
        for (version, row) in recorded.sorted(by: { $0.key < $1.key }) {
            guard migrations.indices.contains(version - 1) else {
                throw PostgresMigrationError.unknownVersion(version: version, name: row.name)
            }
            let file = migrations[version - 1]  // versions are 1...count, checked when reading the files
            let path = folder + "/" + file.name
            guard row.name == file.name else {
                throw PostgresMigrationError.nameMismatch(version: version, databaseName: row.name, path: path)
            }
            guard row.checksum == file.checksum else {
                throw PostgresMigrationError.checksumMismatch(
                    name: row.name, databaseChecksum: row.checksum, path: path, fileChecksum: file.checksum)
            }
        }
        let newest = recorded.keys.max() ?? 0
        if let hole = migrations.first(where: { $0.version < newest && recorded[$0.version] == nil }) {
            throw PostgresMigrationError.missingInDatabase(path: folder + "/" + hole.name)
        }
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back on any error; a server error becomes `failure(reason)`,
    /// a migration error passes through.
    private static func transaction<Result: Sendable>(
        _ connection: PostgresConnection, logger: Logger,
        failure: (String) -> PostgresMigrationError,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            try await connection.query("BEGIN", logger: logger)
            let result = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            if let refusal = error as? PostgresMigrationError { throw refusal }
            throw failure(serverReason(error))
        }
    }
}
