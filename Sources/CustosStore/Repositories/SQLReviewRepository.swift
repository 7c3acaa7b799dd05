import CustosCore

/// Review state (Migrations/0016, MigrationsPostgres/0006): a request's matter, coding layouts and decisions.
/// Codes are stored as `field=choice;…` and tags as `a,b`: keys are `[a-z0-9-]`, so neither separator occurs.
struct SQLReviewRepository: ReviewRepository {
    let db: any SQLDatabase

    func setMatter(requestID: Int64, matterID: Int64) throws {
        try db.run("INSERT INTO request_matters (request_id, matter_id) VALUES (?, ?)", requestID, matterID)
    }

    func matter(requestID: Int64) throws -> Int64? {
        try db.queryOne("SELECT matter_id FROM request_matters WHERE request_id = ?", requestID).map { try $0.int(0) }
    }

    func layout(scope: ReviewScope) throws -> String? {
        try db.queryOne("SELECT layout FROM coding_layouts WHERE scope = ?", scope.description).map { try $0.text(0) }
    }

    func saveLayout(scope: ReviewScope, text: String, by userID: Int64, at: Int64) throws {
        try db.run("""
            INSERT INTO coding_layouts (scope, layout, updated_at, updated_by) VALUES (?, ?, ?, ?)
            ON CONFLICT (scope) DO UPDATE SET layout = excluded.layout, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """, scope.description, text, at, userID)
    }

    private static let columns = """
        SELECT d.scope, d.message_id, d.codes, d.tags, d.basis, d.reviewer_id, u.username, d.request_id, d.first_coded_at,
               d.first_reviewer, d.coded_at, d.changes
        FROM review_decisions d JOIN users u ON u.id = d.reviewer_id
        """

    func decision(scope: ReviewScope, messageID: Int64) throws -> ReviewDecisionRecord? {
        try db.queryOne(Self.columns + " WHERE d.scope = ? AND d.message_id = ?", scope.description, messageID).map(Self.decision)
    }

    func decisions(scope: ReviewScope, requestID: Int64) throws -> [ReviewDecisionRecord] {
        try db.query(Self.columns + """
             WHERE d.scope = ? AND d.message_id IN (SELECT message_id FROM request_messages WHERE request_id = ?)
            ORDER BY d.message_id
            """, scope.description, requestID).map(Self.decision)
    }

    func decisions(scope: ReviewScope) throws -> [ReviewDecisionRecord] {
        try db.query(Self.columns + " WHERE d.scope = ? ORDER BY d.message_id", scope.description).map(Self.decision)
    }

    func save(_ d: ReviewDecisionRecord) throws {
        let codes = d.codes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
        let tags = d.tags.joined(separator: ",")
        try db.run("""
            INSERT INTO review_decisions (scope, message_id, codes, tags, basis, reviewer_id, request_id, first_coded_at,
                                          first_reviewer, coded_at, changes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (scope, message_id) DO UPDATE SET codes = excluded.codes, tags = excluded.tags, basis = excluded.basis,
                reviewer_id = excluded.reviewer_id, request_id = excluded.request_id, coded_at = excluded.coded_at,
                changes = excluded.changes
            """, d.scope.description, d.messageID, codes, tags, d.basis, d.reviewerID, d.requestID, d.firstCodedAt,
            d.firstReviewerID, d.codedAt, Int64(d.changes))
    }

    private static func decision(_ row: SQLRow) throws -> ReviewDecisionRecord {
        let scopeText = try row.text(0)
        guard let scope = ReviewScope(stored: scopeText) else { throw SQLStoreError.badValue("review scope \(scopeText)") }
        var codes: [String: String] = [:]
        for pair in try row.text(2).split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { codes[String(kv[0])] = String(kv[1]) }
        }
        return ReviewDecisionRecord(
            scope: scope, messageID: try row.int(1), codes: codes, tags: try row.text(3).split(separator: ",").map(String.init),
            basis: try row.optionalBlob(4), reviewerID: try row.int(5), reviewer: try row.text(6), requestID: try row.int(7),
            firstCodedAt: try row.int(8), firstReviewerID: try row.int(9), codedAt: try row.int(10), changes: Int(try row.int(11)))
    }
}
