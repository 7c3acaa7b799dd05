import CustosPostgres
import CustosTestSupport
import Foundation
import PostgresNIO
import Testing

private let base = [
    "0001_init.sql": "CREATE TABLE account(id BIGINT PRIMARY KEY, email TEXT NOT NULL);\n",
    "0002_roles.sql": "ALTER TABLE account ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer';\n",
    "0003_seed.sql": "INSERT INTO account(id, email, role) VALUES (1, 'admin@example.org', 'admin');\n",
]
private let basePrivileges = ["schema_migrations": ["SELECT"], "account": ["SELECT"]]

@Suite("PostgreSQL migrator", .enabled(if: !TestPostgresServer.skipped, "CUSTOS_SKIP_POSTGRES=1"))
struct PostgresMigratorTests {
    @Test("the repository's migrations apply to an empty database, are recorded with SHA-256, and a rerun applies nothing")
    func appliesRepositoryMigrations() async throws {
        let (server, database, applied) = try await migratedDatabase()
        let migrator = try PostgresMigrator(directory: repositoryMigrations)
        #expect(applied.map(\.name) == migrator.migrations.map(\.name))
        #expect(applied.first?.name == "0001_users_sessions_audit.sql")
        try await server.endpoint(database: database, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) { db in
            var recorded: [(Int, String, String)] = []
            for try await row in try await db.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version",
                                                    logger: server.logger).decode((Int, String, String).self) {
                recorded.append(row)
            }
            #expect(recorded.map(\.0) == Array(1...migrator.migrations.count))
            let bytes = Array(try Data(contentsOf: repositoryMigrations.appendingPathComponent("0001_users_sessions_audit.sql")))
            #expect(recorded.first?.2 == PostgresMigration.checksum(of: bytes))
            #expect(recorded.first?.2.count == 64)
            #expect(try await migrator.migrate(db, applicationRole: TestPostgresServer.applicationRole, logger: server.logger).isEmpty)
            try await migrator.check(db, logger: server.logger)
        }
    }

    @Test("SHA-256 checksums are the standard ones")
    func checksumVector() {
        #expect(PostgresMigration.checksum(of: Array("abc".utf8))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("an edited applied migration is refused by migrate and check, naming the file")
    func editedFile() async throws {
        let folder = try migrationsFolder(base)
        let (server, database, _) = try await migratedDatabase(try PostgresMigrator(directory: folder, privileges: basePrivileges))
        try Data("-- tidied\n\(base["0002_roles.sql", default: ""])".utf8).write(to: folder.appendingPathComponent("0002_roles.sql"))
        let migrator = try PostgresMigrator(directory: folder, privileges: basePrivileges)
        try await server.endpoint(database: database, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) { db in
            let runs: [@Sendable () async throws -> Void] = [
                { _ = try await migrator.migrate(db, applicationRole: TestPostgresServer.applicationRole, logger: server.logger) },
                { try await migrator.check(db, logger: server.logger) },
            ]
            for run in runs {
                let error = await #expect(throws: PostgresMigrationError.self) { try await run() }
                guard case .checksumMismatch(let name, _, let path, _) = error else {
                    Issue.record("expected .checksumMismatch, got \(String(describing: error))")
                    continue
                }
                #expect(name == "0002_roles.sql" && path == "MigrationsPostgres/0002_roles.sql")
            }
        }
    }

    @Test("a database with a migration the files lack, or lacking an earlier one, is refused")
    func historyDisagrees() async throws {
        let (server, database, _) = try await migratedDatabase(
            try PostgresMigrator(directory: try migrationsFolder(base), privileges: basePrivileges))
        let older = try PostgresMigrator(directory: try migrationsFolder(base.filter { $0.key != "0003_seed.sql" }),
                                         privileges: basePrivileges)
        try await server.endpoint(database: database, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) { db in
            await #expect(throws: PostgresMigrationError.unknownVersion(version: 3, name: "0003_seed.sql")) {
                _ = try await older.migrate(db, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
            }
            // A history with a hole was not written by this migrator.
            try await db.query("DELETE FROM schema_migrations WHERE version = 2", logger: server.logger)
            let full = try PostgresMigrator(directory: try migrationsFolder(base), privileges: basePrivileges)
            await #expect(throws: PostgresMigrationError.missingInDatabase(path: "MigrationsPostgres/0002_roles.sql")) {
                try await full.check(db, logger: server.logger)
            }
        }
    }

    @Test("a failing migration is rolled back whole and names its file; fixing it carries on")
    func failureIsAtomic() async throws {
        var files = base
        files["0002_roles.sql"] = "CREATE TABLE half_done(x INT);\nINSERT INTO no_such_table VALUES (1);\n"
        let folder = try migrationsFolder(files)
        let server = try await TestPostgresServer.shared.value
        let database = try await server.makeDatabase()
        try await server.endpoint(database: database, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) { db in
            let error = await #expect(throws: PostgresMigrationError.self) {
                _ = try await PostgresMigrator(directory: folder, privileges: basePrivileges)
                    .migrate(db, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
            }
            guard case .failed(let path, let reason) = error else {
                Issue.record("expected .failed, got \(String(describing: error))")
                return
            }
            #expect(path == "MigrationsPostgres/0002_roles.sql")
            #expect(reason.contains("no_such_table"))
            var rows: [Bool] = []
            for try await exists in try await db.query("SELECT to_regclass('half_done') IS NOT NULL", logger: server.logger)
                .decode(Bool.self) { rows.append(exists) }
            #expect(rows == [false])
            try Data(base["0002_roles.sql", default: ""].utf8).write(to: folder.appendingPathComponent("0002_roles.sql"))
            let applied = try await PostgresMigrator(directory: folder, privileges: basePrivileges)
                .migrate(db, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
            #expect(applied.map(\.version) == [2, 3])
        }
    }

    @Test("a migration file may not end the transaction it runs in")
    func refusesTransactionControl() async throws {
        let folder = try migrationsFolder(["0001_init.sql": "CREATE TABLE sneaky(x INT);\nCOMMIT;\nCREATE TABLE later(x INT);\n"])
        let server = try await TestPostgresServer.shared.value
        let database = try await server.makeDatabase()
        try await server.endpoint(database: database, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) { db in
            let error = await #expect(throws: PostgresMigrationError.self) {
                _ = try await PostgresMigrator(directory: folder, privileges: ["schema_migrations": ["SELECT"]])
                    .migrate(db, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
            }
            #expect(String(describing: error).contains("0001_init.sql"))
            var rows: [Bool] = []
            for try await exists in try await db.query("SELECT to_regclass('sneaky') IS NOT NULL", logger: server.logger)
                .decode(Bool.self) { rows.append(exists) }
            #expect(rows == [false])
        }
    }

    @Test("a table without a privileges line stops the migrator before it grants anything")
    func unlistedTable() async throws {
        let folder = try migrationsFolder(base)
        await #expect(throws: PostgresMigrationError.grantFailed(reason: "table account has no line in ApplicationPrivileges; "
            + "say which row privileges the application role needs on it")) {
            _ = try await migratedDatabase(try PostgresMigrator(directory: folder, privileges: ["schema_migrations": ["SELECT"]]))
        }
    }

    @Test("a superuser owner, or an application role that is a superuser, the owner or its member, is refused")
    func unsafeRoles() async throws {
        let server = try await TestPostgresServer.shared.value
        let database = try await server.makeDatabase()
        try await server.superuserSQL([
            "CREATE ROLE custos_too_strong LOGIN SUPERUSER",
            "CREATE ROLE custos_owner_member LOGIN IN ROLE \(TestPostgresServer.ownerRole)",
        ])
        let migrator = try PostgresMigrator(directory: repositoryMigrations)
        try await server.endpoint(database: database, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) { db in
            for role in ["custos_too_strong", "custos_owner_member", TestPostgresServer.ownerRole, "custos_nobody"] {
                let error = await #expect(throws: PostgresMigrationError.self) {
                    _ = try await migrator.migrate(db, applicationRole: role, logger: server.logger)
                }
                guard case .unsafeRole(let named, _) = error else {
                    Issue.record("expected .unsafeRole for \(role), got \(String(describing: error))")
                    continue
                }
                #expect(named == role)
            }
            await #expect(throws: PostgresMigrationError.badRoleName("app; DROP TABLE users")) {
                _ = try await migrator.migrate(db, applicationRole: "app; DROP TABLE users", logger: server.logger)
            }
        }
        try await server.endpoint(database: database, role: TestPostgresServer.superuser).withConnection(logger: server.logger) { db in
            let error = await #expect(throws: PostgresMigrationError.self) {
                _ = try await migrator.migrate(db, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
            }
            #expect(String(describing: error).contains("is a superuser"))
        }
    }

    @Test("gaps, duplicate numbers, bad names and the reserved quote tag are refused when reading the files")
    func badFolders() throws {
        let cases: [([String: String], PostgresMigrationError)] = [
            (["0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"], .gap(expected: 2, path: "MigrationsPostgres/0003_c.sql")),
            (["0001_a.sql": "SELECT 1;", "0002_b.sql": "SELECT 1;", "0002_c.sql": "SELECT 1;"],
             .duplicateVersion(version: 2, paths: ["MigrationsPostgres/0002_b.sql", "MigrationsPostgres/0002_c.sql"])),
            (["1_init.sql": "SELECT 1;"], .badFileName(path: "MigrationsPostgres/1_init.sql")),
            (["0001_Init.sql": "SELECT 1;"], .badFileName(path: "MigrationsPostgres/0001_Init.sql")),
            (["0001_init.sql": "  \n"], .unreadableFile(path: "MigrationsPostgres/0001_init.sql", reason: "it is empty")),
            (["0001_init.sql": "SELECT 1; $custos_migration_sql$; DROP TABLE users; --"],
             .reservedTag(path: "MigrationsPostgres/0001_init.sql")),
        ]
        for (files, expected) in cases {
            #expect(throws: expected) { try PostgresMigrator(directory: try migrationsFolder(files)) }
        }
    }
}
