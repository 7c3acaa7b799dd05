import CSQLite

/// What one connection owns: the sqlite3 handle, its statement cache and open streams; lives inside a Mutex.
struct ConnectionState {
    /// Bounds the cache so SQL built with a varying number of placeholders cannot grow it without limit.
    static let cacheLimit = 128

    let handle: OpaquePointer
    var cache: [String: SQLiteStatement] = [:]
    var streams: [Int: SQLiteStatement] = [:]
    var nextStream = 0
    /// False once `close` has run: the handle is gone and must not be closed again.
    var isOpen = true

    /// A ready statement for `sql`: the cached one if free, else a new one (cached when there is room).
    mutating func acquire(_ sql: String) throws -> SQLiteStatement {
        if let cached = cache[sql] {
            if !cached.inUse {
                cached.inUse = true
                return cached
            }
            // Same SQL already streaming on this connection: use a private copy, finalized after use.
            let extra = try SQLiteStatement(db: handle, sql: sql, persistent: false)
            extra.inUse = true
            return extra
        }
        let statement = try SQLiteStatement(db: handle, sql: sql, persistent: true)
        if cache.count >= Self.cacheLimit {
            cache = cache.filter { $0.value.inUse }
        }
        statement.inUse = true
        cache[sql] = statement
        return statement
    }

    /// Returns a statement to the cache, reset and with its bindings cleared.
    func release(_ statement: SQLiteStatement) {
        statement.reset()
        statement.inUse = false
    }

    /// Runs `sql` with `values` and hands each row to `row`, all under the caller's lock.
    mutating func run(_ sql: String, _ values: [SQLValue], _ row: (SQLRow) -> Void = { _ in }) throws {
        let statement = try acquire(sql)
        defer { release(statement) }
        try statement.bind(values)
        while try statement.step() {
            row(statement.row())
        }
    }

    /// Runs a script of zero or more statements without parameters, each prepared, stepped and finalized.
    func executeScript(_ sql: String) throws {
        try sql.withCString { start in
            var cursor = start
            while cursor.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let rc = sqlite3_prepare_v2(handle, cursor, -1, &statement, &tail)
                guard rc == SQLITE_OK else {
                    // Name the failing statement, not the whole script: migrations can be long.
                    throw SQLiteError.prepare(message: String(cString: sqlite3_errmsg(handle)),
                                              sql: String(String(cString: cursor).prefix(300)))
                }
                guard let statement else { break }  // only whitespace or comments were left
                defer { sqlite3_finalize(statement) }
                var step = sqlite3_step(statement)
                while step == SQLITE_ROW { step = sqlite3_step(statement) }
                guard step == SQLITE_DONE else { throw SQLiteError.from(code: step, db: handle) }
                guard let tail, tail != cursor else { break }
                cursor = tail
            }
        }
    }

    /// Ends the current transaction or savepoint, ignoring errors: SQLite may already have rolled it back.
    func rollback(savepoint: Bool) {
        if savepoint {
            try? executeScript("ROLLBACK TO custos_nested; RELEASE custos_nested")
        } else if sqlite3_get_autocommit(handle) == 0 {
            try? executeScript("ROLLBACK")
        }
    }

    /// Runs a script while an authorizer refuses BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE,
    /// so a script cannot end the transaction its caller wrapped it in.
    func executeWithoutTransactionControl(_ sql: String) throws {
        sqlite3_set_authorizer(handle, { _, action, _, _, _, _ in
            action == SQLITE_TRANSACTION || action == SQLITE_SAVEPOINT ? SQLITE_DENY : SQLITE_OK
        }, nil)
        defer { sqlite3_set_authorizer(handle, nil, nil) }
        try executeScript(sql)
    }

    /// Finalizes every statement, then closes; close_v2 copes with any statement still referenced. Runs once.
    mutating func close() {
        guard isOpen else { return }
        isOpen = false
        cache.removeAll()
        streams.removeAll()
        sqlite3_close_v2(handle)
    }
}
