import CustosCore
import CustosCrypto

/// Key epochs, their transcripts and signatures in SQLite (Migrations/0002, 0008).
struct SQLKeyRepository: KeyRepository {
    let db: any SQLDatabase

    private static let columns = """
        epoch, threshold, share_count, public_key, commitments, created_at, created_by, kind, previous_epoch, transcript, \
        transcript_hash, ceremony_id
        """

    func currentEpoch() throws -> KeyEpochRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM key_epochs ORDER BY epoch DESC LIMIT 1").map(record(from:))
    }

    func epoch(_ epoch: Int) throws -> KeyEpochRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM key_epochs WHERE epoch = ?", epoch).map(record(from:))
    }

    func epochs() throws -> [KeyEpochRecord] {
        try db.query("SELECT " + Self.columns + " FROM key_epochs ORDER BY epoch DESC").map(record(from:))
    }

    func insertEpoch(_ r: KeyEpochRecord) throws {
        try db.run("INSERT INTO key_epochs (" + Self.columns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   r.epoch, r.threshold, r.shareCount, r.publicKey, r.commitments, r.createdAt, r.createdBy, r.kind,
                   r.previousEpoch, r.transcript, r.transcriptHash, r.ceremonyID)
    }

    func insertSignature(epoch: Int, signature: EpochSignature) throws {
        try db.run("INSERT INTO epoch_signatures (epoch, signer, signature) VALUES (?, ?, ?)", epoch, signature.signer, signature.signature)
    }

    func signatures(epoch: Int) throws -> [EpochSignature] {
        try db.query("SELECT signer, signature FROM epoch_signatures WHERE epoch = ? ORDER BY signer", epoch).map {
            EpochSignature(signer: try $0.blob(0), signature: try $0.blob(1))
        }
    }

    func holders(epoch: Int) throws -> [(index: Int, userID: Int64)] {
        try db.query("""
            SELECT m.participant, m.user_id FROM key_epochs e JOIN ceremony_members m ON m.ceremony_id = e.ceremony_id
            WHERE e.epoch = ? ORDER BY m.participant
            """, epoch).map { (Int(try $0.int(0)), try $0.int(1)) }
    }

    private func record(from r: SQLRow) throws -> KeyEpochRecord {
        KeyEpochRecord(epoch: Int(try r.int(0)), threshold: Int(try r.int(1)), shareCount: Int(try r.int(2)),
                       publicKey: try r.blob(3), commitments: try r.blob(4), createdAt: try r.int(5), createdBy: try r.text(6),
                       kind: try r.text(7), previousEpoch: try r.optionalInt(8).map(Int.init), transcript: try r.optionalBlob(9),
                       transcriptHash: try r.optionalBlob(10), ceremonyID: try r.optionalInt(11))
    }
}

/// Capture tokens in SQLite.
struct SQLCaptureTokenRepository: CaptureTokenRepository {
    let db: any SQLDatabase

    private static let columns = "id, name, created_at, created_by, revoked_at, last_used_at"

    func create(name: String, tokenHash: [UInt8], at: Int64, by: String) throws -> CaptureTokenRecord {
        let id = try db.insert("INSERT INTO capture_tokens (name, token_hash, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id", name, tokenHash, at, by)
        return CaptureTokenRecord(id: id, name: name, createdAt: at, createdBy: by, revokedAt: nil, lastUsedAt: nil)
    }

    func find(tokenHash: [UInt8]) throws -> CaptureTokenRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM capture_tokens WHERE token_hash = ?", tokenHash).map(record(from:))
    }

    func find(id: Int64) throws -> CaptureTokenRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM capture_tokens WHERE id = ?", id).map(record(from:))
    }

    func all() throws -> [CaptureTokenRecord] {
        try db.query("SELECT " + Self.columns + " FROM capture_tokens ORDER BY id DESC").map(record(from:))
    }

    func revoke(id: Int64, at: Int64) throws {
        try db.run("UPDATE capture_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, id)
    }

    func markUsed(id: Int64, at: Int64) throws {
        try db.run("UPDATE capture_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", at, id, at)
    }

    private func record(from r: SQLRow) throws -> CaptureTokenRecord {
        CaptureTokenRecord(id: try r.int(0), name: try r.text(1), createdAt: try r.int(2), createdBy: try r.text(3),
                           revokedAt: try r.optionalInt(4), lastUsedAt: try r.optionalInt(5))
    }
}
