import CustosCore

/// Matters, legal holds and hold notices in SQLite (Migrations/0006).
struct SQLHoldRepository: HoldRepository {
    let db: any SQLDatabase

    // MARK: Matters

    func createMatter(name: [UInt8], description: [UInt8], by userID: Int64, at: Int64) throws -> Int64 {
        return try db.insert("INSERT INTO matters (name, description, status, created_at, created_by, updated_at) VALUES (?, ?, 'open', ?, ?, ?) RETURNING id",
                   name, description, at, userID, at)
    }

    private static let matterColumns = """
        SELECT m.id, m.name, m.description, m.status, m.created_at, u.username, m.updated_at,
               (SELECT count(*) FROM legal_holds h WHERE h.matter_id = m.id AND h.released_at IS NULL)
        FROM matters m JOIN users u ON u.id = m.created_by
        """

    func matter(id: Int64) throws -> MatterRecord? {
        try db.queryOne(Self.matterColumns + " WHERE m.id = ?", id).map(matter(from:))
    }

    func matters() throws -> [MatterRecord] {
        try db.query(Self.matterColumns + " ORDER BY m.status = 'closed', m.id DESC").map(matter(from:))
    }

    func updateMatter(id: Int64, name: [UInt8], description: [UInt8], status: MatterRecord.Status, at: Int64) throws {
        _ = try db.run("UPDATE matters SET name = ?, description = ?, status = ?, updated_at = ? WHERE id = ?",
                       name, description, status.rawValue, at, id)
    }

    func members(matterID: Int64) throws -> [MatterMember] {
        try db.query("""
            SELECT mm.user_id, u.username, mm.added_at FROM matter_members mm JOIN users u ON u.id = mm.user_id
            WHERE mm.matter_id = ? ORDER BY mm.added_at, u.username
            """, matterID).map { MatterMember(userID: try $0.int(0), username: try $0.text(1), addedAt: try $0.int(2)) }
    }

    func addMember(matterID: Int64, userID: Int64, by: Int64, at: Int64) throws {
        try db.run("INSERT INTO matter_members (matter_id, user_id, added_at, added_by) VALUES (?, ?, ?, ?)", matterID, userID, at, by)
    }

    // MARK: Holds

    func createHold(matterID: Int64, terms: [HoldTerm], after: Int64?, before: Int64?, by userID: Int64, at: Int64) throws -> Int64 {
        let id = try db.insert("""
            INSERT INTO legal_holds (matter_id, sent_after, sent_before, term_count, placed_at, placed_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id
            """, matterID, after, before, terms.count, at, userID)
        for t in terms {
            let value: any SQLBindable = t.platform.map(db.dialect.platformName) ?? t.token ?? []
            try db.run("INSERT INTO hold_terms (hold_id, kind, value, display) VALUES (?, ?, ?, ?)", id, t.kind.rawValue, value, t.display)
        }
        return id
    }

    private static let holdColumns = """
        SELECT h.id, h.matter_id, h.sent_after, h.sent_before, h.placed_at, p.username, h.released_at, r.username, h.release_reason
        FROM legal_holds h JOIN users p ON p.id = h.placed_by LEFT JOIN users r ON r.id = h.released_by
        """

    func hold(id: Int64) throws -> HoldRecord? {
        try db.queryOne(Self.holdColumns + " WHERE h.id = ?", id).map(hold(from:))
    }

    func holds(matterID: Int64) throws -> [HoldRecord] {
        try db.query(Self.holdColumns + " WHERE h.matter_id = ? ORDER BY h.released_at IS NOT NULL, h.id DESC", matterID).map(hold(from:))
    }

    func activeHolds() throws -> [HoldRecord] {
        try db.query(Self.holdColumns + " WHERE h.released_at IS NULL ORDER BY h.id").map(hold(from:))
    }

    func terms(holdID: Int64) throws -> [HoldTerm] {
        try db.query("SELECT kind, value, display FROM hold_terms WHERE hold_id = ? ORDER BY kind, value", holdID).compactMap { r in
            guard let kind = HoldTermKind(rawValue: try r.text(0)) else { return nil }
            return kind == .platform
                ? HoldTerm(kind: kind, token: nil, platform: try r.platformName(1), display: nil)
                : HoldTerm(kind: kind, token: try r.blob(1), platform: nil, display: try r.optionalBlob(2))
        }
    }

    func release(holdID: Int64, by userID: Int64, at: Int64, reason: [UInt8]) throws {
        let changed = try db.run("UPDATE legal_holds SET released_at = ?, released_by = ?, release_reason = ? WHERE id = ? AND released_at IS NULL",
                                 at, userID, reason, holdID)
        guard changed == 1 else { throw DomainError.conflict("This hold was already released.") }
    }

    func releasedHoldIDs() throws -> [Int64] {
        try db.query("SELECT id FROM legal_holds WHERE released_at IS NOT NULL ORDER BY id").map { try $0.int(0) }
    }

    func countMatching(_ scope: ScopeTokens) throws -> Int {
        let p = ScopeSQL.predicate(scope, id: "m.id", time: "m.sent_at", message: "m")
        return Int(try db.query("SELECT count(*) FROM messages m WHERE " + p.sql, parameters: p.params).first?.int(0) ?? 0)
    }

    func holdsCovering(messageID: Int64) throws -> [(holdID: Int64, matterID: Int64, active: Bool)] {
        try db.query("SELECT hold_id, matter_id, active FROM hold_coverage WHERE message_id = ? ORDER BY hold_id", messageID).map {
            (holdID: try $0.int(0), matterID: try $0.int(1), active: try $0.int(2) != 0)
        }
    }

    // MARK: Notices

    func addNotice(holdID: Int64, person: [UInt8], by userID: Int64, at: Int64) throws -> Int64 {
        return try db.insert("INSERT INTO hold_notices (hold_id, person, notified_at, notified_by) VALUES (?, ?, ?, ?) RETURNING id", holdID, person, at, userID)
    }

    func notices(holdID: Int64) throws -> [HoldNoticeRecord] {
        try db.query("""
            SELECT n.id, n.hold_id, n.person, n.notified_at, u.username, n.acknowledged_at FROM hold_notices n
            JOIN users u ON u.id = n.notified_by WHERE n.hold_id = ? ORDER BY n.id
            """, holdID).map {
            HoldNoticeRecord(id: try $0.int(0), holdID: try $0.int(1), person: try $0.blob(2), notifiedAt: try $0.int(3),
                             notifiedBy: try $0.text(4), acknowledgedAt: try $0.optionalInt(5))
        }
    }

    func acknowledgeNotice(id: Int64, holdID: Int64, at: Int64) throws -> Bool {
        try db.run("UPDATE hold_notices SET acknowledged_at = ? WHERE id = ? AND hold_id = ? AND acknowledged_at IS NULL", at, id, holdID) == 1
    }

    // MARK: Rows

    private func matter(from r: SQLRow) throws -> MatterRecord {
        MatterRecord(id: try r.int(0), name: try r.blob(1), description: try r.blob(2),
                     status: MatterRecord.Status(rawValue: try r.text(3)) ?? .open, createdAt: try r.int(4), createdBy: try r.text(5),
                     updatedAt: try r.int(6), activeHolds: Int(try r.int(7)))
    }

    private func hold(from r: SQLRow) throws -> HoldRecord {
        HoldRecord(id: try r.int(0), matterID: try r.int(1), after: try r.optionalInt(2), before: try r.optionalInt(3),
                   placedAt: try r.int(4), placedBy: try r.text(5), releasedAt: try r.optionalInt(6), releasedBy: try r.optionalText(7),
                   releaseReason: try r.optionalBlob(8))
    }
}

/// A scope as SQL over one message: true when the message matches every kind the scope sets. The
/// same meaning as the schema's `hold_coverage` view, written so the index can drive it: participant
/// and domain terms become `IN` lists over the participant indexes. Values are bound, never spliced.
enum ScopeSQL {
    /// `id` and `time` name the message's id and sent_at columns; `message` is the alias of `messages`.
    static func predicate(_ s: ScopeTokens, id: String, time: String, message m: String) -> (sql: String, params: [any SQLBindable]) {
        var parts: [String] = []
        var params: [any SQLBindable] = []
        func list(_ n: Int) -> String { "(" + Array(repeating: "?", count: n).joined(separator: ", ") + ")" }
        if let a = s.after {
            parts.append(time + " >= ?")
            params.append(a)
        }
        if let b = s.before {
            parts.append(time + " < ?")
            params.append(b)
        }
        if !s.platforms.isEmpty {
            parts.append(m + ".platform IN " + list(s.platforms.count))
            params += s.platforms.map { $0 as any SQLBindable }
        }
        if !s.conversations.isEmpty {
            parts.append(m + ".conversation IN " + list(s.conversations.count))
            params += s.conversations.map { $0 as any SQLBindable }
        }
        if !s.participants.isEmpty {
            parts.append(id + " IN (SELECT message_id FROM message_participants WHERE token IN " + list(s.participants.count) + ")")
            params += s.participants.map { $0 as any SQLBindable }
        }
        if !s.domains.isEmpty {
            parts.append(id + " IN (SELECT message_id FROM message_participants WHERE domain_token IN " + list(s.domains.count) + ")")
            params += s.domains.map { $0 as any SQLBindable }
        }
        return (parts.isEmpty ? "TRUE" : "(" + parts.joined(separator: " AND ") + ")", params)
    }

    /// True when any of `scopes` matches; false when there is none.
    static func any(_ scopes: [ScopeTokens], id: String, time: String, message m: String) -> (sql: String, params: [any SQLBindable]) {
        guard !scopes.isEmpty else { return ("FALSE", []) }
        let each = scopes.map { predicate($0, id: id, time: time, message: m) }
        return ("(" + each.map(\.sql).joined(separator: " OR ") + ")", each.flatMap(\.params))
    }
}
