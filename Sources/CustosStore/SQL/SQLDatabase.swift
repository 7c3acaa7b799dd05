/// The SQL engines Custos stores an archive in. Repositories write one statement for both wherever the two agree
/// (nearly everywhere: `?` parameters, `RETURNING`, `ON CONFLICT`, `TRUE`/`FALSE`, `CAST`), and ask the dialect
/// only for the few expressions they spell differently.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// The BIGINT value of a top-level key of a JSON text column, e.g. `jsonInteger("details", "last_id")`.
    /// Each engine's migrations index exactly this expression where the repositories search by it.
    func jsonInteger(_ column: String, _ key: String) -> String {
        switch self {
        case .sqlite: return "CAST(json_extract(\(column), '$.\(key)') AS INTEGER)"
        case .postgres: return "CAST((\(column)::jsonb ->> '\(key)') AS BIGINT)"
        }
    }

    /// A platform name in a column that otherwise holds a blind token (hold terms, retention rules): SQLite keeps
    /// either in one untyped column; PostgreSQL's is BYTEA, so the name goes in as its UTF-8 bytes.
    func platformName(_ name: String) -> any SQLBindable {
        switch self {
        case .sqlite: return name
        case .postgres: return Array(name.utf8)
        }
    }

    /// The UTC calendar month ("2024-05") of a column holding seconds since 1970.
    func utcMonth(_ column: String) -> String {
        switch self {
        case .sqlite: return "strftime('%Y-%m', \(column), 'unixepoch')"
        case .postgres: return "to_char(to_timestamp(\(column)) AT TIME ZONE 'UTC', 'YYYY-MM')"
        }
    }
}

/// One connection inside one transaction, as the repositories see it: parameters bound with `?`, rows copied out
/// as `SQLRow`s. `SQLiteConnection` is one; the PostgreSQL store supplies the other.
public protocol SQLDatabase: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs statements without parameters (SQLite may take several at once, PostgreSQL one).
    func execute(_ sql: String) throws
    /// Runs one statement and returns the number of rows it changed.
    @discardableResult
    func run(_ sql: String, parameters: [any SQLBindable]) throws -> Int
    /// Runs one query and returns all its rows.
    func query(_ sql: String, parameters: [any SQLBindable]) throws -> [SQLRow]
    /// Runs one query and returns its first row, or nil when there is none.
    func queryOne(_ sql: String, parameters: [any SQLBindable]) throws -> SQLRow?
    /// Streams the rows of one query to `body`, which may use this connection too; an engine may read them in
    /// batches, but never all at once.
    func forEach(_ sql: String, _ params: [any SQLBindable], _ body: (SQLRow) throws -> Void) throws
}

extension SQLDatabase {
    @discardableResult
    public func run(_ sql: String, _ params: any SQLBindable...) throws -> Int {
        try run(sql, parameters: params)
    }

    public func query(_ sql: String, _ params: any SQLBindable...) throws -> [SQLRow] {
        try query(sql, parameters: params)
    }

    public func queryOne(_ sql: String, _ params: any SQLBindable...) throws -> SQLRow? {
        try queryOne(sql, parameters: params)
    }

    /// Runs an `INSERT … RETURNING id` and returns the new row's id.
    public func insert(_ sql: String, _ params: any SQLBindable...) throws -> Int64 {
        guard let row = try queryOne(sql, parameters: params) else { throw SQLStoreError.noRowReturned }
        return try row.int(0)
    }
}

/// What goes wrong between a repository and its engine, whichever engine it is.
public enum SQLStoreError: Error, CustomStringConvertible {
    case noRowReturned
    /// A stored value the schema allows but the domain cannot read (named, never the value's content).
    case badValue(String)

    public var description: String {
        switch self {
        case .noRowReturned: return "an INSERT … RETURNING returned no row"
        case .badValue(let what): return "unreadable stored value: \(what)"
        }
    }
}
