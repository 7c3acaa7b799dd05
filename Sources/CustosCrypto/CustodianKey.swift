/// A custodian's X25519 secret, wrapped under Argon2id(passphrase) with XChaCha20-Poly1305; safe to store.
public struct WrappedCustodianKey: Sendable, Equatable, Codable {
    /// The custodian's X25519 public key, to which shares are sealed.
    public let publicKey: [UInt8]
    /// The random 16-byte Argon2id salt.
    public let salt: [UInt8]
    /// The Argon2id cost the wrapping key was derived with.
    public let parameters: Argon2id.Parameters
    /// `nonce (24) ‖ XChaCha20-Poly1305(secret key) (32 + 16)`.
    public let sealedSecret: [UInt8]

    /// Salt length in bytes.
    public static let saltLength = 16
    private static let sealedLength = XChaCha20Poly1305.nonceLength + X25519KeyPair.secretKeyLength + XChaCha20Poly1305.tagLength

    /// Checks lengths and that the cost is at least the custodian minimum and bounded (no denial of service by decoding).
    public init(publicKey: [UInt8], salt: [UInt8], parameters: Argon2id.Parameters, sealedSecret: [UInt8]) throws {
        guard publicKey.count == X25519KeyPair.publicKeyLength else { throw CryptoError.invalidKey("an X25519 public key is 32 bytes") }
        guard salt.count == Self.saltLength else { throw CryptoError.invalidInput("the salt must be 16 bytes") }
        guard sealedSecret.count == Self.sealedLength else { throw CryptoError.invalidInput("the wrapped secret has the wrong length") }
        let minimum = Argon2id.Parameters.custodian
        guard (minimum.memoryKiB...(1 << 20)).contains(parameters.memoryKiB),
              (minimum.iterations...16).contains(parameters.iterations),
              (1...8).contains(parameters.parallelism) else {
            throw CryptoError.invalidInput("Argon2id parameters are outside the accepted custodian range")
        }
        self.publicKey = publicKey
        self.salt = salt
        self.parameters = parameters
        self.sealedSecret = sealedSecret
    }

    /// Binds the public key, salt and cost to the ciphertext, so none can be swapped or lowered unnoticed.
    var associatedData: [UInt8] {
        var writer = ThresholdWire.Writer(version: 1, capacity: 96)
        writer.fixed(Array("custos/v1/custodian-key".utf8))
        writer.fixed(publicKey)
        writer.fixed(salt)
        for value in [parameters.memoryKiB, parameters.iterations, parameters.parallelism] { writer.u32(Int(value)) }
        return writer.take()
    }

    /// Binary form: version 1 ‖ public key (32) ‖ salt (16) ‖ u32 m ‖ u32 t ‖ u32 p ‖ sealed secret (72).
    public var serialized: [UInt8] {
        var writer = ThresholdWire.Writer(version: 1, capacity: 133)
        writer.fixed(publicKey)
        writer.fixed(salt)
        for value in [parameters.memoryKiB, parameters.iterations, parameters.parallelism] { writer.u32(Int(value)) }
        writer.fixed(sealedSecret)
        return writer.take()
    }

    /// Parses the binary form with the same checks.
    public init(serialized: [UInt8]) throws {
        var reader = try ThresholdWire.Reader(serialized, version: 1, what: "wrapped custodian key")
        let publicKey = try reader.fixed(X25519KeyPair.publicKeyLength)
        let salt = try reader.fixed(Self.saltLength)
        let cost = try (0..<3).map { _ in UInt32(truncatingIfNeeded: try reader.u32()) }
        let sealed = try reader.fixed(Self.sealedLength)
        try reader.finish()
        try self.init(publicKey: publicKey, salt: salt,
                      parameters: Argon2id.Parameters(memoryKiB: cost[0], iterations: cost[1], parallelism: cost[2]),
                      sealedSecret: sealed)
    }

    private enum CodingKeys: String, CodingKey {
        case publicKey = "public_key", salt, memoryKiB = "memory_kib", iterations, parallelism, sealedSecret = "sealed_secret"
    }

    /// Decodes `{"public_key", "salt", "memory_kib", "iterations", "parallelism", "sealed_secret"}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let parameters = Argon2id.Parameters(memoryKiB: try c.decode(UInt32.self, forKey: .memoryKiB),
                                             iterations: try c.decode(UInt32.self, forKey: .iterations),
                                             parallelism: try c.decode(UInt32.self, forKey: .parallelism))
        try self.init(publicKey: c.decodeBase64(forKey: .publicKey), salt: c.decodeBase64(forKey: .salt),
                      parameters: parameters, sealedSecret: c.decodeBase64(forKey: .sealedSecret))
    }

    /// Encodes the JSON object form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeBase64(publicKey, forKey: .publicKey)
        try c.encodeBase64(salt, forKey: .salt)
        try c.encode(parameters.memoryKiB, forKey: .memoryKiB)
        try c.encode(parameters.iterations, forKey: .iterations)
        try c.encode(parameters.parallelism, forKey: .parallelism)
        try c.encodeBase64(sealedSecret, forKey: .sealedSecret)
    }
}

/// A custodian's side of the scheme: creating its key, and approving by producing proven partials.
public enum CustodianKey {
    /// Makes a new X25519 key pair and returns it wrapped under the passphrase; the secret is wiped.
    public static func create(passphrase: String) throws -> WrappedCustodianKey {
        let keyPair = X25519KeyPair()
        defer { keyPair.wipe() }
        return try wrap(keyPair, passphrase: passphrase, salt: Sodium.randomBytes(WrappedCustodianKey.saltLength))
    }

    /// Re-wraps under a new passphrase (fresh salt); the old passphrase must be right.
    public static func changePassphrase(_ wrapped: WrappedCustodianKey, from old: String, to new: String) throws -> WrappedCustodianKey {
        let keyPair = try unwrap(wrapped, passphrase: old)
        defer { keyPair.wipe() }
        return try wrap(keyPair, passphrase: new, salt: Sodium.randomBytes(WrappedCustodianKey.saltLength))
    }

    /// Unwraps the key pair; a wrong passphrase or any altered field throws `authenticationFailed`.
    public static func unwrap(_ wrapped: WrappedCustodianKey, passphrase: String) throws -> X25519KeyPair {
        var key = try wrappingKey(passphrase: passphrase, salt: wrapped.salt, parameters: wrapped.parameters)
        defer { Sodium.wipe(&key) }
        var secret = try XChaCha20Poly1305.openCombined(wrapped.sealedSecret, key: key, additionalData: wrapped.associatedData)
        defer { Sodium.wipe(&secret) }
        let keyPair = try X25519KeyPair(secretKey: secret)
        guard Sodium.constantTimeEqual(keyPair.publicKey, wrapped.publicKey) else {
            keyPair.wipe()
            throw CryptoError.authenticationFailed
        }
        return keyPair
    }

    /// Checks, at the ceremony, that the sealed share opens with this passphrase and matches the commitments.
    public static func verifyShare(passphrase: String, wrappedKey: WrappedCustodianKey, sealedShare: SealedShare,
                                   commitments: FeldmanCommitments) throws {
        let share = try openShare(passphrase: passphrase, wrappedKey: wrappedKey, sealedShare: sealedShare, commitments: commitments)
        share.wipe()
    }

    /// An approval: unwrap, open the share, check it, compute D_i = s_i·R with a DLEQ proof for each R, wipe.
    public static func approve(passphrase: String, wrappedKey: WrappedCustodianKey, sealedShare: SealedShare,
                               commitments: FeldmanCommitments, ephemeralKeys: [Ristretto255.Point]) throws -> [PartialDecryption] {
        let share = try openShare(passphrase: passphrase, wrappedKey: wrappedKey, sealedShare: sealedShare, commitments: commitments)
        defer { share.wipe() }
        return try share.partialDecryptions(of: ephemeralKeys, commitments: commitments)
    }

    /// Opens the share and refuses one whose epoch, index or value disagree with the commitments.
    private static func openShare(passphrase: String, wrappedKey: WrappedCustodianKey, sealedShare: SealedShare,
                                  commitments: FeldmanCommitments) throws -> KeyShare {
        guard sealedShare.epoch == commitments.epoch else { throw CryptoError.invalidInput("the share belongs to another epoch") }
        try commitments.checkIndex(sealedShare.index)
        let keyPair = try unwrap(wrappedKey, passphrase: passphrase)
        defer { keyPair.wipe() }
        let share = try KeyShare(opening: sealedShare, with: keyPair)
        guard share.matches(commitments) else {
            share.wipe()
            throw CryptoError.invalidKey("the key share does not match the epoch's commitments")
        }
        return share
    }

    private static func wrap(_ keyPair: X25519KeyPair, passphrase: String, salt: [UInt8]) throws -> WrappedCustodianKey {
        var key = try wrappingKey(passphrase: passphrase, salt: salt, parameters: .custodian)
        defer { Sodium.wipe(&key) }
        // The AD needs the final field values, so it is built from a draft with a placeholder secret.
        let placeholder = [UInt8](repeating: 0, count: XChaCha20Poly1305.nonceLength + 48)
        let draft = try WrappedCustodianKey(publicKey: keyPair.publicKey, salt: salt, parameters: .custodian, sealedSecret: placeholder)
        let sealed = try keyPair.withSecretKey { secret in
            try XChaCha20Poly1305.sealCombined(secret, key: key, additionalData: draft.associatedData)
        }
        return try WrappedCustodianKey(publicKey: keyPair.publicKey, salt: salt, parameters: .custodian, sealedSecret: sealed)
    }

    private static func wrappingKey(passphrase: String, salt: [UInt8], parameters: Argon2id.Parameters) throws -> [UInt8] {
        var password = Array(passphrase.utf8)
        defer { Sodium.wipe(&password) }
        guard !password.isEmpty else { throw CryptoError.invalidInput("the passphrase must not be empty") }
        return try Argon2id.deriveKey(password: password, salt: salt, parameters: parameters, length: XChaCha20Poly1305.keyLength)
    }
}
