import CSQLite
import CustosStore

/// The search baseline's side: a read-only connection of its own and statements prepared once, stepped with
/// SQLite's C API and nothing else (no Swift row objects, no transaction wrapper, no repository).
final class RawSQLite: DirectSQL {
    private let db: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// Opens `path` read-only.
    init(path: String) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            sqlite3_close_v2(handle)
            throw BenchError("cannot open \(path) for the direct-SQL baseline (rc \(rc))")
        }
        db = handle
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit {
        for s in statements.values { sqlite3_finalize(s) }
        sqlite3_close_v2(db)
    }

    var dialect: SQLDialect { .sqlite }

    /// Runs `sql` (prepared on first use) with `values`, handing each row's statement to `row`.
    func run(_ sql: String, _ values: [DirectValue], row: (OpaquePointer) throws -> Void) throws {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch v {
            case .integer(let n): rc = sqlite3_bind_int64(statement, index, n)
            case .text(let s): rc = sqlite3_bind_text(statement, index, s, -1, Self.transient)
            case .blob(let b): rc = b.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard rc == SQLITE_OK else { throw BenchError("bind failed (rc \(rc)) for: \(sql.prefix(80))") }
        }
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw BenchError("step failed (rc \(rc)): \(String(cString: sqlite3_errmsg(db)))") }
            try row(statement)
        }
    }

    /// Reads every column of the current row (lengths of texts and blobs, integers), as a caller of the C API
    /// would before using them, and returns a checksum so the work cannot be optimised away.
    static func touch(_ statement: OpaquePointer) -> Int64 {
        var sum: Int64 = 0
        for c in 0..<sqlite3_column_count(statement) {
            switch sqlite3_column_type(statement, c) {
            case SQLITE_INTEGER: sum &+= sqlite3_column_int64(statement, c)
            case SQLITE_TEXT:
                _ = sqlite3_column_text(statement, c)
                sum &+= Int64(sqlite3_column_bytes(statement, c))
            case SQLITE_BLOB:
                _ = sqlite3_column_blob(statement, c)
                sum &+= Int64(sqlite3_column_bytes(statement, c))
            default: break
            }
        }
        return sum
    }

    /// Integer column `c` of the current row.
    static func int(_ statement: OpaquePointer, _ c: Int) -> Int64 { sqlite3_column_int64(statement, Int32(c)) }

    /// Text column `c` of the current row.
    static func text(_ statement: OpaquePointer, _ c: Int) -> String {
        guard let p = sqlite3_column_text(statement, Int32(c)) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(statement, Int32(c)))), as: UTF8.self)
    }

    /// The query plan SQLite chooses for `sql`, one detail line per step.
    func plan(_ sql: String, _ values: [DirectValue]) throws -> [String] {
        var lines: [String] = []
        try run("EXPLAIN QUERY PLAN " + sql, values) { lines.append(Self.text($0, 3)) }
        return lines
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let s = statements[sql] { return s }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw BenchError("prepare failed: \(String(cString: sqlite3_errmsg(db))) in: \(sql.prefix(120))")
        }
        statements[sql] = statement
        return statement
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
