import CustosCore

/// The write-once message store: index row, participant rows and envelope, inserted together.
struct SQLMessageRepository: MessageRepository {
    let db: any SQLDatabase

    func existing(uids: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        for uid in uids {
            if let row = try db.queryOne("SELECT id FROM messages WHERE uid = ?", uid) { found[uid] = try row.int(0) }
        }
        return found
    }

    func insert(_ m: MessageRecord) throws -> Int64 {
        let id = try db.insert("""
            INSERT INTO messages (uid, platform, conversation, conversation_display, direction, sent_at, captured_at, size,
                                  attachment_count, media_types, retention_class, epoch, ciphertext_hash, capture_token_id, seal)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, m.uid, m.platform, m.conversationToken, m.conversationDisplay, m.direction, m.sentAt, m.capturedAt, m.size,
                   m.attachmentCount, m.mediaTypes, m.retentionClass, m.epoch, m.ciphertextHash, m.captureTokenID, m.seal)
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

    /// Columns of `messages m LEFT JOIN envelopes e LEFT JOIN disposals d` that `stored(from:)` reads, ciphertext last.
    private static let storedColumns = """
        m.id, m.uid, m.platform, m.conversation, m.direction, m.sent_at, m.captured_at, m.size, m.attachment_count,
        m.media_types, m.retention_class, m.epoch, m.ciphertext_hash, m.capture_token_id, m.seal,
        e.header, e.ephemeral, e.nonce, d.message_id IS NOT NULL
        """
    private static let storedFrom = " FROM messages m LEFT JOIN envelopes e ON e.message_id = m.id LEFT JOIN disposals d ON d.message_id = m.id "

    private func stored(from r: SQLRow, participants: [MessageFacts.Participant], ciphertext: [UInt8]?) throws -> StoredMessage {
        let header = try r.optionalBlob(15), ephemeral = try r.optionalBlob(16), nonce = try r.optionalBlob(17)
        let envelope = header.flatMap { h in ephemeral.flatMap { e in nonce.map { MessageFacts.EnvelopeParts(header: h, ephemeral: e, nonce: $0) } } }
        let facts = MessageFacts(uid: try r.text(1), platform: try r.text(2), conversationToken: try r.blob(3), direction: try r.text(4),
                                 sentAt: try r.int(5), capturedAt: try r.int(6), size: Int(try r.int(7)), attachmentCount: Int(try r.int(8)),
                                 mediaTypes: try r.text(9), retentionClass: try r.text(10), epoch: Int(try r.int(11)),
                                 ciphertextHash: try r.blob(12), captureTokenID: try r.int(13), participants: participants,
                                 envelope: envelope)
        return StoredMessage(id: try r.int(0), facts: facts, seal: try r.optionalBlob(14), ciphertext: ciphertext,
                             disposed: try r.int(18) != 0)
    }

    private func participants(first: Int64, last: Int64) throws -> [Int64: [MessageFacts.Participant]] {
        var out: [Int64: [MessageFacts.Participant]] = [:]
        try db.forEach("SELECT message_id, part, token, domain_token, sent_at FROM message_participants WHERE message_id BETWEEN ? AND ?",
                       [first, last]) { r in
            out[try r.int(0), default: []].append(.init(part: try r.text(1), token: try r.blob(2), domainToken: try r.optionalBlob(3),
                                                         sentAt: try r.int(4)))
        }
        return out
    }

    /// Streams messages with their participants, read a range of ids at a time beside the message cursor.
    func forEachForVerification(withCiphertext: Bool, _ body: (StoredMessage) throws -> Void) throws {
        let sql = "SELECT " + Self.storedColumns + (withCiphertext ? ", e.ciphertext" : ", NULL") + Self.storedFrom + "ORDER BY m.id"
        var loaded: (last: Int64, rows: [Int64: [MessageFacts.Participant]]) = (Int64.min, [:])
        try db.forEach(sql, []) { r in
            let id = try r.int(0)
            if id > loaded.last { loaded = (id + 1023, try participants(first: id, last: id + 1023)) }
            try body(try stored(from: r, participants: loaded.rows[id] ?? [], ciphertext: try r.optionalBlob(19)))
        }
    }

    func stored(id: Int64) throws -> StoredMessage? {
        guard let r = try db.queryOne("SELECT " + Self.storedColumns + Self.storedFrom + "WHERE m.id = ?", id) else { return nil }
        return try stored(from: r, participants: try participants(first: id, last: id)[id] ?? [], ciphertext: nil)
    }

    func sealRows(first: Int64, last: Int64) throws -> [SealRow] {
        try db.query("SELECT id, uid, ciphertext_hash, seal FROM messages WHERE id BETWEEN ? AND ? ORDER BY id", first, last).map {
            SealRow(id: try $0.int(0), uid: try $0.text(1), ciphertextHash: try $0.blob(2), seal: try $0.optionalBlob(3))
        }
    }
}
