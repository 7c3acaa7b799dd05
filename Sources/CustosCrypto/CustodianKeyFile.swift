/// A custodian's key file as it lies on the custodian's own device: the public identity in clear, and
/// the encryption secret y, the signing seed and the custodian's shares (one per epoch) sealed with
/// XChaCha20-Poly1305 under Argon2id(passphrase, salt). The server never sees any of it but the identity.
public struct CustodianKeyFile: Sendable, Equatable, Codable {
    public static let format = "custos-custodian-key/1"
    public let identity: DeviceIdentity
    public let salt: [UInt8]
    public let parameters: Argon2id.Parameters
    /// nonce ‖ ciphertext ‖ tag of the secret part.
    let sealed: [UInt8]

    /// A new device key: fresh y and signing seed, no shares yet.
    public static func create(passphrase: String, parameters: Argon2id.Parameters = .custodian) throws -> CustodianKeyFile {
        let device = try CustodianDevice.generate()
        defer { device.wipe() }
        return try device.sealed(passphrase: passphrase, parameters: parameters)
    }

    /// Opens the file; a wrong passphrase or any altered byte throws `authenticationFailed`.
    public func unlock(passphrase: String) throws -> CustodianDevice {
        var key = try Self.wrappingKey(passphrase: passphrase, salt: salt, parameters: parameters)
        defer { Sodium.wipe(&key) }
        var plain = try XChaCha20Poly1305.openCombined(sealed, key: key, additionalData: associatedData)
        defer { Sodium.wipe(&plain) }
        let device = try CustodianDevice(plaintext: plain)
        guard device.identity == identity else {
            device.wipe()
            throw CryptoError.authenticationFailed
        }
        return device
    }

    init(identity: DeviceIdentity, salt: [UInt8], parameters: Argon2id.Parameters, sealed: [UInt8]) throws {
        guard salt.count == 16 else { throw CryptoError.invalidInput("the key file's salt must be 16 bytes") }
        let minimum = Argon2id.Parameters.custodian
        guard (minimum.memoryKiB...(1 << 21)).contains(parameters.memoryKiB), (minimum.iterations...16).contains(parameters.iterations),
              (1...8).contains(parameters.parallelism) else {
            throw CryptoError.invalidInput("the key file's Argon2id cost is outside the accepted range")
        }
        self.identity = identity
        self.salt = salt
        self.parameters = parameters
        self.sealed = sealed
    }

    /// Binds the format, identity, salt and cost to the ciphertext, so none can be swapped or lowered unnoticed.
    var associatedData: [UInt8] {
        var w = ThresholdWire.Writer(version: 1, capacity: 128)
        w.fixed(Array(Self.format.utf8))
        w.fixed(identity.encryptionKey.bytes)
        w.fixed(identity.signingKey)
        w.fixed(salt)
        for v in [parameters.memoryKiB, parameters.iterations, parameters.parallelism] { w.u32(Int(v)) }
        return w.take()
    }

    static func wrappingKey(passphrase: String, salt: [UInt8], parameters: Argon2id.Parameters) throws -> [UInt8] {
        var password = Array(passphrase.utf8)
        defer { Sodium.wipe(&password) }
        guard !password.isEmpty else { throw CryptoError.invalidInput("the passphrase must not be empty") }
        return try Argon2id.deriveKey(password: password, salt: salt, parameters: parameters, length: XChaCha20Poly1305.keyLength)
    }

    private enum CodingKeys: String, CodingKey {
        case format, encryptionKey = "encryption_key", signingKey = "signing_key", fingerprint, salt
        case memoryKiB = "memory_kib", iterations, parallelism, sealed
    }

    /// Reads the JSON form, refusing another format.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard try c.decode(String.self, forKey: .format) == Self.format else { throw CryptoError.invalidInput("not a Custos custodian key file") }
        let identity = try DeviceIdentity(encryptionKey: Ristretto255.Point(bytes: c.decodeBase64(forKey: .encryptionKey)),
                                          signingKey: c.decodeBase64(forKey: .signingKey))
        let parameters = Argon2id.Parameters(memoryKiB: try c.decode(UInt32.self, forKey: .memoryKiB),
                                             iterations: try c.decode(UInt32.self, forKey: .iterations),
                                             parallelism: try c.decode(UInt32.self, forKey: .parallelism))
        try self.init(identity: identity, salt: c.decodeBase64(forKey: .salt), parameters: parameters, sealed: c.decodeBase64(forKey: .sealed))
    }

    /// Writes the JSON form (the fingerprint too, for people reading the file).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.format, forKey: .format)
        try c.encodeBase64(identity.encryptionKey.bytes, forKey: .encryptionKey)
        try c.encodeBase64(identity.signingKey, forKey: .signingKey)
        try c.encode(identity.fingerprint, forKey: .fingerprint)
        try c.encodeBase64(salt, forKey: .salt)
        try c.encode(parameters.memoryKiB, forKey: .memoryKiB)
        try c.encode(parameters.iterations, forKey: .iterations)
        try c.encode(parameters.parallelism, forKey: .parallelism)
        try c.encodeBase64(sealed, forKey: .sealed)
    }
}
