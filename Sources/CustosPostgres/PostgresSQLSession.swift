import CustosStore
import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection inside one transaction, speaking the repositories' SQL (`SQLDatabase`): `?`
/// parameters become `$1…$n`, values are bound with their PostgreSQL types, and rows come back as `SQLRow`s.
///
/// The repositories are synchronous, so each statement waits for its answer on the calling thread. The
/// connections run on the store's own event loops, never the web server's, so that wait cannot block the loop
/// that would deliver the answer.
public final class PostgresSQLSession: SQLDatabase {
    let connection: PostgresConnection
    let logger: Logger
    private var cursors = 0

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    public var dialect: SQLDialect { .postgres }

    @discardableResult
    public func run(_ sql: String, parameters: [any SQLBindable]) throws -> Int {
        let result = try wait(connection.query(try Self.query(sql, parameters), logger: logger), sql)
        return result.metadata.rows ?? 0
    }

    public func query(_ sql: String, parameters: [any SQLBindable]) throws -> [SQLRow] {
        try wait(connection.query(try Self.query(sql, parameters), logger: logger), sql).rows.map(Self.row)
    }

    public func queryOne(_ sql: String, parameters: [any SQLBindable]) throws -> SQLRow? {
        try query(sql, parameters: parameters).first
    }

    /// Reads through a cursor, a batch at a time, so a pass over every message holds one batch in memory.
    public func forEach(_ sql: String, _ params: [any SQLBindable], _ body: (SQLRow) throws -> Void) throws {
        cursors += 1
        let name = "custos_cursor_\(cursors)"
        try run("DECLARE \(name) NO SCROLL CURSOR FOR " + sql, parameters: params)
        while true {
            let rows = try query("FETCH FORWARD \(Self.batch) FROM \(name)", parameters: [])
            for row in rows { try body(row) }
            if rows.count < Self.batch { break }
        }
        try run("CLOSE \(name)", parameters: [])
    }

    /// Rows per FETCH: large enough that round trips cost little beside the rows, small enough to bound memory.
    static let batch = 500

    /// Runs one statement without parameters (transaction control, locks).
    public func execute(_ sql: String) throws {
        _ = try wait(connection.query(PostgresQuery(unsafeSQL: sql), logger: logger), sql)
    }

    private func wait<T: Sendable>(_ future: EventLoopFuture<T>, _ sql: String) throws -> T {
        do {
            return try future.wait()
        } catch {
            throw PostgresStoreError(error, statement: sql)
        }
    }

    /// `sql` with its `?` placeholders numbered for PostgreSQL, and `parameters` bound with matching types.
    static func query(_ sql: String, _ parameters: [any SQLBindable]) throws -> PostgresQuery {
        var bindings = PostgresBindings(capacity: parameters.count)
        for parameter in parameters {
            switch parameter.sqlValue {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .boolean(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            }
        }
        let numbered = try numberPlaceholders(sql, count: parameters.count)
        return PostgresQuery(unsafeSQL: numbered, binds: bindings)
    }

    /// Replaces each `?` outside quoted text with `$1`, `$2`, …; refuses a count that does not match the values,
    /// so a statement never runs with a parameter unbound.
    static func numberPlaceholders(_ sql: String, count: Int) throws -> String {
        // Bytes, not Characters: every byte that matters here is ASCII, and UTF-8 never hides an ASCII byte inside
        // a longer character, so this is exact and avoids grapheme breaking on every statement of the ingest path.
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count + 4 * count)
        var n = 0
        var quote: UInt8?
        for byte in sql.utf8 {
            if let q = quote {
                if byte == q { quote = nil }
                out.append(byte)
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                out.append(byte)
            } else if byte == UInt8(ascii: "?") {
                n += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(n).utf8)
            } else {
                out.append(byte)
            }
        }
        guard n == count else { throw PostgresStoreError.parameters(expected: n, given: count) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Copies one row out as engine-neutral values: PostgreSQL's integer widths become integers, booleans 1 or 0
    /// (the repositories read flags as SQLite keeps them), bytea bytes.
    static func row(_ row: PostgresRow) throws -> SQLRow {
        var values: [SQLValue] = []
        values.reserveCapacity(row.count)
        for cell in row {
            guard cell.bytes != nil else { values.append(.null); continue }
            switch cell.dataType {
            case .int8: values.append(.integer(try cell.decode(Int64.self)))
            case .int4: values.append(.integer(Int64(try cell.decode(Int32.self))))
            case .int2: values.append(.integer(Int64(try cell.decode(Int16.self))))
            case .bool: values.append(.integer(try cell.decode(Bool.self) ? 1 : 0))
            case .float8, .float4: values.append(.real(try cell.decode(Double.self)))
            case .text, .varchar, .name, .bpchar: values.append(.text(try cell.decode(String.self)))
            case .bytea:
                let buffer = try cell.decode(ByteBuffer.self)
                values.append(.blob(Array(buffer.readableBytesView)))
            default:
                throw PostgresStoreError.unsupportedColumn(cell.columnName, cell.dataType.description)
            }
        }
        return SQLRow(values)
    }
}

/// A store failure on PostgreSQL, in words that carry the server's reason and SQLSTATE but never the statement's
/// values (postgres-nio keeps those out of its own descriptions for the same reason).
public enum PostgresStoreError: Error, CustomStringConvertible {
    case server(reason: String, state: String?)
    case parameters(expected: Int, given: Int)
    case unsupportedColumn(String, String)
    case pool(String)

    /// `statement` (the SQL text, whose values are bound and never in it) is kept only for the errors that mean the
    /// statement itself is wrong for this server (syntax, an unknown function or column, a type mismatch): a bug to
    /// fix, which its text locates.
    init(_ error: any Error, statement: String? = nil) {
        if let error = error as? PostgresStoreError { self = error; return }
        let state = serverState(error)
        var reason = serverReason(error)
        if let statement, let state, state.hasPrefix("42") {
            reason += " in: " + String(statement.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " ").prefix(300))
        }
        self = .server(reason: reason, state: state)
    }

    /// The SQLSTATE of a server refusal, e.g. "40001" for a serialisation failure.
    public var state: String? {
        if case .server(_, let state) = self { return state }
        return nil
    }

    public var description: String {
        switch self {
        case .server(let reason, _): return "PostgreSQL: \(reason)"
        case .parameters(let expected, let given): return "a statement has \(expected) placeholders but \(given) values"
        case .unsupportedColumn(let name, let type): return "column \(name) has type \(type), which the store does not read"
        case .pool(let reason): return "PostgreSQL connections: \(reason)"
        }
    }
}
