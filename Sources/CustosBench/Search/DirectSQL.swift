import CustosPostgres
import CustosStore
import PostgresNIO

/// A value bound to a statement of the search baseline.
enum DirectValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// The search baseline's side: the repository's SQL run on a connection of its own with the least machinery the
/// engine allows, rows read column by column. Generic rather than an existential so the SQLite side's timed loop
/// is what it was before PostgreSQL came in.
protocol DirectSQL {
    associatedtype Row
    var dialect: SQLDialect { get }
    /// Runs `sql` (with `?` placeholders) bound to `values`, handing each row to `row`.
    func run(_ sql: String, _ values: [DirectValue], row: (Row) throws -> Void) throws
    /// The engine's plan for `sql`, a line per step.
    func plan(_ sql: String, _ values: [DirectValue]) throws -> [String]
    /// Integer column `c` of a row.
    static func int(_ row: Row, _ c: Int) throws -> Int64
    /// Text column `c` of a row.
    static func text(_ row: Row, _ c: Int) throws -> String
    /// Reads every column of a row as a caller would before using it; a checksum, so the work is not optimised away.
    static func touch(_ row: Row) -> Int64
}

/// The search baseline on PostgreSQL, what psql does: one plain connection of its own (the application role, as
/// Custos signs in), each statement sent as it is with its bound values (one round trip: parse, bind, execute;
/// nothing prepared ahead, no transaction opened around it), rows read from the wire column by column.
final class RawPostgres: DirectSQL {
    private let connection: PostgresConnection
    private let logger = Logger(label: "custos.bench.direct")
    /// Each statement's text with `$n` placeholders, numbered once.
    private var numbered: [String: String] = [:]

    /// Connects to `endpoint`; the answers come back on NIO's shared loops, never the calling thread's.
    init(endpoint: PostgresEndpoint) throws {
        connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: endpoint.configuration,
                                                    id: 0, logger: logger).wait()
    }

    deinit {
        let connection = self.connection
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    var dialect: SQLDialect { .postgres }

    func run(_ sql: String, _ values: [DirectValue], row: (PostgresRow) throws -> Void) throws {
        var bindings = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .integer(let n): bindings.append(n)
            case .text(let s): bindings.append(s)
            case .blob(let b): bindings.append(ByteBuffer(bytes: b))
            }
        }
        let text = try numbered[sql] ?? number(sql, count: values.count)
        do {
            for r in try connection.query(PostgresQuery(unsafeSQL: text, binds: bindings), logger: logger).wait().rows { try row(r) }
        } catch let error as PSQLError {
            throw BenchError("direct SQL failed: \(serverReason(error)) in: \(sql.prefix(160))")
        }
    }

    func plan(_ sql: String, _ values: [DirectValue]) throws -> [String] {
        var lines: [String] = []
        try run("EXPLAIN (COSTS OFF) " + sql, values) { lines.append(try Self.text($0, 0).trimmingCharacters(in: .whitespaces)) }
        return lines
    }

    static func int(_ row: PostgresRow, _ c: Int) throws -> Int64 { try PostgresRandomAccessRow(row)[c].decode(Int64.self) }

    static func text(_ row: PostgresRow, _ c: Int) throws -> String { try PostgresRandomAccessRow(row)[c].decode(String.self) }

    static func touch(_ row: PostgresRow) -> Int64 {
        var sum: Int64 = 0
        for cell in row {
            guard let bytes = cell.bytes else { continue }
            if cell.dataType == .int8, let n = try? cell.decode(Int64.self) {
                sum &+= n
            } else {
                sum &+= Int64(bytes.readableBytes)
            }
        }
        return sum
    }

    /// `sql` with its `?` placeholders (none inside quotes in the benchmark's statements) numbered `$1…$n`.
    private func number(_ sql: String, count: Int) throws -> String {
        var out = ""
        var n = 0
        var quoted = false
        for ch in sql {
            if ch == "'" { quoted.toggle() }
            if ch == "?" && !quoted {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        guard n == count else { throw BenchError("\(n) placeholders but \(count) values in: \(sql.prefix(120))") }
        numbered[sql] = out
        return out
    }
}
