import CustosCore
import CustosCrypto

/// Custodian devices, enrolment codes and request nonces in SQLite.
struct SQLDeviceRepository: CustodianDeviceRepository {
    let db: any SQLDatabase

    private static let columns = "id, user_id, encryption_key, signing_key, fingerprint, enrolled_at, revoked_at"

    func insert(userID: Int64, identity: DeviceIdentity, fingerprint: String, at: Int64) throws -> DeviceRecord {
        let id = try db.insert("""
            INSERT INTO custodian_devices (user_id, encryption_key, signing_key, fingerprint, enrolled_at) VALUES (?, ?, ?, ?, ?) RETURNING id
            """, userID, identity.encryptionKey.bytes, identity.signingKey, fingerprint, at)
        return DeviceRecord(id: id, userID: userID, identity: identity, fingerprint: fingerprint, enrolledAt: at, revokedAt: nil)
    }

    func active(userID: Int64) throws -> DeviceRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM custodian_devices WHERE user_id = ? AND revoked_at IS NULL", userID)
            .map(record(from:))
    }

    func find(signingKey: [UInt8]) throws -> DeviceRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM custodian_devices WHERE signing_key = ?", signingKey).map(record(from:))
    }

    func isEnrolled(encryptionKey: [UInt8], signingKey: [UInt8]) throws -> Bool {
        try db.queryOne("SELECT 1 FROM custodian_devices WHERE encryption_key = ? OR signing_key = ? LIMIT 1", encryptionKey, signingKey) != nil
    }

    func revoke(id: Int64, at: Int64) throws {
        try db.run("UPDATE custodian_devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, id)
    }

    func insertCode(_ code: EnrolmentCodeRecord) throws {
        try db.run("INSERT INTO device_enrolment_codes (code_hash, user_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)",
                   code.codeHash, code.userID, code.createdAt, code.expiresAt, code.usedAt)
    }

    func withdrawCodes(userID: Int64, at: Int64) throws {
        try db.run("UPDATE device_enrolment_codes SET expires_at = ? WHERE user_id = ? AND used_at IS NULL AND expires_at > ?",
                   at, userID, at)
    }

    func code(hash: [UInt8]) throws -> EnrolmentCodeRecord? {
        try db.queryOne("SELECT code_hash, user_id, created_at, expires_at, used_at FROM device_enrolment_codes WHERE code_hash = ?", hash).map {
            EnrolmentCodeRecord(codeHash: try $0.blob(0), userID: try $0.int(1), createdAt: try $0.int(2), expiresAt: try $0.int(3),
                                usedAt: try $0.optionalInt(4))
        }
    }

    func markCodeUsed(hash: [UInt8], at: Int64) throws {
        try db.run("UPDATE device_enrolment_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL", at, hash)
    }

    func recordNonce(signingKey: [UInt8], nonce: [UInt8], at: Int64) throws -> Bool {
        try db.run("INSERT INTO device_request_nonces (signing_key, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                   signingKey, nonce, at) == 1
    }

    func forgetNonces(before: Int64) throws {
        try db.run("DELETE FROM device_request_nonces WHERE seen_at < ?", before)
    }

    private func record(from r: SQLRow) throws -> DeviceRecord {
        let identity = try DeviceIdentity(encryptionKey: r.blob(2), signingKey: r.blob(3))
        return DeviceRecord(id: try r.int(0), userID: try r.int(1), identity: identity, fingerprint: try r.text(4),
                            enrolledAt: try r.int(5), revokedAt: try r.optionalInt(6))
    }
}
