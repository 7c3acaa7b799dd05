import CustosCore

/// Metadata search over the index. SQL is assembled only from the fixed fragments below; every
/// value is a bound parameter. The driving index follows the most selective filter present.
struct SQLSearchRepository: SearchRepository {
    let db: any SQLDatabase

    static let columns = """
        m.id, m.uid, m.platform, m.conversation, m.conversation_display, m.direction, m.sent_at, m.captured_at, m.size,
        m.attachment_count, m.media_types, m.retention_class, m.epoch, m.ciphertext_hash,
        (SELECT disposed_at FROM disposals dz WHERE dz.message_id = m.id)
        """

    /// FROM/WHERE for the criteria, the columns that order by time and identify the message, and the bound values.
    /// A participant or domain search reads only its covering index unless a filter needs a column of `messages`:
    /// joining every match to `messages` cost a random row read each, which at 1 M messages made the total and the
    /// facets of a busy person's month (a thousand matches) take ~12 ms.
    private func plan(_ c: SearchCriteria, cursor: Bool) -> (sql: String, time: String, id: String, params: [any SQLBindable]) {
        var conditions: [String] = []
        var params: [any SQLBindable] = []
        let driven = c.participantToken != nil || c.domainToken != nil
        let time = driven ? "d.sent_at" : "m.sent_at"
        let idColumn = driven ? "d.message_id" : "m.id"
        if let token = c.participantToken {
            conditions.append("d.token = ?")
            params.append(token)
            if let part = c.part {
                conditions.append("d.part = ?")
                params.append(part)
            }
            if let domain = c.domainToken {
                conditions.append("EXISTS (SELECT 1 FROM message_participants x WHERE x.message_id = d.message_id AND x.domain_token = ?)")
                params.append(domain)
            }
        } else if let domain = c.domainToken {
            conditions.append("d.domain_token = ?")
            params.append(domain)
        }
        var needsMessages = false
        if let conv = c.conversationToken {
            conditions.append("m.conversation = ?")
            params.append(conv)
            needsMessages = true
        }
        if let platform = c.platform {
            conditions.append("m.platform = ?")
            params.append(platform)
            needsMessages = true
        }
        if let f = c.from {
            conditions.append(time + " >= ?")
            params.append(f)
        }
        if let u = c.until {
            conditions.append(time + " < ?")
            params.append(u)
        }
        if let a = c.attachments {
            conditions.append(a ? "m.attachment_count > 0" : "m.attachment_count = 0")
            needsMessages = true
        }
        if let r = c.retentionClass {
            conditions.append("m.retention_class = ?")
            params.append(r)
            needsMessages = true
        }
        if let scopes = c.holdScopes {
            let p = ScopeSQL.any(scopes, id: idColumn, time: time, message: "m")
            conditions.append(p.sql)
            params += p.params
            needsMessages = needsMessages || scopes.contains { !$0.platforms.isEmpty || !$0.conversations.isEmpty }
        }
        if cursor, let k = c.cursor {
            // The plain bound lets the index start at the cursor; the OR alone made a deep page walk every newer entry.
            conditions.append(time + " <= ?")
            conditions.append("(" + time + " < ? OR (" + time + " = ? AND " + idColumn + " < ?))")
            params += [k.sentAt, k.sentAt, k.sentAt, k.id]
        }
        let from = !driven ? "messages m"
            : needsMessages ? "message_participants d JOIN messages m ON m.id = d.message_id" : "message_participants d"
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return ("FROM " + from + whereClause, time, idColumn, params)
    }

    func search(_ c: SearchCriteria, limit: Int) throws -> [IndexedMessage] {
        let p = plan(c, cursor: true)
        guard c.participantToken != nil || c.domainToken != nil else {
            return try db.query("SELECT " + Self.columns + " " + p.sql + " ORDER BY m.sent_at DESC, m.id DESC LIMIT ?",
                                parameters: p.params + [limit]).map(message(from:))
        }
        // A message has one participant row per person and part, so the participant index can
        // yield it several times: take distinct (time, id) pairs in index order, then the rows.
        let keys = "SELECT DISTINCT d.sent_at AS st, d.message_id AS mid " + p.sql + " ORDER BY st DESC, mid DESC LIMIT ?"
        return try db.query("SELECT " + Self.columns + " FROM (" + keys + ") k JOIN messages m ON m.id = k.mid ORDER BY k.st DESC, k.mid DESC",
                            parameters: p.params + [limit]).map(message(from:))
    }

    func count(_ c: SearchCriteria) throws -> Int {
        let p = plan(c, cursor: false)
        let distinct = c.participantToken != nil || c.domainToken != nil ? "count(DISTINCT d.message_id)" : "count(*)"
        return Int(try db.query("SELECT " + distinct + " " + p.sql, parameters: p.params).first?.int(0) ?? 0)
    }

    /// Months from the matches' own times; only the platform counts read the matching messages' rows.
    func facets(_ c: SearchCriteria) throws -> (platforms: [(String, Int)], months: [(String, Int)]) {
        let p = plan(c, cursor: false)
        let inner = "SELECT DISTINCT " + p.id + " AS id, " + p.time + " AS sent_at " + p.sql
        let platforms = try db.query("SELECT m.platform, count(*) FROM (" + inner + ") k JOIN messages m ON m.id = k.id "
                                     + "GROUP BY m.platform ORDER BY 2 DESC", parameters: p.params)
            .map { (try $0.text(0), Int(try $0.int(1))) }
        let months = try db.query("SELECT " + db.dialect.utcMonth("sent_at") + ", count(*) FROM (" + inner + ") k GROUP BY 1 ORDER BY 1",
                                  parameters: p.params).map { (try $0.text(0), Int(try $0.int(1))) }
        return (platforms, months)
    }

    func lastMessageID() throws -> Int64 {
        try db.queryOne("SELECT coalesce(max(id), 0) FROM messages")?.int(0) ?? 0
    }

    func archiveFacets() throws -> (platforms: [(String, Int)], months: [(String, Int)]) {
        let platforms = try db.query("SELECT platform, CAST(sum(count) AS BIGINT) FROM message_counts GROUP BY platform ORDER BY 2 DESC")
            .map { (try $0.text(0), Int(try $0.int(1))) }
        let months = try db.query("SELECT month, CAST(sum(count) AS BIGINT) FROM message_counts GROUP BY month ORDER BY month")
            .map { (try $0.text(0), Int(try $0.int(1))) }
        return (platforms, months)
    }

    /// Participants of up to `participantChunk` messages per statement, so a results page costs one query
    /// instead of one per row. Short chunks repeat their last id: one statement text, one cached statement.
    func participants(of ids: [Int64]) throws -> [IndexedParticipant] {
        var byMessage: [Int64: [IndexedParticipant]] = [:]
        for start in stride(from: 0, to: ids.count, by: Self.participantChunk) {
            let chunk = ids[start..<min(start + Self.participantChunk, ids.count)]
            let padded: [any SQLBindable] = Array(chunk) + Array(repeating: chunk.last ?? 0, count: Self.participantChunk - chunk.count)
            for r in try db.query(Self.participantsSQL, parameters: padded) {
                byMessage[try r.int(0), default: []].append(IndexedParticipant(messageID: try r.int(0), part: try r.text(1), display: try r.blob(2)))
            }
        }
        // Each message's people by part (from, to, cc, bcc, member), in token order within a part: the rows come in
        // token order (the primary key's), and this sort keeps that order among equals. In the order asked for; an id
        // asked for twice is answered twice, as one query per id did.
        return ids.flatMap { id in
            (byMessage[id] ?? []).enumerated()
                .sorted { (Self.rank($0.element.part), $0.offset) < (Self.rank($1.element.part), $1.offset) }
                .map(\.element)
        }
    }

    private static func rank(_ part: String) -> Int {
        switch part {
        case "from": 0
        case "to": 1
        case "cc": 2
        case "bcc": 3
        default: 4
        }
    }

    static let participantChunk = 64
    static let participantsSQL = "SELECT message_id, part, display FROM message_participants WHERE message_id IN ("
        + Array(repeating: "?", count: participantChunk).joined(separator: ", ")
        // The primary key's order, so SQLite needs no sort of its own (sorting by part here took a temporary B-tree).
        + ") ORDER BY message_id, token, part"

    static let messagesSQL = "SELECT " + columns + " FROM messages m WHERE m.id IN ("
        + Array(repeating: "?", count: participantChunk).joined(separator: ", ") + ")"

    func messages(ids: [Int64]) throws -> [IndexedMessage] {
        var byID: [Int64: IndexedMessage] = [:]
        for start in stride(from: 0, to: ids.count, by: Self.participantChunk) {
            let chunk = ids[start..<min(start + Self.participantChunk, ids.count)]
            // One statement text for every chunk (padded with its last id), so each engine prepares it once.
            let padded: [any SQLBindable] = Array(chunk) + Array(repeating: chunk.last ?? 0, count: Self.participantChunk - chunk.count)
            for row in try db.query(Self.messagesSQL, parameters: padded) {
                let m = try message(from: row)
                byID[m.id] = m
            }
        }
        return ids.compactMap { byID[$0] }
    }

    func message(id: Int64) throws -> IndexedMessage? {
        try db.queryOne("SELECT " + Self.columns + " FROM messages m WHERE m.id = ?", id).map(message(from:))
    }

    func neighbours(conversation: [UInt8], sentAt: Int64, id: Int64, before: Int, after: Int) throws -> [IndexedMessage] {
        let older = try db.query("SELECT " + Self.columns + " FROM messages m WHERE m.conversation = ? "
            + "AND (m.sent_at < ? OR (m.sent_at = ? AND m.id <= ?)) ORDER BY m.sent_at DESC, m.id DESC LIMIT ?",
            conversation, sentAt, sentAt, id, before + 1).map(message(from:))
        let newer = try db.query("SELECT " + Self.columns + " FROM messages m WHERE m.conversation = ? "
            + "AND (m.sent_at > ? OR (m.sent_at = ? AND m.id > ?)) ORDER BY m.sent_at, m.id LIMIT ?",
            conversation, sentAt, sentAt, id, after).map(message(from:))
        return older.reversed() + newer
    }

    func platforms() throws -> [String] {
        try db.query("SELECT DISTINCT platform FROM message_counts ORDER BY platform").map { try $0.text(0) }
    }

    func retentionClasses() throws -> [String] {
        try db.query("SELECT name FROM retention_classes ORDER BY name").map { try $0.text(0) }
    }

    func saveSearch(userID: Int64, name: [UInt8], query: [UInt8], at: Int64) throws -> Int64 {
        return try db.insert("INSERT INTO saved_searches (user_id, name, query, created_at) VALUES (?, ?, ?, ?) RETURNING id", userID, name, query, at)
    }

    func savedSearches(userID: Int64) throws -> [SavedSearchRecord] {
        try db.query("SELECT id, user_id, name, query, created_at FROM saved_searches WHERE user_id = ? ORDER BY id DESC", userID).map {
            SavedSearchRecord(id: try $0.int(0), userID: try $0.int(1), name: try $0.blob(2), query: try $0.blob(3), createdAt: try $0.int(4))
        }
    }

    func deleteSavedSearch(id: Int64, userID: Int64) throws -> Bool {
        try db.run("DELETE FROM saved_searches WHERE id = ? AND user_id = ?", id, userID) > 0
    }

    private func message(from r: SQLRow) throws -> IndexedMessage {
        IndexedMessage(id: try r.int(0), uid: try r.text(1), platform: try r.text(2), conversationToken: try r.blob(3),
                       conversationDisplay: try r.blob(4), direction: try r.text(5), sentAt: try r.int(6), capturedAt: try r.int(7),
                       size: Int(try r.int(8)), attachmentCount: Int(try r.int(9)), mediaTypes: try r.text(10),
                       retentionClass: try r.text(11), epoch: Int(try r.int(12)), ciphertextHash: try r.blob(13),
                       disposedAt: try r.optionalInt(14))
    }
}
