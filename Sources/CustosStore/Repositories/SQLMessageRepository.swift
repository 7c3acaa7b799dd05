import CustosCore

/// The write-once message store: index row, participant rows and envelope, inserted together.
struct SQLMessageRepository: MessageRepository {
    let db: any SQLDatabase

    func existing(uids: [String]) throws -> [String: Int64] {
        var found: [String: Int64] = [:]
        switch db.dialect {
        case .sqlite:
            // In-process: one cached statement stepped per uid costs less than building a statement per batch.
            for uid in uids {
                if let row = try db.queryOne("SELECT id FROM messages WHERE uid = ?", uid) { found[uid] = try row.int(0) }
            }
        case .postgres:
            // Over the network each statement is a round trip: ask for a chunk of uids at once.
            for chunk in uids.chunked(Self.rowsPerStatement) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                for row in try db.query("SELECT uid, id FROM messages WHERE uid IN (\(marks))", parameters: chunk.map { $0 as any SQLBindable }) {
                    found[try row.text(0)] = try row.int(1)
                }
            }
        }
        return found
    }

    func insert(_ records: [MessageRecord]) throws -> [Int64] {
        switch db.dialect {
        case .sqlite: return try records.map(insert)
        case .postgres: return try insertInFewStatements(records)
        }
    }

    /// Rows per multi-row statement: a few round trips per batch of 1,000, well under PostgreSQL's 65,535 parameters
    /// (15 per message row).
    static let rowsPerStatement = 500
    /// Envelope bytes per statement, so a batch of large messages does not become one huge statement.
    static let envelopeBytesPerStatement = 8 << 20

    /// The same rows as `insert(_:)` one by one, in three kinds of multi-row statements: messages, then their
    /// participants, then their envelopes.
    private func insertInFewStatements(_ records: [MessageRecord]) throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(records.count)
        for chunk in records.chunked(Self.rowsPerStatement) {
            let tuple = "(" + Array(repeating: "?", count: 15).joined(separator: ", ") + ")"
            var values: [any SQLBindable] = []
            values.reserveCapacity(chunk.count * 15)
            for m in chunk {
                values += [m.uid, m.platform, m.conversationToken, m.conversationDisplay, m.direction, m.sentAt, m.capturedAt,
                           m.size, m.attachmentCount, m.mediaTypes, m.retentionClass, m.epoch, m.ciphertextHash,
                           m.captureTokenID, m.seal] as [any SQLBindable]
            }
            // Ids are matched back by uid: the order of RETURNING rows is not a promise of the database.
            var byUID: [String: Int64] = [:]
            for row in try db.query("""
                INSERT INTO messages (uid, platform, conversation, conversation_display, direction, sent_at, captured_at, size,
                                      attachment_count, media_types, retention_class, epoch, ciphertext_hash, capture_token_id, seal)
                VALUES \(Array(repeating: tuple, count: chunk.count).joined(separator: ", ")) RETURNING uid, id
                """, parameters: values) {
                byUID[try row.text(0)] = try row.int(1)
            }
            for m in chunk {
                guard let id = byUID[m.uid] else { throw SQLStoreError.noRowReturned }
                ids.append(id)
            }
        }
        var participants: [(id: Int64, sentAt: Int64, p: ParticipantRecord)] = []
        for (m, id) in zip(records, ids) { participants += m.participants.map { (id, m.sentAt, $0) } }
        for chunk in participants.chunked(Self.rowsPerStatement * 4) {
            var values: [any SQLBindable] = []
            values.reserveCapacity(chunk.count * 6)
            for x in chunk { values += [x.id, x.p.part, x.p.token, x.p.domainToken, x.p.display, x.sentAt] as [any SQLBindable] }
            try db.run("INSERT INTO message_participants (message_id, part, token, domain_token, display, sent_at) VALUES "
                       + Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "), parameters: values)
        }
        var pending: [any SQLBindable] = []
        var rows = 0
        var bytes = 0
        func flush() throws {
            guard rows > 0 else { return }
            try db.run("INSERT INTO envelopes (message_id, header, ephemeral, nonce, ciphertext) VALUES "
                       + Array(repeating: "(?, ?, ?, ?, ?)", count: rows).joined(separator: ", "), parameters: pending)
            pending.removeAll(keepingCapacity: true)
            (rows, bytes) = (0, 0)
        }
        for (m, id) in zip(records, ids) {
            pending += [id, m.header, m.ephemeral, m.nonce, m.ciphertext] as [any SQLBindable]
            rows += 1
            bytes += m.ciphertext.count
            if rows >= Self.rowsPerStatement || bytes >= Self.envelopeBytesPerStatement { try flush() }
        }
        try flush()
        return ids
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

extension Array {
    /// The array in consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
