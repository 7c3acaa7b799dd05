import Foundation

/// Applies the numbered SQL files of `Migrations/` in order, each in one transaction with its bookkeeping row,
/// and refuses to run against a database whose recorded history disagrees with the files.
public struct Migrator: Sendable {
    /// The migrations found, ordered by version (1, 2, 3, … without gaps).
    public let migrations: [Migration]
    /// The directory's last path component, used to name files in messages ("Migrations/0003_x.sql").
    private let folder: String

    /// Reads and validates every `NNNN_description.sql` in `directory`; hidden and non-.sql files are ignored.
    public init(directory: URL) throws {
        let folder = directory.lastPathComponent
        self.folder = folder
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.unreadableDirectory(path: directory.path, reason: error.localizedDescription)
        }
        var found: [Migration] = []
        // Hidden files include macOS's "._0001_init.sql" resource forks, which are not migrations.
        for file in names.sorted() where !file.hasPrefix(".") && file.lowercased().hasSuffix(".sql") {
            let path = folder + "/" + file
            guard let version = Self.version(ofFileName: file) else { throw MigrationError.badFileName(path: path) }
            found.append(try Self.load(directory.appendingPathComponent(file), version: version, name: file, path: path))
        }
        guard !found.isEmpty else { throw MigrationError.noMigrations(path: directory.path) }
        found.sort { ($0.version, $0.name) < ($1.version, $1.name) }
        for (index, migration) in found.enumerated() where migration.version != index + 1 {
            let sameNumber = found.filter { $0.version == migration.version }
            if sameNumber.count > 1 {
                throw MigrationError.duplicateVersion(version: migration.version, paths: sameNumber.map { folder + "/" + $0.name })
            }
            throw MigrationError.gap(expected: index + 1, path: folder + "/" + migration.name)
        }
        migrations = found
    }

    /// Applies the pending migrations in order and returns them; an already-current database gets none.
    /// Each file runs inside a transaction, where `PRAGMA foreign_keys` cannot change: table rebuilds must keep
    /// foreign keys valid throughout.
    public func migrate(_ db: Database) throws -> [Migration] {
        try db.write { try $0.execute(Self.bookkeepingTable) }
        var applied: [Migration] = []
        for migration in migrations {
            do {
                // Re-read the history inside each write: another process may have migrated meanwhile.
                let didApply = try db.write { connection -> Bool in
                    let recorded = try Self.recorded(connection)
                    try verify(recorded)
                    guard recorded[migration.version] == nil else { return false }
                    try connection.executeWithoutTransactionControl(migration.sql)
                    try connection.run("""
                        INSERT INTO schema_migrations (version, name, checksum, applied_at)
                        VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                        """, migration.version, migration.name, migration.checksum)
                    return true
                }
                if didApply { applied.append(migration) }
            } catch let error as SQLiteError {
                throw MigrationError.failed(path: folder + "/" + migration.name, reason: Self.reason(error))
            }
        }
        return applied
    }

    /// Verifies without writing that the database has exactly the migrations the files describe.
    public func check(_ db: Database) throws {
        try db.read { try check(connection: $0) }
    }

    /// `check` on one connection (a read-only one, for offline verification).
    public func check(connection: SQLiteConnection) throws {
        let table = try connection.queryOne("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        let recorded = table == nil ? [:] : try Self.recorded(connection)
        try verify(recorded)
        let pending = migrations.filter { recorded[$0.version] == nil }
        if !pending.isEmpty { throw MigrationError.behind(pending: pending.map(\.name)) }
    }

    // MARK: - History

    private static let bookkeepingTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """

    /// A row of schema_migrations.
    private struct Recorded: Sendable {
        let name: String
        let checksum: String
    }

    private static func recorded(_ connection: SQLiteConnection) throws -> [Int: Recorded] {
        var rows: [Int: Recorded] = [:]
        for row in try connection.query("SELECT version, name, checksum FROM schema_migrations") {
            rows[Int(try row.int(0))] = Recorded(name: try row.text(1), checksum: try row.text(2))
        }
        return rows
    }

    /// Throws unless every recorded migration matches its file by name and checksum and the history has no holes.
    private func verify(_ recorded: [Int: Recorded]) throws {
        for (version, row) in recorded.sorted(by: { $0.key < $1.key }) {
            guard migrations.indices.contains(version - 1) else {
                throw MigrationError.unknownVersion(version: version, name: row.name)
            }
            let file = migrations[version - 1]  // versions are 1...count, checked in init
            let path = folder + "/" + file.name
            guard row.name == file.name else {
                throw MigrationError.nameMismatch(version: version, databaseName: row.name, path: path)
            }
            guard row.checksum == file.checksum else {
                throw MigrationError.checksumMismatch(
                    name: row.name, databaseChecksum: row.checksum, path: path, fileChecksum: file.checksum)
            }
        }
        let newest = recorded.keys.max() ?? 0
        if let hole = migrations.first(where: { $0.version < newest && recorded[$0.version] == nil }) {
            throw MigrationError.missingInDatabase(path: folder + "/" + hole.name)
        }
    }

    // MARK: - Files

    /// The number of a well-formed name: four digits, "_", then [a-z0-9_]+, then ".sql"; nil otherwise.
    static func version(ofFileName file: String) -> Int? {
        let bytes = Array(file.utf8)
        guard bytes.count >= 10, file.hasSuffix(".sql"), bytes[4] == UInt8(ascii: "_") else { return nil }
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let isWordByte = { (b: UInt8) in isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || b == UInt8(ascii: "_") }
        guard bytes[0..<4].allSatisfy(isDigit), bytes[5..<(bytes.count - 4)].allSatisfy(isWordByte) else { return nil }
        return Int(String(decoding: bytes[0..<4], as: UTF8.self))
    }

    private static func load(_ url: URL, version: Int, name: String, path: String) throws -> Migration {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw MigrationError.unreadableFile(path: path, reason: error.localizedDescription)
        }
        let sql = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces bad bytes, so a round trip that differs means the file was not UTF-8.
        guard Array(sql.utf8) == bytes else { throw MigrationError.unreadableFile(path: path, reason: "it is not valid UTF-8") }
        guard sql.contains(where: { !$0.isWhitespace }) else {
            throw MigrationError.unreadableFile(path: path, reason: "it is empty")
        }
        return Migration(version: version, name: name, sql: sql, checksum: Migration.checksum(of: bytes))
    }

    private static func reason(_ error: SQLiteError) -> String {
        if case .prepare(let message, let sql) = error, message == "not authorized" {
            return "BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE are not allowed in a migration file, which already "
                + "runs in its own transaction (at: \(sql.prefix(80)))"
        }
        return error.description
    }
}
