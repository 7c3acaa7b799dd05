/// A custodian device's public identity: a ristretto255 encryption key Y (shares are sealed to it)
/// and an Ed25519 signing key V (everything the custodian signs).
public struct DeviceIdentity: Sendable, Equatable, Hashable {
    /// Y = y·G, never the identity.
    public let encryptionKey: Ristretto255.Point
    /// V, 32 bytes.
    public let signingKey: [UInt8]

    /// Checks Y is not the identity and V is 32 bytes.
    public init(encryptionKey: Ristretto255.Point, signingKey: [UInt8]) throws {
        guard !encryptionKey.isIdentity else { throw CryptoError.invalidKey("the device encryption key is the identity element") }
        guard signingKey.count == Ed25519.publicKeyLength else { throw CryptoError.invalidKey("an Ed25519 public key is 32 bytes") }
        self.encryptionKey = encryptionKey
        self.signingKey = signingKey
    }

    /// BLAKE2b-256("custos/v1/device-fingerprint" ‖ Y ‖ V), first 16 bytes as hex in 8 groups of 4.
    public var fingerprint: String {
        let digest = BLAKE2b.hash(Array("custos/v1/device-fingerprint".utf8) + encryptionKey.bytes + signingKey)
        let hex = Array(ThresholdWire.hex(Array(digest.prefix(16))))
        return stride(from: 0, to: hex.count, by: 4).map { String(hex[$0..<$0 + 4]) }.joined(separator: "-")
    }
}

/// The bytes a device signs to prove it holds V when enrolling.
public enum DeviceEnrolment {
    /// "custos/v1/device-enrol" ‖ BLAKE2b-256(UTF-8 code) ‖ Y ‖ V.
    public static func message(code: String, identity: DeviceIdentity) -> [UInt8] {
        Array("custos/v1/device-enrol".utf8) + BLAKE2b.hash(Array(code.utf8)) + identity.encryptionKey.bytes + identity.signingKey
    }
}

/// How API requests from a custodian device are signed (Ed25519, detached).
public enum DeviceRequestSignature {
    public static let deviceHeader = "Custos-Device"
    public static let timeHeader = "Custos-Time"
    public static let nonceHeader = "Custos-Nonce"
    public static let signatureHeader = "Custos-Signature"

    /// "custos/v1/device-request\n" METHOD "\n" path "\n" hex(BLAKE2b-256(body)) "\n" time "\n" nonce.
    public static func message(method: String, path: String, body: [UInt8], time: Int64, nonce: String) -> [UInt8] {
        let digest = ThresholdWire.hex(BLAKE2b.hash(body))
        return Array("custos/v1/device-request\n\(method.uppercased())\n\(path)\n\(digest)\n\(time)\n\(nonce)".utf8)
    }

    /// The four header values for a request, signed with an Ed25519 secret key (libsodium's 64-byte form).
    public static func headers(method: String, path: String, body: [UInt8], time: Int64, signingSecretKey: [UInt8],
                               signingKey: [UInt8]) throws -> [(String, String)] {
        let nonce = ThresholdWire.base64(Sodium.randomBytes(16))
        let signature = try Ed25519.sign(message(method: method, path: path, body: body, time: time, nonce: nonce),
                                         secretKey: signingSecretKey)
        return [(deviceHeader, ThresholdWire.base64(signingKey)), (timeHeader, String(time)), (nonceHeader, nonce),
                (signatureHeader, ThresholdWire.base64(signature))]
    }
}
