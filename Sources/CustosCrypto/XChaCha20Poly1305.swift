import CSodium

/// XChaCha20-Poly1305 (IETF) authenticated encryption with a random 24-byte nonce.
public enum XChaCha20Poly1305 {
    public static let keyLength = 32
    public static let nonceLength = 24
    public static let tagLength = 16

    /// A fresh random 256-bit key.
    public static func generateKey() -> [UInt8] { Sodium.randomBytes(keyLength) }

    /// Encrypts with an explicit nonce; returns ciphertext with the 16-byte tag appended.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], additionalData: [UInt8] = []) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw CryptoError.invalidKey("XChaCha20-Poly1305 key must be 32 bytes") }
        guard nonce.count == nonceLength else { throw CryptoError.invalidInput("XChaCha20-Poly1305 nonce must be 24 bytes") }
        var out = [UInt8](repeating: 0, count: plaintext.count + tagLength)
        var outLen: UInt64 = 0
        let rc = out.withUnsafeMutableBufferPointer { o in
            plaintext.withUnsafeBufferPointer { p in
                additionalData.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        o.baseAddress!, &outLen, p.baseAddress, UInt64(plaintext.count),
                        ad.baseAddress, UInt64(additionalData.count), nil, nonce, key)
                }
            }
        }
        guard rc == 0 else { throw CryptoError.operationFailed("encryption failed") }
        return out
    }

    /// Decrypts and authenticates ciphertext-with-tag; throws `authenticationFailed` on any change.
    public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], additionalData: [UInt8] = []) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw CryptoError.invalidKey("XChaCha20-Poly1305 key must be 32 bytes") }
        guard nonce.count == nonceLength else { throw CryptoError.invalidInput("XChaCha20-Poly1305 nonce must be 24 bytes") }
        guard ciphertext.count >= tagLength else { throw CryptoError.authenticationFailed }
        // One spare byte keeps the buffer non-empty for an empty plaintext.
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagLength + 1)
        var outLen: UInt64 = 0
        let rc = out.withUnsafeMutableBufferPointer { o in
            ciphertext.withUnsafeBufferPointer { c in
                additionalData.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        o.baseAddress!, &outLen, nil, c.baseAddress!, UInt64(ciphertext.count),
                        ad.baseAddress, UInt64(additionalData.count), nonce, key)
                }
            }
        }
        guard rc == 0 else { throw CryptoError.authenticationFailed }
        out.removeLast(out.count - Int(outLen))
        return out
    }

    /// Encrypts under a fresh random nonce and returns `nonce ‖ ciphertext ‖ tag`.
    /// Written into one buffer: the nonce is drawn into its first 24 bytes and the ciphertext goes after it.
    public static func sealCombined(_ plaintext: [UInt8], key: [UInt8], additionalData: [UInt8] = []) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyLength else { throw CryptoError.invalidKey("XChaCha20-Poly1305 key must be 32 bytes") }
        var out = [UInt8](repeating: 0, count: nonceLength + plaintext.count + tagLength)
        var outLen: UInt64 = 0
        let rc = out.withUnsafeMutableBufferPointer { o in
            randombytes_buf(o.baseAddress!, nonceLength)
            return plaintext.withUnsafeBufferPointer { p in
                additionalData.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        o.baseAddress! + nonceLength, &outLen, p.baseAddress, UInt64(plaintext.count),
                        ad.baseAddress, UInt64(additionalData.count), nil, o.baseAddress!, key)
                }
            }
        }
        guard rc == 0 else { throw CryptoError.operationFailed("encryption failed") }
        return out
    }

    /// Opens the output of `sealCombined`, reading nonce and ciphertext in place.
    public static func openCombined(_ combined: [UInt8], key: [UInt8], additionalData: [UInt8] = []) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard combined.count >= nonceLength + tagLength else { throw CryptoError.authenticationFailed }
        guard key.count == keyLength else { throw CryptoError.invalidKey("XChaCha20-Poly1305 key must be 32 bytes") }
        let cipherLength = combined.count - nonceLength
        // One spare byte keeps the buffer non-empty for an empty plaintext.
        var out = [UInt8](repeating: 0, count: cipherLength - tagLength + 1)
        var outLen: UInt64 = 0
        let rc = out.withUnsafeMutableBufferPointer { o in
            combined.withUnsafeBufferPointer { c in
                additionalData.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        o.baseAddress!, &outLen, nil, c.baseAddress! + nonceLength, UInt64(cipherLength),
                        ad.baseAddress, UInt64(additionalData.count), c.baseAddress!, key)
                }
            }
        }
        guard rc == 0 else { throw CryptoError.authenticationFailed }
        out.removeLast(out.count - Int(outLen))
        return out
    }
}
