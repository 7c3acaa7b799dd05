import CustosCore

/// Custodian keys, key epochs and sealed shares in SQLite.
struct SQLiteKeyRepository: KeyRepository {
    let db: SQLiteConnection

    func custodianKey(userID: Int64) throws -> [UInt8]? {
        try db.queryOne("SELECT wrapped FROM custodian_keys WHERE user_id = ?", userID)?.blob(0)
    }

    func setCustodianKey(userID: Int64, publicKey: [UInt8], wrapped: [UInt8], at: Int64) throws {
        try db.run("""
            INSERT INTO custodian_keys (user_id, public_key, wrapped, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET wrapped = excluded.wrapped WHERE public_key = excluded.public_key
            """, userID, publicKey, wrapped, at)
    }

    private static let columns = "epoch, threshold, share_count, public_key, commitments, created_at, created_by"

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
        try db.run("INSERT INTO key_epochs (" + Self.columns + ") VALUES (?, ?, ?, ?, ?, ?, ?)",
                   r.epoch, r.threshold, r.shareCount, r.publicKey, r.commitments, r.createdAt, r.createdBy)
    }

    func insertShare(epoch: Int, index: Int, custodianID: Int64, sealed: [UInt8]) throws {
        try db.run("INSERT INTO key_shares (epoch, share_index, custodian_id, sealed) VALUES (?, ?, ?, ?)", epoch, index, custodianID, sealed)
    }

    func shares(epoch: Int) throws -> [(index: Int, custodianID: Int64, sealed: [UInt8])] {
        try db.query("SELECT share_index, custodian_id, sealed FROM key_shares WHERE epoch = ? ORDER BY share_index", epoch).map {
            (Int(try $0.int(0)), try $0.int(1), try $0.blob(2))
        }
    }

    private func record(from r: SQLiteRow) throws -> KeyEpochRecord {
        KeyEpochRecord(epoch: Int(try r.int(0)), threshold: Int(try r.int(1)), shareCount: Int(try r.int(2)),
                       publicKey: try r.blob(3), commitments: try r.blob(4), createdAt: try r.int(5), createdBy: try r.text(6))
    }
}

/// Capture tokens in SQLite.
struct SQLiteCaptureTokenRepository: CaptureTokenRepository {
    let db: SQLiteConnection

    private static let columns = "id, name, created_at, created_by, revoked_at, last_used_at"

    func create(name: String, tokenHash: [UInt8], at: Int64, by: String) throws -> CaptureTokenRecord {
        try db.run("INSERT INTO capture_tokens (name, token_hash, created_at, created_by) VALUES (?, ?, ?, ?)", name, tokenHash, at, by)
        return CaptureTokenRecord(id: db.lastInsertRowID, name: name, createdAt: at, createdBy: by, revokedAt: nil, lastUsedAt: nil)
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

    private func record(from r: SQLiteRow) throws -> CaptureTokenRecord {
        CaptureTokenRecord(id: try r.int(0), name: try r.text(1), createdAt: try r.int(2), createdBy: try r.text(3),
                           revokedAt: try r.optionalInt(4), lastUsedAt: try r.optionalInt(5))
    }
}
