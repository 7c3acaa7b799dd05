import CustosCrypto

/// A custodian's enrolled device: public keys only.
public struct DeviceRecord: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    public var identity: DeviceIdentity
    public var fingerprint: String
    public var enrolledAt: Int64
    /// When it stopped counting (a newer enrolment replaced it); nil while in force.
    public var revokedAt: Int64?

    /// A device as stored.
    public init(id: Int64, userID: Int64, identity: DeviceIdentity, fingerprint: String, enrolledAt: Int64, revokedAt: Int64?) {
        self.id = id
        self.userID = userID
        self.identity = identity
        self.fingerprint = fingerprint
        self.enrolledAt = enrolledAt
        self.revokedAt = revokedAt
    }
}

/// A one-time enrolment code as stored: its hash, whose it is, and its life.
public struct EnrolmentCodeRecord: Sendable, Equatable {
    public var codeHash: [UInt8]
    public var userID: Int64
    public var createdAt: Int64
    public var expiresAt: Int64
    public var usedAt: Int64?

    /// A code as stored.
    public init(codeHash: [UInt8], userID: Int64, createdAt: Int64, expiresAt: Int64, usedAt: Int64?) {
        self.codeHash = codeHash
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// Custodian devices, their one-time enrolment codes and the nonces of the requests they signed.
public protocol CustodianDeviceRepository {
    /// Stores a newly enrolled device, in force from `at`.
    func insert(userID: Int64, identity: DeviceIdentity, fingerprint: String, at: Int64) throws -> DeviceRecord
    /// The device in force for a person, if any.
    func active(userID: Int64) throws -> DeviceRecord?
    /// The device, in force or revoked, with this signing key.
    func find(signingKey: [UInt8]) throws -> DeviceRecord?
    /// Whether any device, in force or revoked, already has either key.
    func isEnrolled(encryptionKey: [UInt8], signingKey: [UInt8]) throws -> Bool
    /// Takes a device out of force.
    func revoke(id: Int64, at: Int64) throws
    /// Stores a new code by its hash.
    func insertCode(_ code: EnrolmentCodeRecord) throws
    /// Ends every unused code of a person still valid at `at`, so only the newest one works.
    func withdrawCodes(userID: Int64, at: Int64) throws
    /// The code with this hash.
    func code(hash: [UInt8]) throws -> EnrolmentCodeRecord?
    /// Marks a code used.
    func markCodeUsed(hash: [UInt8], at: Int64) throws
    /// Remembers a request's nonce; false when this device already used it (a replay).
    func recordNonce(signingKey: [UInt8], nonce: [UInt8], at: Int64) throws -> Bool
    /// Forgets nonces seen before `before`, which the time check alone now refuses.
    func forgetNonces(before: Int64) throws
}
