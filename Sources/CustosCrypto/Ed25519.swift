import CSodium

/// Ed25519 signatures (RFC 8032) through libsodium, used to sign audit-log checkpoints.
public enum Ed25519 {
    /// Public key length in bytes.
    public static let publicKeyLength = 32
    /// Secret key length in bytes (libsodium form: seed ‖ public key).
    public static let secretKeyLength = 64
    /// Seed length in bytes; the seed alone determines the key pair.
    public static let seedLength = 32
    /// Detached signature length in bytes.
    public static let signatureLength = 64

    /// A signing key pair; `secretKey` is libsodium's 64-byte form (seed ‖ public key).
    public struct KeyPair: Sendable {
        public let publicKey: [UInt8]
        public let secretKey: [UInt8]

        /// The 32-byte seed (first half of `secretKey`): the compact form to store and reload
        /// with `Ed25519.keyPair(seed:)`.
        public var seed: [UInt8] { Array(secretKey.prefix(Ed25519.seedLength)) }
    }

    /// A fresh key pair from the operating system's CSPRNG.
    public static func generateKeyPair() -> KeyPair {
        var seed = Sodium.randomBytes(seedLength)
        defer { Sodium.wipe(&seed) }
        // A 32-byte seed is always accepted, so this cannot fail.
        return derive(seed: seed)
    }

    /// The key pair a 32-byte seed determines (RFC 8032 §5.1.5).
    public static func keyPair(seed: [UInt8]) throws -> KeyPair {
        guard seed.count == seedLength else { throw CryptoError.invalidKey("Ed25519 seed must be 32 bytes") }
        return derive(seed: seed)
    }

    /// A detached 64-byte signature of `message`.
    public static func sign(_ message: [UInt8], secretKey: [UInt8]) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard secretKey.count == secretKeyLength else {
            throw CryptoError.invalidKey("Ed25519 secret key must be 64 bytes")
        }
        var signature = [UInt8](repeating: 0, count: signatureLength)
        let rc = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        guard rc == 0 else { throw CryptoError.operationFailed("Ed25519 signing failed") }
        return signature
    }

    /// True only for a valid signature. libsodium's verifier is cofactorless and strict: it rejects
    /// non-canonical encodings and small-order public keys and R values (see Ed25519Tests).
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        Sodium.ensureInitialized()
        guard signature.count == signatureLength, publicKey.count == publicKeyLength else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }

    private static func derive(seed: [UInt8]) -> KeyPair {
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: publicKeyLength)
        var secretKey = [UInt8](repeating: 0, count: secretKeyLength)
        _ = crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        return KeyPair(publicKey: publicKey, secretKey: secretKey)
    }
}
