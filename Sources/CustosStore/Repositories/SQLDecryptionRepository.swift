import CustosCore

/// Decryption requests, decisions, sealed partials and grant keys in SQLite (Migrations/0004).
struct SQLDecryptionRepository: DecryptionRepository {
    let db: any SQLDatabase

    private static let columns = """
        r.id, r.requester_id, u.username, r.filed_role, r.justification, r.reference, r.hours, r.threshold, r.message_count,
        r.status, r.created_at, r.approve_by, r.granted_at, r.expires_at, r.closed_at, r.closed_by, r.close_reason
        """
    private static let from = " FROM decryption_requests r JOIN users u ON u.id = r.requester_id"

    func create(_ r: NewDecryptionRequest, messageIDs: [Int64]) throws -> Int64 {
        let id = try db.insert("""
            INSERT INTO decryption_requests (requester_id, filed_role, justification, reference, hours, threshold, message_count,
                                             status, created_at, approve_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id
            """, r.requesterID, r.filedRole, r.justification, r.reference, r.hours, r.threshold, r.messageCount, r.createdAt, r.approveBy)
        for messageID in messageIDs {
            try db.run("INSERT INTO request_messages (request_id, message_id) VALUES (?, ?)", id, messageID)
        }
        return id
    }

    func find(id: Int64) throws -> DecryptionRequestRecord? {
        try db.queryOne("SELECT " + Self.columns + Self.from + " WHERE r.id = ?", id).map(record(from:))
    }

    func list(requesterID: Int64?, statuses: [RequestStatus]?, limit: Int) throws -> [DecryptionRequestRecord] {
        var conditions: [String] = []
        var params: [any SQLBindable] = []
        if let requesterID {
            conditions.append("r.requester_id = ?")
            params.append(requesterID)
        }
        if let statuses, !statuses.isEmpty {
            conditions.append("r.status IN (" + Array(repeating: "?", count: statuses.count).joined(separator: ", ") + ")")
            params += statuses.map(\.rawValue)
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        params.append(limit)
        return try db.query("SELECT " + Self.columns + Self.from + filter + " ORDER BY r.id DESC LIMIT ?", parameters: params)
            .map(record(from:))
    }

    func messageIDs(requestID: Int64) throws -> [Int64] {
        try db.query("SELECT message_id FROM request_messages WHERE request_id = ? ORDER BY message_id", requestID).map { try $0.int(0) }
    }

    func envelopeKeys(requestID: Int64) throws -> [ScopedEnvelopeKey] {
        try db.query("""
            SELECT rm.message_id, m.epoch, e.ephemeral, e.header FROM request_messages rm
            JOIN messages m ON m.id = rm.message_id JOIN envelopes e ON e.message_id = rm.message_id
            WHERE rm.request_id = ? ORDER BY rm.message_id
            """, requestID).map { ScopedEnvelopeKey(messageID: try $0.int(0), epoch: Int(try $0.int(1)), ephemeral: try $0.blob(2), header: try $0.blob(3)) }
    }

    func decisions(requestID: Int64) throws -> [RequestDecision] {
        try db.query("""
            SELECT d.custodian_id, u.username, d.decision, d.decided_at FROM request_decisions d JOIN users u ON u.id = d.custodian_id
            WHERE d.request_id = ? ORDER BY d.decided_at, d.custodian_id
            """, requestID).map {
            RequestDecision(custodianID: try $0.int(0), username: try $0.text(1), approved: try $0.text(2) == "approved", at: try $0.int(3))
        }
    }

    func addDecision(requestID: Int64, custodianID: Int64, approved: Bool, at: Int64) throws {
        try db.run("INSERT INTO request_decisions (request_id, custodian_id, decision, decided_at) VALUES (?, ?, ?, ?)",
                   requestID, custodianID, approved ? "approved" : "rejected", at)
    }

    func addPartials(requestID: Int64, _ partials: [SealedForMessage]) throws {
        for p in partials {
            try db.run("INSERT INTO request_partials (request_id, message_id, share_index, sealed) VALUES (?, ?, ?, ?)",
                       requestID, p.messageID, p.shareIndex, p.sealed)
        }
    }

    func partials(requestID: Int64) throws -> [SealedForMessage] {
        try db.query("SELECT message_id, share_index, sealed FROM request_partials WHERE request_id = ? ORDER BY message_id, share_index",
                     requestID).map { SealedForMessage(messageID: try $0.int(0), shareIndex: Int(try $0.int(1)), sealed: try $0.blob(2)) }
    }

    func deletePartials(requestID: Int64) throws -> Int {
        try db.run("DELETE FROM request_partials WHERE request_id = ?", requestID)
    }

    func grant(requestID: Int64, at: Int64, expiresAt: Int64, keys: [SealedForMessage]) throws {
        let changed = try db.run("UPDATE decryption_requests SET status = 'granted', granted_at = ?, expires_at = ? WHERE id = ? AND status = 'pending'",
                                 at, expiresAt, requestID)
        guard changed == 1 else { throw DomainError.conflict("The request is no longer waiting for approvals.") }
        for k in keys {
            try db.run("INSERT INTO grant_keys (request_id, message_id, sealed) VALUES (?, ?, ?)", requestID, k.messageID, k.sealed)
        }
    }

    func close(requestID: Int64, status: RequestStatus, at: Int64, by: String, reason: [UInt8]?) throws {
        _ = try db.run("UPDATE decryption_requests SET status = ?, closed_at = ?, closed_by = ?, close_reason = ? WHERE id = ?",
                       status.rawValue, at, by, reason, requestID)
    }

    func grantKey(requestID: Int64, messageID: Int64) throws -> [UInt8]? {
        try db.queryOne("SELECT sealed FROM grant_keys WHERE request_id = ? AND message_id = ?", requestID, messageID)?.blob(0)
    }

    func deleteGrantKeys(requestID: Int64) throws -> Int {
        try db.run("DELETE FROM grant_keys WHERE request_id = ?", requestID)
    }

    func keyMaterialCount(requestID: Int64) throws -> Int {
        let row = try db.queryOne("""
            SELECT (SELECT count(*) FROM request_partials WHERE request_id = ?) + (SELECT count(*) FROM grant_keys WHERE request_id = ?)
            """, requestID, requestID)
        return Int(try row?.int(0) ?? 0)
    }

    func liveGrant(requesterID: Int64, messageID: Int64, now: Int64) throws -> Int64? {
        try db.queryOne("""
            SELECT r.id FROM request_messages rm JOIN decryption_requests r ON r.id = rm.request_id
            WHERE rm.message_id = ? AND r.requester_id = ? AND r.status = 'granted' AND r.expires_at > ?
            ORDER BY r.expires_at DESC LIMIT 1
            """, messageID, requesterID, now)?.int(0)
    }

    func grantedMessages(requestID: Int64, conversation: [UInt8], limit: Int) throws -> [Int64] {
        try db.query("""
            SELECT m.id FROM request_messages rm JOIN messages m ON m.id = rm.message_id
            WHERE rm.request_id = ? AND m.conversation = ? ORDER BY m.sent_at, m.id LIMIT ?
            """, requestID, conversation, limit).map { try $0.int(0) }
    }

    func due(now: Int64) throws -> (expired: [Int64], lapsed: [Int64]) {
        let expired = try db.query("SELECT id FROM decryption_requests WHERE status = 'granted' AND expires_at <= ? ORDER BY id", now)
            .map { try $0.int(0) }
        let lapsed = try db.query("SELECT id FROM decryption_requests WHERE status = 'pending' AND approve_by <= ? ORDER BY id", now)
            .map { try $0.int(0) }
        return (expired, lapsed)
    }

    func openCounts(now: Int64) throws -> DecryptionCounts {
        // Both walk the (status, id) index over the open rows only.
        let row = try db.queryOne("""
            SELECT (SELECT COUNT(*) FROM decryption_requests WHERE status = 'granted' AND expires_at > ?),
                   (SELECT COUNT(*) FROM decryption_requests WHERE status = 'pending' AND approve_by > ?)
            """, now, now)
        return DecryptionCounts(liveGrants: Int(try row?.int(0) ?? 0), pendingRequests: Int(try row?.int(1) ?? 0))
    }

    func envelope(messageID: Int64) throws -> StoredEnvelope? {
        try db.queryOne("""
            SELECT m.id, m.platform, m.conversation, e.header, e.ephemeral, e.nonce, e.ciphertext, m.ciphertext_hash
            FROM messages m JOIN envelopes e ON e.message_id = m.id WHERE m.id = ?
            """, messageID).map {
            StoredEnvelope(messageID: try $0.int(0), platform: try $0.text(1), conversationToken: try $0.blob(2), header: try $0.blob(3),
                           ephemeral: try $0.blob(4), nonce: try $0.blob(5), ciphertext: try $0.blob(6), ciphertextHash: try $0.blob(7))
        }
    }

    private func record(from r: SQLRow) throws -> DecryptionRequestRecord {
        DecryptionRequestRecord(
            id: try r.int(0), requesterID: try r.int(1), requesterName: try r.text(2), filedRole: try r.text(3),
            justification: try r.blob(4), reference: try r.blob(5), hours: Int(try r.int(6)), threshold: Int(try r.int(7)),
            messageCount: Int(try r.int(8)), status: RequestStatus(rawValue: try r.text(9)) ?? .lapsed, createdAt: try r.int(10),
            approveBy: try r.int(11), grantedAt: try r.optionalInt(12), expiresAt: try r.optionalInt(13), closedAt: try r.optionalInt(14),
            closedBy: try r.optionalText(15), closeReason: try r.optionalBlob(16))
    }
}
