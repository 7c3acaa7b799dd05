import CustosCore

/// Sessions in SQLite, found by token hash only.
struct SQLSessionRepository: SessionRepository {
    let db: any SQLDatabase

    func create(tokenHash: [UInt8], userID: Int64, stage: Session.Stage, activeRole: Role?, now: Int64,
                expiresAt: Int64, clientAddress: String) throws -> Session {
        let id = try db.insert("""
            INSERT INTO sessions (token_hash, user_id, stage, active_role, created_at, last_seen_at, expires_at, client_address)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, tokenHash, userID, stage.rawValue, activeRole?.rawValue, now, now, expiresAt, clientAddress)
        return Session(id: id, userID: userID, stage: stage, activeRole: activeRole, createdAt: now,
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

    func activate(id: Int64) throws -> Bool {
        try db.run("UPDATE sessions SET stage = 'active' WHERE id = ? AND stage = 'totp'", id) == 1
    }

    func delete(id: Int64) throws {
        try db.run("DELETE FROM sessions WHERE id = ?", id)
    }

    func deleteAll(userID: Int64, except keep: Int64?) throws {
        try db.run("DELETE FROM sessions WHERE user_id = ? AND id IS DISTINCT FROM ?", userID, keep)
    }

    @discardableResult
    func deleteAll(userID: Int64, stage: Session.Stage) throws -> Int {
        try db.run("DELETE FROM sessions WHERE user_id = ? AND stage = ?", userID, stage.rawValue)
    }

    func deleteExpired(now: Int64, idleSince: Int64, pendingSince: Int64) throws -> Int {
        try db.run("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ? OR (stage = 'totp' AND last_seen_at <= ?)",
                   now, idleSince, pendingSince)
    }

    func count(userID: Int64) throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM sessions WHERE user_id = ?", userID)?.int(0) ?? 0)
    }
}

/// Attempts counted by the throttle, and its audit notices, per opaque subject.
struct SQLLoginFailureRepository: LoginFailureRepository {
    let db: any SQLDatabase

    @discardableResult
    func record(subject: [UInt8], at: Int64) throws -> Int64 {
        return try db.insert("INSERT INTO login_failures (subject, at) VALUES (?, ?) RETURNING id", subject, at)
    }

    func remove(ids: [Int64]) throws {
        for id in ids { try db.run("DELETE FROM login_failures WHERE id = ?", id) }
    }

    func tally(subject: [UInt8], since: Int64) throws -> ThrottleTally {
        guard let r = try db.queryOne("SELECT count(*), min(at), max(at) FROM login_failures WHERE subject = ? AND at >= ?",
                                      subject, since) else { return ThrottleTally(count: 0, oldest: nil, newest: nil) }
        return ThrottleTally(count: Int(try r.int(0)), oldest: try r.optionalInt(1), newest: try r.optionalInt(2))
    }

    func clear(subject: [UInt8]) throws {
        try db.run("DELETE FROM login_failures WHERE subject = ?", subject)
    }

    func notice(subject: [UInt8]) throws -> ThrottleNotice? {
        guard let r = try db.queryOne("SELECT since, refused FROM throttle_notices WHERE subject = ?", subject) else { return nil }
        return ThrottleNotice(since: try r.int(0), refused: Int(try r.int(1)))
    }

    func saveNotice(subject: [UInt8], _ notice: ThrottleNotice) throws {
        try db.run("""
            INSERT INTO throttle_notices (subject, since, refused) VALUES (?, ?, ?)
            ON CONFLICT (subject) DO UPDATE SET since = excluded.since, refused = excluded.refused
            """, subject, notice.since, notice.refused)
    }

    func purge(before: Int64, noticesBefore: Int64) throws -> Int {
        try db.run("DELETE FROM login_failures WHERE at < ?", before)
            + db.run("DELETE FROM throttle_notices WHERE since < ?", noticesBefore)
    }
}
