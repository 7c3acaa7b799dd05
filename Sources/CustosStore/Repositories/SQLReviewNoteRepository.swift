import CustosCore

/// Notes and escalations (Migrations/0017, MigrationsPostgres/0007).
struct SQLReviewNoteRepository: ReviewNoteRepository {
    let db: any SQLDatabase

    func add(scope: ReviewScope, messageID: Int64, authorID: Int64, requestID: Int64, at: Int64, body: [UInt8], escalated: Bool) throws -> Int64 {
        try db.insert("""
            INSERT INTO review_notes (scope, message_id, author_id, request_id, written_at, body, escalated)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, scope.description, messageID, authorID, requestID, at, body, Int64(escalated ? 1 : 0))
    }

    private static let columns = """
        SELECT n.id, n.scope, n.message_id, n.author_id, a.username, n.request_id, n.written_at, n.body, n.escalated,
               n.resolved_at, r.username, n.resolution
        FROM review_notes n JOIN users a ON a.id = n.author_id LEFT JOIN users r ON r.id = n.resolved_by
        """

    func note(id: Int64) throws -> ReviewNoteRecord? {
        try db.queryOne(Self.columns + " WHERE n.id = ?", id).map(Self.note)
    }

    func notes(messageID: Int64) throws -> [ReviewNoteRecord] {
        try db.query(Self.columns + " WHERE n.message_id = ? ORDER BY n.id", messageID).map(Self.note)
    }

    func notes(scope: ReviewScope) throws -> [ReviewNoteRecord] {
        try db.query(Self.columns + " WHERE n.scope = ? ORDER BY n.id", scope.description).map(Self.note)
    }

    func resolve(id: Int64, by userID: Int64, at: Int64, resolution: [UInt8]) throws -> Bool {
        try db.run("""
            UPDATE review_notes SET resolved_at = ?, resolved_by = ?, resolution = ?
            WHERE id = ? AND escalated = 1 AND resolved_at IS NULL
            """, at, userID, resolution, id) == 1
    }

    func escalations(from: Int64, until: Int64) throws -> [(raisedAt: Int64, resolvedAt: Int64?)] {
        try db.query("SELECT written_at, resolved_at FROM review_notes WHERE escalated = 1 AND written_at >= ? AND written_at < ? ORDER BY id",
                     from, until).map { (try $0.int(0), try $0.optionalInt(1)) }
    }

    private static func note(_ row: SQLRow) throws -> ReviewNoteRecord {
        let scopeText = try row.text(1)
        guard let scope = ReviewScope(stored: scopeText) else { throw SQLStoreError.badValue("review scope \(scopeText)") }
        return ReviewNoteRecord(id: try row.int(0), scope: scope, messageID: try row.int(2), authorID: try row.int(3), author: try row.text(4),
                                requestID: try row.int(5), writtenAt: try row.int(6), body: try row.blob(7), escalated: try row.int(8) == 1,
                                resolvedAt: try row.optionalInt(9), resolver: try row.optionalText(10), resolution: try row.optionalBlob(11))
    }
}
