import CSodium

/// An X25519 key pair for sealed boxes; the secret stays inside and is wiped by `wipe()` or on release.
///
/// A class, not a struct, so that there is exactly one copy of the secret to wipe; it is not
/// `Sendable` on purpose: a custodian's secret lives for one approval in one task.
public final class X25519KeyPair {
    /// Bytes in an X25519 public key.
    public static let publicKeyLength = 32
    /// Bytes in an X25519 secret key.
    public static let secretKeyLength = 32

    /// The public key, safe to store and publish.
    public let publicKey: [UInt8]
    private var secretKey: [UInt8]
    private var wiped = false

    /// A fresh random key pair.
    public init() {
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: X25519KeyPair.publicKeyLength)
        var sk = [UInt8](repeating: 0, count: X25519KeyPair.secretKeyLength)
        _ = crypto_box_keypair(&pk, &sk)
        publicKey = pk
        secretKey = sk
    }

    /// Rebuilds a key pair from its secret; the secret is copied, so the caller still wipes its own.
    public init(secretKey: [UInt8]) throws {
        Sodium.ensureInitialized()
        guard secretKey.count == X25519KeyPair.secretKeyLength else { throw CryptoError.invalidKey("an X25519 secret key is 32 bytes") }
        var pk = [UInt8](repeating: 0, count: X25519KeyPair.publicKeyLength)
        guard crypto_scalarmult_base(&pk, secretKey) == 0 else { throw CryptoError.invalidKey("invalid X25519 secret key") }
        publicKey = pk
        self.secretKey = ThresholdWire.freshCopy(secretKey)
    }

    deinit { Sodium.wipe(&secretKey) }

    /// Zeroes the secret now; the key pair is unusable afterwards.
    public func wipe() {
        Sodium.wipe(&secretKey)
        wiped = true
    }

    /// Lends the secret to `body` without copying it out.
    func withSecretKey<R>(_ body: ([UInt8]) throws -> R) throws -> R {
        guard !wiped else { throw CryptoError.invalidKey("the X25519 key pair has been wiped") }
        return try body(secretKey)
    }
}

/// Anonymous public-key encryption to an X25519 key (libsodium `crypto_box_seal`).
public enum SealedBox {
    /// Bytes a sealed box adds to its plaintext (ephemeral public key and MAC).
    public static let overhead = Int(crypto_box_sealbytes())

    /// Seals `plaintext` so that only the holder of `publicKey`'s secret can open it.
    public static func seal(_ plaintext: [UInt8], to publicKey: [UInt8]) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard publicKey.count == X25519KeyPair.publicKeyLength else { throw CryptoError.invalidKey("an X25519 public key is 32 bytes") }
        var out = [UInt8](repeating: 0, count: plaintext.count + overhead)
        // libsodium refuses low-order public keys here, whose shared secret would be public.
        guard crypto_box_seal(&out, plaintext, UInt64(plaintext.count), publicKey) == 0 else {
            throw CryptoError.invalidKey("X25519 public key is not usable (low order)")
        }
        return out
    }

    /// Opens a sealed box; any change to it, or the wrong key pair, throws `authenticationFailed`.
    public static func open(_ sealed: [UInt8], with keyPair: X25519KeyPair) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard sealed.count >= overhead else { throw CryptoError.authenticationFailed }
        // One spare byte keeps the buffer non-empty for an empty plaintext.
        var out = [UInt8](repeating: 0, count: sealed.count - overhead + 1)
        let rc = try keyPair.withSecretKey { secret in
            crypto_box_seal_open(&out, sealed, UInt64(sealed.count), keyPair.publicKey, secret)
        }
        guard rc == 0 else {
            Sodium.wipe(&out)
            throw CryptoError.authenticationFailed
        }
        out.removeLast()
        return out
    }
}

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
