import Foundation

/// Bearer secrets (session tokens, capture tokens): 256 random bits handed to the holder, of which
/// the database keeps only a BLAKE2b hash, so a stolen database yields no usable token.
public enum SecretToken {
    /// Bytes of randomness in a token.
    public static let byteCount = 32

    /// A fresh token: 32 random bytes as base64url without padding (43 characters).
    public static func generate() -> String {
        var bytes = Sodium.randomBytes(byteCount)
        defer { Sodium.wipe(&bytes) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// BLAKE2b-256 of the token's UTF-8 bytes: the only form the database stores.
    public static func hash(_ token: String) -> [UInt8] {
        BLAKE2b.hash(Array(token.utf8))
    }

    /// Whether `token` hashes to `hash`, compared in constant time.
    public static func matches(_ token: String, hash: [UInt8]) -> Bool {
        Sodium.constantTimeEqual(Self.hash(token), hash)
    }
}
