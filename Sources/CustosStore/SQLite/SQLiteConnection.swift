import CSQLite
import Synchronization

/// One SQLite connection with a prepared-statement cache.
///
/// It is Sendable because its handle lives in a Mutex: that is how Swift 6 lets a Database's
/// locks hand it to a caller's closure with no unchecked conformance. The internal lock only keeps the
/// handle memory-safe; transactions are exclusive because `Database` hands a connection to one
/// closure at a time. Do not keep a connection beyond the closure it was given to.
public final class SQLiteConnection: SQLDatabase, Sendable {
    public var dialect: SQLDialect { .sqlite }

    private let state: Mutex<ConnectionState>

    /// Opens (creating unless `readOnly`) the database at `path`, with extended result codes on.
    public init(path: String, readOnly: Bool = false) throws {
        var handle: OpaquePointer?
        // NOMUTEX: SQLite's own mutex would be redundant with ours.
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(handle)
            throw SQLiteError.open(path: path, message: message)
        }
        sqlite3_extended_result_codes(handle, 1)
        state = Mutex(ConnectionState(handle: handle))
    }

    deinit {
        close()
    }

    /// Closes the handle now rather than when the last reference goes; the owner makes sure nothing uses the
    /// connection afterwards (`Database.close` does so under its locks).
    func close() {
        state.withLock { $0.close() }
    }

    /// Runs one or more statements without parameters (pragmas, migrations, DDL).
    public func execute(_ sql: String) throws {
        try state.withLock { try $0.executeScript(sql) }
    }

    /// Array form of `run`, for parameters assembled at run time (e.g. an IN list).
    @discardableResult
    public func run(_ sql: String, parameters: [any SQLBindable]) throws -> Int {
        let values = parameters.map(\.sqlValue)
        return try state.withLock { state in
            try state.run(sql, values)
            return Int(sqlite3_changes64(state.handle))
        }
    }

    /// Runs one query and returns its first row, or nil when there is none.
    public func queryOne(_ sql: String, parameters: [any SQLBindable]) throws -> SQLRow? {
        let values = parameters.map(\.sqlValue)
        return try state.withLock { state -> SQLRow? in
            let statement = try state.acquire(sql)
            defer { state.release(statement) }
            try statement.bind(values)
            return try statement.step() ? statement.row() : nil
        }
    }

    /// Array form of `query`, for parameters assembled at run time (e.g. an IN list).
    public func query(_ sql: String, parameters: [any SQLBindable]) throws -> [SQLRow] {
        let values = parameters.map(\.sqlValue)
        var rows: [SQLRow] = []
        try state.withLock { try $0.run(sql, values) { rows.append($0) } }
        return rows
    }

    /// Streams rows to `body` one at a time without collecting them.
    /// The lock is released around each call to `body`, so it may use this connection too.
    public func forEach(_ sql: String, _ params: [any SQLBindable], _ body: (SQLRow) throws -> Void) throws {
        let values = params.map(\.sqlValue)
        let token = try state.withLock { state -> Int in
            let statement = try state.acquire(sql)
            do {
                try statement.bind(values)
            } catch {
                state.release(statement)
                throw error
            }
            state.nextStream += 1
            state.streams[state.nextStream] = statement
            return state.nextStream
        }
        defer {
            state.withLock { state in
                if let statement = state.streams.removeValue(forKey: token) { state.release(statement) }
            }
        }
        while let row = try state.withLock({ state -> SQLRow? in
            guard let statement = state.streams[token] else { return nil }
            return try statement.step() ? statement.row() : nil
        }) {
            try body(row)
        }
    }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        state.withLock { sqlite3_last_insert_rowid($0.handle) }
    }

    /// Runs `body` in a transaction: BEGIN IMMEDIATE (or DEFERRED) … COMMIT, rolled back if it throws.
    /// Inside an open transaction it uses a savepoint, so nested calls undo only their own work.
    @discardableResult
    public func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        let nested = try state.withLock { state -> Bool in
            if sqlite3_get_autocommit(state.handle) == 0 {
                // One name suffices: SQLite resolves a savepoint name to the innermost one.
                try state.executeScript("SAVEPOINT custos_nested")
                return true
            }
            try state.executeScript(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
            return false
        }
        do {
            let result = try body()
            try state.withLock { try $0.executeScript(nested ? "RELEASE custos_nested" : "COMMIT") }
            return result
        } catch {
            state.withLock { $0.rollback(savepoint: nested) }
            throw error
        }
    }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool {
        state.withLock { sqlite3_get_autocommit($0.handle) == 0 }
    }

    /// Runs a script that may not contain transaction control, for the migrator's one-transaction-per-file rule.
    func executeWithoutTransactionControl(_ sql: String) throws {
        try state.withLock { try $0.executeWithoutTransactionControl(sql) }
    }

    /// Has `checkpointer` told of every commit on this connection (`sqlite3_wal_hook`), which also turns off
    /// SQLite's own automatic checkpoints here. The caller keeps `checkpointer` alive as long as this connection.
    func reportCommits(to checkpointer: BackgroundCheckpointer) {
        state.withLock { s in
            _ = sqlite3_wal_hook(s.handle, { context, db, _, frames in
                if let context, let db {
                    Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(frames: Int(frames), writer: db)
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(checkpointer).toOpaque())
        }
    }

    /// How many statements the cache holds; tests use it to prove reuse.
    var cachedStatementCount: Int {
        state.withLock { $0.cache.count }
    }
}
