import CSodium

/// Independent subkeys from one master key (libsodium `crypto_kdf`, BLAKE2b-based): knowing one
/// subkey reveals nothing about the master key or any other subkey.
public enum KeyDerivation {
    /// Master key length in bytes.
    public static let masterKeyLength = 32
    /// Permitted subkey lengths in bytes.
    public static let subkeyLengths = 16...64
    /// Context length in bytes.
    public static let contextLength = 8

    /// Subkey number `id` in `context` (exactly 8 bytes of UTF-8, e.g. "custosbi"), `length` 16...64.
    public static func subkey(masterKey: [UInt8], id: UInt64, context: String, length: Int = 32) throws -> [UInt8] {
        Sodium.ensureInitialized()
        guard masterKey.count == Int(crypto_kdf_keybytes()) else {
            throw CryptoError.invalidKey("KDF master key must be 32 bytes")
        }
        guard context.utf8.count == Int(crypto_kdf_contextbytes()) else {
            throw CryptoError.invalidInput("KDF context must be exactly 8 bytes")
        }
        guard length >= Int(crypto_kdf_bytes_min()), length <= Int(crypto_kdf_bytes_max()) else {
            throw CryptoError.invalidInput("KDF subkey length must be 16...64 bytes")
        }
        var subkey = [UInt8](repeating: 0, count: length)
        // The String bridges to a NUL-terminated buffer holding the 8 checked bytes.
        let rc = crypto_kdf_derive_from_key(&subkey, length, id, context, masterKey)
        guard rc == 0 else { throw CryptoError.operationFailed("KDF derivation failed") }
        return subkey
    }
}
