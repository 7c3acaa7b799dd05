import CSQLite

/// SQLite's SQLITE_TRANSIENT, which Swift does not import: SQLite copies bound bytes before the call returns.
private var sqliteTransient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

/// One prepared statement; owned by a connection's state and only touched under its lock.
final class SQLiteStatement {
    let handle: OpaquePointer
    let sql: String
    /// True while a caller holds it (a streaming `forEach`), so a nested use of the same SQL prepares its own.
    var inUse = false
    private let db: OpaquePointer
    private let columnCount: Int32
    private let parameterCount: Int32

    /// Prepares exactly one statement; trailing statements are refused because they would silently never run.
    init(db: OpaquePointer, sql: String, persistent: Bool) throws {
        var statement: OpaquePointer?
        var rest = false
        let rc = sql.withCString { start -> Int32 in
            var tail: UnsafePointer<CChar>?
            let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
            let rc = sqlite3_prepare_v3(db, start, -1, flags, &statement, &tail)
            if rc == SQLITE_OK, let tail, tail.pointee != 0 {
                // Whitespace and comments after the statement prepare to nothing and are fine.
                var extra: OpaquePointer?
                if sqlite3_prepare_v2(db, tail, -1, &extra, nil) != SQLITE_OK || extra != nil { rest = true }
                sqlite3_finalize(extra)
            }
            return rc
        }
        guard rc == SQLITE_OK, let statement else {
            let message = rc == SQLITE_OK ? "no statement in SQL text" : String(cString: sqlite3_errmsg(db))
            sqlite3_finalize(statement)
            throw SQLiteError.prepare(message: message, sql: sql)
        }
        guard !rest else {
            sqlite3_finalize(statement)
            throw SQLiteError.prepare(message: "more than one statement; use execute(_:) for scripts", sql: sql)
        }
        self.handle = statement
        self.db = db
        self.sql = sql
        self.columnCount = sqlite3_column_count(statement)
        self.parameterCount = sqlite3_bind_parameter_count(statement)
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds positional parameters; a count mismatch is an error rather than a silent NULL.
    func bind(_ values: [SQLValue]) throws {
        guard values.count == Int(parameterCount) else {
            throw SQLiteError.prepare(
                message: "statement has \(parameterCount) parameters but \(values.count) values were bound", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null:
                rc = sqlite3_bind_null(handle, index)
            case .integer(let v):
                rc = sqlite3_bind_int64(handle, index, v)
            case .boolean(let v):
                rc = sqlite3_bind_int64(handle, index, v ? 1 : 0)
            case .real(let v):
                rc = sqlite3_bind_double(handle, index, v)
            case .text(let v):
                rc = bindText(v, at: index)
            case .blob(let v):
                // A nil pointer would bind NULL, so an empty blob needs zeroblob(0) to stay a BLOB.
                rc = v.isEmpty
                    ? sqlite3_bind_zeroblob(handle, index, 0)
                    : v.withUnsafeBytes { sqlite3_bind_blob64(handle, index, $0.baseAddress, UInt64($0.count), sqliteTransient) }
            }
            guard rc == SQLITE_OK else { throw SQLiteError.from(code: rc, db: db) }
        }
    }

    private func bindText(_ text: String, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                // Empty text needs a non-nil pointer, or SQLite would store NULL.
                return sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text64(handle, index, $0, UInt64(bytes.count), sqliteTransient, UInt8(SQLITE_UTF8))
            }
        }
    }

    /// Advances; true when a row is available, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError.from(code: rc, db: db)
        }
    }

    /// Copies the current row out, so it stays valid after the next step.
    func row() -> SQLRow {
        var values: [SQLValue] = []
        values.reserveCapacity(Int(columnCount))
        for i in 0..<columnCount {
            values.append(column(i))
        }
        return SQLRow(values)
    }

    private func column(_ i: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, i))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, i))
        case SQLITE_TEXT:
            // column_text before column_bytes, as SQLite's documentation requires.
            guard let p = sqlite3_column_text(handle, i) else { return .text("") }
            let n = Int(sqlite3_column_bytes(handle, i))
            return .text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        case SQLITE_BLOB:
            let p = sqlite3_column_blob(handle, i)
            let n = Int(sqlite3_column_bytes(handle, i))
            guard let p, n > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default:
            return .null
        }
    }

    /// Makes the statement reusable: ends any open read and drops bound values (they may be secrets).
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}
