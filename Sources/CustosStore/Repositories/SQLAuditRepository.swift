import CustosCore

/// The audit log in SQLite. There is no update or delete here, and schema triggers refuse both.
struct SQLAuditRepository: AuditRepository {
    let db: any SQLDatabase

    private static let columns = "seq, at, actor, role, action, target, details, client, prev_hash, hash"

    func last() throws -> AuditEntry? {
        try db.queryOne("SELECT " + Self.columns + " FROM audit_events ORDER BY seq DESC LIMIT 1").map(entry(from:))
    }

    func append(_ e: AuditEntry) throws {
        try db.run("""
            INSERT INTO audit_events (seq, at, actor, role, action, target, details, client, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, e.seq, e.at, e.actor, e.role, e.action, e.target, e.details, e.client, e.prevHash, e.hash)
    }

    func appendCheckpoint(_ c: AuditCheckpoint) throws {
        try db.run("INSERT INTO audit_checkpoints (seq, at, hash, signature) VALUES (?, ?, ?, ?)", c.seq, c.at, c.hash, c.signature)
    }

    func entries(from seq: Int64, limit: Int) throws -> [AuditEntry] {
        try db.query("SELECT " + Self.columns + " FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?", seq, limit).map(entry(from:))
    }

    func forEachEntry(_ body: (AuditEntry) throws -> Void) throws {
        try db.forEach("SELECT " + Self.columns + " FROM audit_events ORDER BY seq", []) { try body(entry(from: $0)) }
    }

    func checkpoints() throws -> [AuditCheckpoint] {
        try db.query("SELECT seq, at, hash, signature FROM audit_checkpoints ORDER BY seq").map {
            AuditCheckpoint(seq: try $0.int(0), at: try $0.int(1), hash: try $0.blob(2), signature: try $0.blob(3))
        }
    }

    func entry(seq: Int64) throws -> AuditEntry? {
        try db.queryOne("SELECT " + Self.columns + " FROM audit_events WHERE seq = ?", seq).map(entry(from:))
    }

    func count(action: String) throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM audit_events WHERE action = ?", action)?.int(0) ?? 0)
    }

    func entries(action: String) throws -> [AuditEntry] {
        try db.query("SELECT " + Self.columns + " FROM audit_events WHERE action = ? ORDER BY seq", action).map(entry(from:))
    }

    func search(_ q: AuditQuery, limit: Int) throws -> [AuditEntry] {
        var conditions: [String] = []
        var params: [any SQLBindable] = []
        for (column, value) in [("actor", q.actor), ("role", q.role), ("action", q.action)] {
            if let value {
                conditions.append(column + " = ?")
                params.append(value)
            }
        }
        if let target = q.target {
            if target.hasSuffix("*") {
                let prefix = String(target.dropLast())
                conditions.append("target >= ? AND target < ?")
                params += [prefix, prefix + "\u{10FFFF}"]
            } else {
                conditions.append("target = ?")
                params.append(target)
            }
        }
        if let a = q.afterSeconds {
            conditions.append("at >= ?")
            params.append(a)
        }
        if let b = q.beforeSeconds {
            conditions.append("at < ?")
            params.append(b)
        }
        if let c = q.cursor {
            conditions.append("at <= ?")
            conditions.append("(at < ? OR (at = ? AND seq < ?))")
            params += [c.sentAt, c.sentAt, c.sentAt, c.id]
        }
        params.append(limit)
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try db.query("SELECT " + Self.columns + " FROM audit_events" + filter + " ORDER BY at DESC, seq DESC LIMIT ?",
                            parameters: params).map(entry(from:))
    }

    func entries(from: Int64, until: Int64) throws -> [AuditEntry] {
        try db.query("SELECT " + Self.columns + " FROM audit_events WHERE at >= ? AND at < ? ORDER BY seq", from, until).map(entry(from:))
    }

    func lastCheckpoint() throws -> AuditCheckpoint? {
        try db.queryOne("SELECT seq, at, hash, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").map {
            AuditCheckpoint(seq: try $0.int(0), at: try $0.int(1), hash: try $0.blob(2), signature: try $0.blob(3))
        }
    }

    func checkpoint(atOrAfter seq: Int64) throws -> AuditCheckpoint? {
        try db.queryOne("SELECT seq, at, hash, signature FROM audit_checkpoints WHERE seq >= ? ORDER BY seq LIMIT 1", seq).map {
            AuditCheckpoint(seq: try $0.int(0), at: try $0.int(1), hash: try $0.blob(2), signature: try $0.blob(3))
        }
    }

    func ingestEntry(atOrAfter messageID: Int64) throws -> AuditEntry? {
        // The expression and the WHERE match each engine's partial index (SQLite's 0013), so this is one index seek.
        let lastID = db.dialect.jsonInteger("details", "last_id")
        return try db.queryOne("SELECT " + Self.columns + " FROM audit_events WHERE action = 'messages.ingested' "
                        + "AND \(lastID) >= ? ORDER BY \(lastID) LIMIT 1", messageID).map(entry(from:))
    }

    private func entry(from r: SQLRow) throws -> AuditEntry {
        AuditEntry(seq: try r.int(0), at: try r.int(1), actor: try r.text(2), role: try r.text(3), action: try r.text(4),
                   target: try r.text(5), details: try r.text(6), client: try r.text(7), prevHash: try r.blob(8),
                   hash: try r.blob(9))
    }
}
