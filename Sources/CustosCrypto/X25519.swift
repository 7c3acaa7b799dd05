import CSodium

/// Raw X25519 (RFC 7748) as libsodium's `crypto_scalarmult`, kept for the Wycheproof vectors.
enum X25519 {
    /// The shared secret; libsodium refuses (and this throws for) an all-zero result from a low-order key.
    static func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard privateKey.count == 32, publicKey.count == 32 else { throw CryptoError.invalidKey("X25519 keys are 32 bytes") }
        var out = [UInt8](repeating: 0, count: 32)
        guard crypto_scalarmult(&out, privateKey, publicKey) == 0 else {
            throw CryptoError.invalidKey("X25519 shared secret is all zero")
        }
        return out
    }
}
