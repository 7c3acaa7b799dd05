import CustosCore

/// Sessions in SQLite, found by token hash only.
struct SQLiteSessionRepository: SessionRepository {
    let db: SQLiteConnection

    func create(tokenHash: [UInt8], userID: Int64, stage: Session.Stage, activeRole: Role?, now: Int64,
                expiresAt: Int64, clientAddress: String) throws -> Session {
        try db.run("""
            INSERT INTO sessions (token_hash, user_id, stage, active_role, created_at, last_seen_at, expires_at, client_address)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, tokenHash, userID, stage.rawValue, activeRole?.rawValue, now, now, expiresAt, clientAddress)
        return Session(id: db.lastInsertRowID, userID: userID, stage: stage, activeRole: activeRole, createdAt: now,
                       lastSeenAt: now, expiresAt: expiresAt, clientAddress: clientAddress)
    }

    func find(tokenHash: [UInt8]) throws -> Session? {
        guard let r = try db.queryOne("""
            SELECT id, user_id, stage, active_role, created_at, last_seen_at, expires_at, client_address
            FROM sessions WHERE token_hash = ?
            """, tokenHash) else { return nil }
        guard let stage = Session.Stage(rawValue: try r.text(2)) else { return nil }
        return Session(id: try r.int(0), userID: try r.int(1), stage: stage,
                       activeRole: try r.optionalText(3).flatMap(Role.init(rawValue:)), createdAt: try r.int(4),
                       lastSeenAt: try r.int(5), expiresAt: try r.int(6), clientAddress: try r.text(7))
    }

    func touch(id: Int64, at: Int64) throws {
        try db.run("UPDATE sessions SET last_seen_at = ? WHERE id = ?", at, id)
    }

    func update(id: Int64, stage: Session.Stage, activeRole: Role?) throws {
        try db.run("UPDATE sessions SET stage = ?, active_role = ? WHERE id = ?", stage.rawValue, activeRole?.rawValue, id)
    }

    func delete(id: Int64) throws {
        try db.run("DELETE FROM sessions WHERE id = ?", id)
    }

    func deleteAll(userID: Int64, except keep: Int64?) throws {
        try db.run("DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?", userID, keep)
    }

    func deleteExpired(before cutoffIdle: Int64, now: Int64) throws -> Int {
        try db.run("DELETE FROM sessions WHERE last_seen_at < ? OR expires_at <= ?", cutoffIdle, now)
    }

    func count(userID: Int64) throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM sessions WHERE user_id = ?", userID)?.int(0) ?? 0)
    }
}

/// Failed sign-ins per opaque subject.
struct SQLiteLoginFailureRepository: LoginFailureRepository {
    let db: SQLiteConnection

    func record(subject: [UInt8], at: Int64) throws {
        try db.run("INSERT INTO login_failures (subject, at) VALUES (?, ?)", subject, at)
    }

    func count(subject: [UInt8], since: Int64) throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM login_failures WHERE subject = ? AND at >= ?", subject, since)?.int(0) ?? 0)
    }

    func clear(subject: [UInt8]) throws {
        try db.run("DELETE FROM login_failures WHERE subject = ?", subject)
    }
}
