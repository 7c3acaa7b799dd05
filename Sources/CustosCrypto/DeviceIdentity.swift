import CSodium

/// A custodian device's public identity: a ristretto255 encryption key Y (a valid point other than the
/// identity) for the shares sealed to the custodian, and an Ed25519 signing key V for everything it signs.
/// The secret halves never leave the device; the server knows only these.
public struct DeviceIdentity: Sendable, Equatable {
    /// Y, to which the custodian's shares are sealed.
    public let encryptionKey: Ristretto255.Point
    /// V, the Ed25519 public key that verifies the device's signatures.
    public let signingKey: [UInt8]

    /// Checks that Y is not the identity and that V is a 32-byte Ed25519 point of the main subgroup
    /// (no small-order key, under which a forged signature could verify).
    public init(encryptionKey: Ristretto255.Point, signingKey: [UInt8]) throws {
        guard !encryptionKey.isIdentity else {
            throw CryptoError.invalidKey("the device encryption key must not be the identity element")
        }
        guard signingKey.count == Ed25519.publicKeyLength else {
            throw CryptoError.invalidKey("the device signing key must be 32 bytes")
        }
        Sodium.ensureInitialized()
        guard crypto_core_ed25519_is_valid_point(signingKey) == 1 else {
            throw CryptoError.invalidKey("the device signing key is not a valid Ed25519 public key")
        }
        self.encryptionKey = encryptionKey
        self.signingKey = signingKey
    }

    /// Decodes both keys from their 32-byte encodings (the forms the enrolment request carries).
    public init(encryptionKey: [UInt8], signingKey: [UInt8]) throws {
        try self.init(encryptionKey: Ristretto255.Point(bytes: encryptionKey), signingKey: signingKey)
    }

    /// BLAKE2b-256("custos/v1/device-fingerprint" ‖ Y ‖ V), its first 16 bytes as lower-case hex in
    /// 8 groups of 4 joined by "-": what a person compares between the key file's CLI and the web page.
    public var fingerprint: String {
        let digest = BLAKE2b.hash(Array("custos/v1/device-fingerprint".utf8) + encryptionKey.bytes + signingKey)
        let hex = Hex.encode(Array(digest.prefix(16)))
        return stride(from: 0, to: hex.count, by: 4).map { start in
            let from = hex.index(hex.startIndex, offsetBy: start)
            return String(hex[from..<hex.index(from, offsetBy: 4)])
        }.joined(separator: "-")
    }
}

/// What a device signs when it enrols, proving it holds the secret half of V and binding the keys to the
/// one-time code: "custos/v1/device-enrol" ‖ BLAKE2b-256(UTF-8 code) ‖ Y ‖ V.
public enum DeviceEnrolment {
    /// The bytes the enrolment proof is an Ed25519 signature of.
    public static func message(code: String, identity: DeviceIdentity) -> [UInt8] {
        Array("custos/v1/device-enrol".utf8) + BLAKE2b.hash(utf8: code) + identity.encryptionKey.bytes + identity.signingKey
    }
}

/// How every API request from a custodian device is signed: a detached Ed25519 signature over
/// "custos/v1/device-request\n" METHOD "\n" path-with-query "\n" hex(BLAKE2b-256(body)) "\n" time "\n" nonce,
/// where time is decimal unix seconds and nonce is the header's base64 text of 16 random bytes.
public enum DeviceRequestSignature {
    /// The device's signing key V, base64.
    public static let deviceHeader = "Custos-Device"
    /// The signing time in decimal unix seconds.
    public static let timeHeader = "Custos-Time"
    /// Base64 of 16 random bytes, never used twice by one device.
    public static let nonceHeader = "Custos-Nonce"
    /// Base64 of the 64-byte detached signature.
    public static let signatureHeader = "Custos-Signature"
    /// Bytes of randomness in a nonce.
    public static let nonceLength = 16

    /// The bytes a request's signature covers.
    public static func message(method: String, path: String, body: [UInt8], time: Int64, nonce: String) -> [UInt8] {
        let text = "custos/v1/device-request\n" + method + "\n" + path + "\n" + Hex.encode(BLAKE2b.hash(body))
            + "\n" + String(time) + "\n" + nonce
        return Array(text.utf8)
    }

    /// The four header values for a request, signed with `signingSecretKey` (libsodium's 64-byte form) under a
    /// fresh nonce; `signingKey` is the matching public key V.
    public static func headers(method: String, path: String, body: [UInt8], time: Int64, signingSecretKey: [UInt8],
                               signingKey: [UInt8]) throws -> [(String, String)] {
        let nonce = ThresholdWire.base64(Sodium.randomBytes(nonceLength))
        let signature = try Ed25519.sign(message(method: method, path: path, body: body, time: time, nonce: nonce),
                                         secretKey: signingSecretKey)
        return [(deviceHeader, ThresholdWire.base64(signingKey)), (timeHeader, String(time)),
                (nonceHeader, nonce), (signatureHeader, ThresholdWire.base64(signature))]
    }

    /// Decodes a header's padded standard base64 strictly (nil on anything else).
    public static func bytes(base64 text: String) -> [UInt8]? {
        try? ThresholdWire.bytes(base64: text)
    }

    /// Encodes bytes as padded standard base64, as the headers and the enrolment request carry them.
    public static func base64(_ bytes: [UInt8]) -> String {
        ThresholdWire.base64(bytes)
    }
}
