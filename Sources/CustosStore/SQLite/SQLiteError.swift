import CSQLite

/// A failure reported by SQLite or by the typed accessors of this layer.
public enum SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    case open(path: String, message: String)
    case prepare(message: String, sql: String)
    /// Any other failure while running a statement; `code` is SQLite's extended result code.
    case step(code: Int32, message: String)
    /// The SQLITE_CONSTRAINT family, including `RAISE(ABORT, 'message')` from a trigger.
    case constraint(message: String)
    case typeMismatch(column: Int, expected: String)
    /// The database stayed locked by another connection for longer than busy_timeout.
    case busy

    /// A sentence for logs; never contains bound values, only SQL text and SQLite's message.
    public var description: String {
        switch self {
        case .open(let path, let message):
            return "cannot open SQLite database at \(path): \(message)"
        case .prepare(let message, let sql):
            return "cannot prepare SQL (\(message)): \(sql.prefix(300))"
        case .step(let code, let message):
            return "SQLite error \(code): \(message)"
        case .constraint(let message):
            return "constraint failed: \(message)"
        case .typeMismatch(let column, let expected):
            return "column \(column) is not \(expected)"
        case .busy:
            return "database is busy (locked by another connection beyond the busy timeout)"
        }
    }

    /// Maps a failing result code to the case callers switch on, reading the message before it changes.
    static func from(code: Int32, db: OpaquePointer?) -> SQLiteError {
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        switch code & 0xFF {
        case SQLITE_CONSTRAINT: return .constraint(message: message)
        case SQLITE_BUSY: return .busy
        default: return .step(code: code, message: message)
        }
    }
}
