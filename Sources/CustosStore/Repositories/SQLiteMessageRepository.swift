import CustosCore

/// The write-once message store: index row, participant rows and envelope, inserted together.
struct SQLiteMessageRepository: MessageRepository {
    let db: SQLiteConnection

    func existing(uids: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        for uid in uids {
            if let row = try db.queryOne("SELECT id FROM messages WHERE uid = ?", uid) { found[uid] = try row.int(0) }
        }
        return found
    }

    func insert(_ m: MessageRecord) throws -> Int64 {
        try db.run("""
            INSERT INTO messages (uid, platform, conversation, conversation_display, direction, sent_at, captured_at, size,
                                  attachment_count, media_types, retention_class, epoch, ciphertext_hash, capture_token_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, m.uid, m.platform, m.conversationToken, m.conversationDisplay, m.direction, m.sentAt, m.capturedAt, m.size,
                   m.attachmentCount, m.mediaTypes, m.retentionClass, m.epoch, m.ciphertextHash, m.captureTokenID)
        let id = db.lastInsertRowID
        for p in m.participants {
            try db.run("""
                INSERT INTO message_participants (message_id, part, token, domain_token, display, sent_at) VALUES (?, ?, ?, ?, ?, ?)
                """, id, p.part, p.token, p.domainToken, p.display, m.sentAt)
        }
        try db.run("INSERT INTO envelopes (message_id, header, ephemeral, nonce, ciphertext) VALUES (?, ?, ?, ?, ?)",
                   id, m.header, m.ephemeral, m.nonce, m.ciphertext)
        return id
    }

    func count() throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM messages")?.int(0) ?? 0)
    }

    func countBySender(token: [UInt8]) throws -> Int {
        Int(try db.queryOne("SELECT count(*) FROM message_participants WHERE token = ? AND part = 'from'", token)?.int(0) ?? 0)
    }

    func forEachForVerification(withCiphertext: Bool, _ body: (StoredMessageDigest) throws -> Void) throws {
        let sql = withCiphertext
            ? "SELECT m.id, m.uid, m.ciphertext_hash, e.ciphertext, d.message_id IS NOT NULL FROM messages m "
                + "LEFT JOIN envelopes e ON e.message_id = m.id LEFT JOIN disposals d ON d.message_id = m.id ORDER BY m.id"
            : "SELECT m.id, m.uid, m.ciphertext_hash, NULL, d.message_id IS NOT NULL FROM messages m "
                + "LEFT JOIN disposals d ON d.message_id = m.id ORDER BY m.id"
        try db.forEach(sql, []) { r in
            try body(StoredMessageDigest(id: try r.int(0), uid: try r.text(1), ciphertextHash: try r.blob(2), ciphertext: try r.optionalBlob(3),
                                         disposed: try r.int(4) != 0))
        }
    }
}
