import CustosCrypto
import Foundation
import Testing
@testable import CustosStore

/// Writes migration files into a fresh folder named "Migrations" inside a scratch directory.
private func migrationsFolder(_ scratch: SQLiteScratch, _ files: [String: String]) throws -> URL {
    let folder = scratch.url.appendingPathComponent("Migrations")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, sql) in files {
        try Data(sql.utf8).write(to: folder.appendingPathComponent(name))
    }
    return folder
}

private let base = [
    "0001_init.sql": "CREATE TABLE account(id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
    "0002_roles.sql": "ALTER TABLE account ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer';\n",
    "0003_seed.sql": "INSERT INTO account(email, role) VALUES ('admin@example.org', 'admin');\n",
]

@Suite("Migrator")
struct MigratorTests {
    @Test("applies migrations in order, records each with its checksum, and a rerun applies nothing")
    func appliesInOrder() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let migrator = try Migrator(directory: try migrationsFolder(scratch, base))
        #expect(migrator.migrations.map(\.version) == [1, 2, 3])
        let db = try Database(path: scratch.path())
        #expect(throws: MigrationError.behind(pending: ["0001_init.sql", "0002_roles.sql", "0003_seed.sql"])) {
            try migrator.check(db)
        }
        let applied = try migrator.migrate(db)
        #expect(applied.map(\.name) == ["0001_init.sql", "0002_roles.sql", "0003_seed.sql"])
        let rows = try db.read { try $0.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version") }
        #expect(try rows.map { try $0.int(0) } == [1, 2, 3])
        let expected = Migration.checksum(of: Array(base["0002_roles.sql", default: ""].utf8))
        #expect(try rows[1].text(2) == expected)
        #expect(expected.count == 64)
        #expect(try rows.allSatisfy { try $0.text(3).hasSuffix("Z") })
        #expect(try db.read { try $0.queryOne("SELECT role FROM account")?.text(0) } == "admin")
        #expect(try migrator.migrate(db).isEmpty)
        try migrator.check(db)
    }

    @Test("a failing migration leaves neither its schema changes nor its schema_migrations row")
    func failureIsAtomic() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        var files = base
        files["0002_roles.sql"] = "CREATE TABLE half_done(x);\nINSERT INTO no_such_table VALUES (1);\n"
        let folder = try migrationsFolder(scratch, files)
        let db = try Database(path: scratch.path())
        let error = #expect(throws: MigrationError.self) { try Migrator(directory: folder).migrate(db) }
        guard case .failed(let path, let reason) = error else {
            Issue.record("expected .failed, got \(String(describing: error))")
            return
        }
        #expect(path == "Migrations/0002_roles.sql")
        #expect(reason.contains("no_such_table"))
        try db.read { conn throws in
            #expect(try conn.queryOne("SELECT 1 FROM sqlite_master WHERE name = 'half_done'") == nil)
            #expect(try conn.query("SELECT version FROM schema_migrations").map { try $0.int(0) } == [1])
        }
        // Fixing the file lets the next start carry on from where it stopped.
        try Data(base["0002_roles.sql", default: ""].utf8).write(to: folder.appendingPathComponent("0002_roles.sql"))
        #expect(try Migrator(directory: folder).migrate(db).map(\.version) == [2, 3])
    }

    @Test("a migration file may not end or nest the transaction it runs in")
    func refusesTransactionControl() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let folder = try migrationsFolder(scratch, ["0001_init.sql": "BEGIN;\nCREATE TABLE sneaky(x);\nCOMMIT;\n"])
        let db = try Database(path: scratch.path())
        let error = #expect(throws: MigrationError.self) { try Migrator(directory: folder).migrate(db) }
        #expect(String(describing: error).contains("not allowed in a migration file"))
        #expect(try db.read { try $0.queryOne("SELECT 1 FROM sqlite_master WHERE name = 'sneaky'") } == nil)
        // The authorizer is gone afterwards: ordinary transactions still work on the writer.
        try db.write { try $0.execute("CREATE TABLE fine(x)") }
    }

    @Test("an edited applied migration is a checksum error naming the file")
    func editedFile() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let folder = try migrationsFolder(scratch, base)
        let db = try Database(path: scratch.path())
        _ = try Migrator(directory: folder).migrate(db)
        try Data("-- tidied\n\(base["0002_roles.sql", default: ""])".utf8).write(to: folder.appendingPathComponent("0002_roles.sql"))
        let migrator = try Migrator(directory: folder)
        for run in [{ _ = try migrator.migrate(db) }, { try migrator.check(db) }] {
            let error = #expect(throws: MigrationError.self) { try run() }
            guard case .checksumMismatch(let name, _, let path, _) = error else {
                Issue.record("expected .checksumMismatch, got \(String(describing: error))")
                continue
            }
            #expect(name == "0002_roles.sql" && path == "Migrations/0002_roles.sql")
            #expect(String(describing: error).contains("database has migration 0002_roles.sql with checksum"))
        }
    }

    @Test("a database with a migration the files lack is refused, and nothing is applied")
    func databaseAhead() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let newer = try SQLiteScratch()
        defer { newer.remove() }
        let db = try Database(path: scratch.path())
        _ = try Migrator(directory: try migrationsFolder(newer, base)).migrate(db)
        let older = try Migrator(directory: try migrationsFolder(scratch, base.filter { $0.key != "0003_seed.sql" }))
        let expected = MigrationError.unknownVersion(version: 3, name: "0003_seed.sql")
        #expect(throws: expected) { try older.migrate(db) }
        #expect(throws: expected) { try older.check(db) }
        #expect(String(describing: expected).contains("0003_seed.sql"))
    }

    @Test("a renamed applied migration is refused")
    func renamedFile() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path())
        _ = try Migrator(directory: try migrationsFolder(scratch, base)).migrate(db)
        let other = try SQLiteScratch()
        defer { other.remove() }
        var renamed = base
        renamed["0001_start.sql"] = renamed.removeValue(forKey: "0001_init.sql")
        let migrator = try Migrator(directory: try migrationsFolder(other, renamed))
        #expect(throws: MigrationError.nameMismatch(version: 1, databaseName: "0001_init.sql", path: "Migrations/0001_start.sql")) {
            try migrator.check(db)
        }
    }

    @Test("gaps, duplicate numbers, bad names and empty folders are refused when reading the files")
    func badFolders() throws {
        let cases: [([String: String], MigrationError)] = [
            (["0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"], .gap(expected: 2, path: "Migrations/0003_c.sql")),
            (["0002_b.sql": "SELECT 1;"], .gap(expected: 1, path: "Migrations/0002_b.sql")),
            (["0001_a.sql": "SELECT 1;", "0002_b.sql": "SELECT 1;", "0002_c.sql": "SELECT 1;"],
             .duplicateVersion(version: 2, paths: ["Migrations/0002_b.sql", "Migrations/0002_c.sql"])),
            (["1_init.sql": "SELECT 1;"], .badFileName(path: "Migrations/1_init.sql")),
            (["0001-init.sql": "SELECT 1;"], .badFileName(path: "Migrations/0001-init.sql")),
            (["0001_.sql": "SELECT 1;"], .badFileName(path: "Migrations/0001_.sql")),
            (["0001_Init.sql": "SELECT 1;"], .badFileName(path: "Migrations/0001_Init.sql")),
            (["0001_init.SQL": "SELECT 1;"], .badFileName(path: "Migrations/0001_init.SQL")),
            (["0001_init.sql": "  \n"], .unreadableFile(path: "Migrations/0001_init.sql", reason: "it is empty")),
            (["README.md": "notes"], .noMigrations(path: "")),
        ]
        for (files, expected) in cases {
            let scratch = try SQLiteScratch()
            defer { scratch.remove() }
            let folder = try migrationsFolder(scratch, files)
            let error = #expect(throws: MigrationError.self) { try Migrator(directory: folder) }
            if case .noMigrations = expected, case .noMigrations = error { continue }
            #expect(error == expected)
        }
    }

    @Test("non-UTF-8 files, a missing folder and hidden files are handled")
    func unusualFiles() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let folder = try migrationsFolder(scratch, ["0001_init.sql": "CREATE TABLE t(x);", "._0001_init.sql": "junk"])
        #expect(try Migrator(directory: folder).migrations.count == 1)
        try Data([0x43, 0xFF, 0xFE]).write(to: folder.appendingPathComponent("0002_bad.sql"))
        #expect(throws: MigrationError.unreadableFile(path: "Migrations/0002_bad.sql", reason: "it is not valid UTF-8")) {
            try Migrator(directory: folder)
        }
        let missing = scratch.url.appendingPathComponent("nowhere")
        let error = #expect(throws: MigrationError.self) { try Migrator(directory: missing) }
        guard case .unreadableDirectory = error else {
            Issue.record("expected .unreadableDirectory, got \(String(describing: error))")
            return
        }
    }
}
