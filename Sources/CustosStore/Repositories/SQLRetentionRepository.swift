import CustosCore

/// Retention policies, capture rules, disposition runs and disposals in SQLite (Migrations/0006).
struct SQLRetentionRepository: RetentionRepository {
    let db: any SQLDatabase

    private static let policyColumns = """
        SELECT p.name, p.period_days, p.description, p.created_at, p.updated_at,
               EXISTS (SELECT 1 FROM retention_classes c WHERE c.name = p.name)
        FROM retention_policies p
        """

    func policies() throws -> [RetentionPolicy] {
        try db.query(Self.policyColumns + " ORDER BY p.name <> 'default', p.name").map(policy(from:))
    }

    func policy(name: String) throws -> RetentionPolicy? {
        try db.queryOne(Self.policyColumns + " WHERE p.name = ?", name).map(policy(from:))
    }

    func createPolicy(name: String, periodDays: Int, description: String, at: Int64) throws {
        try db.run("INSERT INTO retention_policies (name, period_days, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                   name, periodDays, description, at, at)
    }

    func setPeriod(name: String, periodDays: Int, description: String, at: Int64) throws {
        try db.run("UPDATE retention_policies SET period_days = ?, description = ?, updated_at = ? WHERE name = ?",
                   periodDays, description, at, name)
    }

    func rules() throws -> [RetentionRule] {
        try db.query("""
            SELECT r.id, r.kind, r.value, r.display, r.class, r.created_at, u.username FROM retention_rules r
            JOIN users u ON u.id = r.created_by ORDER BY r.kind DESC, r.id
            """).compactMap { r in
            guard let kind = RetentionRuleKind(rawValue: try r.text(1)) else { return nil }
            return RetentionRule(id: try r.int(0), kind: kind, platform: kind == .platform ? try r.platformName(2) : nil,
                                 token: kind == .conversation ? try r.blob(2) : nil, display: try r.optionalBlob(3),
                                 className: try r.text(4), createdAt: try r.int(5), createdBy: try r.text(6))
        }
    }

    func addRule(kind: RetentionRuleKind, platform: String?, token: [UInt8]?, display: [UInt8]?, className: String,
                 by userID: Int64, at: Int64) throws -> Int64 {
        let value: any SQLBindable = platform.map(db.dialect.platformName) ?? token ?? []
        return try db.insert("INSERT INTO retention_rules (kind, value, display, class, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                   kind.rawValue, value, display, className, at, userID)
    }

    func deleteRule(id: Int64) throws -> Bool {
        try db.run("DELETE FROM retention_rules WHERE id = ?", id) == 1
    }

    func startRun(dryRun: Bool, actor: String, at: Int64) throws -> Int64 {
        return try db.insert("INSERT INTO disposition_runs (started_at, dry_run, actor) VALUES (?, ?, ?) RETURNING id", at, dryRun, actor)
    }

    func finishRun(id: Int64, due: Int, held: Int, disposed: Int, at: Int64) throws {
        try db.run("UPDATE disposition_runs SET finished_at = ?, due = ?, held = ?, disposed = ? WHERE id = ?", at, due, held, disposed, id)
    }

    func runs(limit: Int) throws -> [DispositionRunRecord] {
        try db.query("SELECT id, started_at, finished_at, dry_run, actor, due, held, disposed FROM disposition_runs ORDER BY id DESC LIMIT ?",
                     limit).map {
            DispositionRunRecord(id: try $0.int(0), startedAt: try $0.int(1), finishedAt: try $0.optionalInt(2), dryRun: try $0.int(3) != 0,
                                 actor: try $0.text(4), due: Int(try $0.int(5)), held: Int(try $0.int(6)), disposed: Int(try $0.int(7)))
        }
    }

    /// Walks the time index from the cursor; the held flag comes from the schema's own `hold_coverage`.
    func due(className: String, cutoff: Int64, capturedBefore: Int64, after: SearchCursor?, limit: Int) throws -> [DueMessage] {
        var sql = """
            SELECT m.id, m.uid, m.platform, m.sent_at, m.retention_class,
                   EXISTS (SELECT 1 FROM hold_coverage c WHERE c.message_id = m.id AND c.active)
            FROM messages m
            WHERE m.retention_class = ? AND m.sent_at <= ? AND m.captured_at <= ?
              AND NOT EXISTS (SELECT 1 FROM disposals d WHERE d.message_id = m.id)
            """
        var params: [any SQLBindable] = [className, cutoff, capturedBefore]
        if let after {
            sql += " AND (m.sent_at > ? OR (m.sent_at = ? AND m.id > ?))"
            params += [after.sentAt, after.sentAt, after.id]
        }
        sql += " ORDER BY m.sent_at, m.id LIMIT ?"
        params.append(limit)
        return try db.query(sql, parameters: params).map {
            DueMessage(id: try $0.int(0), uid: try $0.text(1), platform: try $0.text(2), sentAt: try $0.int(3),
                       retentionClass: try $0.text(4), held: try $0.int(5) != 0)
        }
    }

    func minimumDays() throws -> Int {
        Int(try db.queryOne("SELECT value FROM archive_settings WHERE name = 'minimum_retention_days'")?.int(0) ?? 366)
    }

    func setMinimumDays(_ days: Int, at: Int64) throws {
        try db.run("""
            INSERT INTO archive_settings (name, value, set_at) VALUES ('minimum_retention_days', ?, ?)
            ON CONFLICT (name) DO UPDATE SET value = excluded.value, set_at = excluded.set_at
            """, days, at)
    }

    func dispose(messageID: Int64, runID: Int64, at: Int64) throws -> Int {
        try db.run("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (?, ?, ?)", messageID, runID, at)
        let keys = try db.run("DELETE FROM grant_keys WHERE message_id = ?", messageID)
            + db.run("DELETE FROM request_partials WHERE message_id = ?", messageID)
        guard try db.run("DELETE FROM envelopes WHERE message_id = ?", messageID) == 1 else {
            throw DomainError.conflict("Message \(messageID) has no envelope to dispose of.")
        }
        return keys
    }

    func disposedAt(messageID: Int64) throws -> Int64? {
        try db.queryOne("SELECT disposed_at FROM disposals WHERE message_id = ?", messageID)?.int(0)
    }

    func disposedCount() throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM disposals")?.int(0) ?? 0)
    }

    private func policy(from r: SQLRow) throws -> RetentionPolicy {
        RetentionPolicy(name: try r.text(0), periodDays: Int(try r.int(1)), description: try r.text(2), createdAt: try r.int(3),
                        updatedAt: try r.int(4), inUse: try r.int(5) != 0)
    }
}
