import Crypto

/// One numbered, forward-only schema change read from `MigrationsPostgres/NNNN_description.sql`.
public struct PostgresMigration: Sendable, Equatable {
    /// The number in the file name; migrations apply in this order, starting at 1 with no gaps.
    public let version: Int
    /// The file name, e.g. `0001_users_sessions_audit.sql`; recorded in schema_migrations so a human can find it.
    public let name: String
    /// The file's text, run as one script inside one transaction.
    public let sql: String
    /// Lower-case hex SHA-256 of the file's bytes.
    public let checksum: String

    public init(version: Int, name: String, sql: String, checksum: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = checksum
    }

    /// Hex SHA-256 of a migration file's bytes.
    public static func checksum(of bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// Why the PostgreSQL migrator refused to run; every message says what is wrong, with which file or role,
/// and what to do.
public enum PostgresMigrationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadableDirectory(path: String, reason: String)
    case noMigrations(path: String)
    case badFileName(path: String)
    case unreadableFile(path: String, reason: String)
    /// The file contains the quoting tag the migrator wraps it in, so it cannot be run safely.
    case reservedTag(path: String)
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
    /// The database has not had these migrations yet (from `check`, for tools that must not migrate).
    case behind(pending: [String])
    /// A role has more power than its part allows (a superuser, the owner's member, …).
    case unsafeRole(role: String, reason: String)
    /// A role name that is not a plain lower-case identifier.
    case badRoleName(String)
    /// Granting the application role its privileges failed.
    case grantFailed(reason: String)

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
        case .reservedTag(let path):
            return "\(path) contains the dollar-quote tag \(PostgresMigrator.quoteTag), which the migrator reserves; "
                + "use another tag"
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
                + "; run `custos migrate` as the owner role to apply them"
        case .unsafeRole(let role, let reason):
            return "role \(role) \(reason); refusing to go on"
        case .badRoleName(let name):
            return "\(name) is not a plain role name (lower-case letters, digits and underscores, not starting with a digit)"
        case .grantFailed(let reason):
            return "granting the application role its privileges failed and was rolled back: \(reason)"
        }
    }

    /// Four-digit form used in file names, e.g. 3 → "0003".
    static func padded(_ version: Int) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
