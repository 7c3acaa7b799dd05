import CustosCrypto

/// One numbered, forward-only schema change read from `Migrations/NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    /// The number in the file name; migrations apply in this order, starting at 1 with no gaps.
    public let version: Int
    /// The file name, e.g. `0001_init.sql`; recorded in schema_migrations so a human can find the file.
    public let name: String
    /// The file's text, run as one script inside one transaction.
    public let sql: String
    /// Lower-case hex BLAKE2b-256 of the file's bytes.
    public let checksum: String

    /// Builds a migration from values already read; `checksum` must be `Migration.checksum(of:)` of the bytes.
    public init(version: Int, name: String, sql: String, checksum: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = checksum
    }

    /// Hex BLAKE2b-256 of a migration file's bytes.
    public static func checksum(of bytes: [UInt8]) -> String {
        Hex.encode(BLAKE2b.hash(bytes))
    }
}

/// Why the migrator refused to run; every message says what is wrong, with which file, and what to do.
public enum MigrationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadableDirectory(path: String, reason: String)
    case noMigrations(path: String)
    case badFileName(path: String)
    case unreadableFile(path: String, reason: String)
    case duplicateVersion(version: Int, paths: [String])
    case gap(expected: Int, path: String)
    /// The database records a version for which there is no file: it was migrated by a newer Custos.
    case unknownVersion(version: Int, name: String)
    case checksumMismatch(name: String, databaseChecksum: String, path: String, fileChecksum: String)
    case nameMismatch(version: Int, databaseName: String, path: String)
    /// The database lacks a version although it has later ones, so something other than the migrator wrote it.
    case missingInDatabase(path: String)
    /// A migration failed; its transaction was rolled back, so nothing of it remains.
    case failed(path: String, reason: String)
    /// The database has not had these migrations yet (from `check`, used by tools that must not migrate).
    case behind(pending: [String])

    /// The sentence shown to the operator.
    public var description: String {
        switch self {
        case .unreadableDirectory(let path, let reason):
            return "cannot read the migrations directory \(path): \(reason)"
        case .noMigrations(let path):
            return "no migration files (NNNN_description.sql) in \(path); refusing to start with an unversioned schema"
        case .badFileName(let path):
            return "\(path) is not named like 0001_description.sql (four digits, an underscore, then lower-case "
                + "letters, digits or underscores); rename it"
        case .unreadableFile(let path, let reason):
            return "cannot use \(path): \(reason)"
        case .duplicateVersion(let version, let paths):
            return "migration number \(Self.padded(version)) is used by more than one file: "
                + paths.joined(separator: ", ") + "; renumber all but one"
        case .gap(let expected, let path):
            return "expected migration \(Self.padded(expected)) next but found \(path); migrations are numbered "
                + "0001, 0002, … without gaps"
        case .unknownVersion(let version, let name):
            return "database has migration \(name) (version \(version)) but there is no such file; it was "
                + "migrated by a newer Custos: refusing to start"
        case .checksumMismatch(let name, let databaseChecksum, let path, let fileChecksum):
            return "database has migration \(name) with checksum \(databaseChecksum) but \(path) has \(fileChecksum); "
                + "an applied migration must never be edited (restore it and add a new numbered file): refusing to start"
        case .nameMismatch(let version, let databaseName, let path):
            return "database has migration \(Self.padded(version)) as \(databaseName) but the file is \(path); "
                + "applied migrations must not be renamed: refusing to start"
        case .missingInDatabase(let path):
            return "database lacks \(path) although it has later migrations; it was not created by this migrator: "
                + "refusing to start"
        case .failed(let path, let reason):
            return "migration \(path) failed and was rolled back, nothing of it was applied: \(reason)"
        case .behind(let pending):
            return "database is behind the migration files; pending: " + pending.joined(separator: ", ")
                + "; start Custos normally to apply them"
        }
    }

    /// Four-digit form used in file names, e.g. 3 → "0003".
    static func padded(_ version: Int) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
