import CustosCrypto

/// The at-rest format of every value the server seals under a subkey: a version byte (2), then
/// XChaCha20-Poly1305's nonce ‖ ciphertext ‖ tag. Values sealed before subkeys had no version byte and
/// were sealed under the `metadata.key` master itself; `KeyUpgrade` re-seals them once.
enum Sealing {
    static let version: UInt8 = 2

    static func seal(_ plaintext: [UInt8], key: [UInt8], additionalData: [UInt8]) throws -> [UInt8] {
        [version] + (try XChaCha20Poly1305.sealCombined(plaintext, key: key, additionalData: additionalData))
    }

    static func open(_ sealed: [UInt8], key: [UInt8], additionalData: [UInt8]) throws -> [UInt8] {
        guard sealed.first == version else { throw CryptoError.authenticationFailed }
        return try XChaCha20Poly1305.openCombined(Array(sealed.dropFirst()), key: key, additionalData: additionalData)
    }
}

/// What a stored sealed value is, so it can be opened under the key and associated data it was sealed with.
public enum SealedKind: Sendable, Equatable {
    /// A display value of `MetadataIndexer` with its purpose ("participant", "matter-name", "saved-name-7", …).
    case display(purpose: String)
    /// An enrolled TOTP secret of user `userID`.
    case totp(userID: Int64)
}

/// Re-seals values from before subkeys (sealed under the `metadata.key` master, no version byte) under their
/// purpose's subkey. The only place the master still opens anything, once, when the data directory is upgraded.
public struct KeyUpgrade: Sendable {
    let keys: ServerKeys
    let indexer: MetadataIndexer

    public init(keys: ServerKeys) throws {
        self.keys = keys
        indexer = try MetadataIndexer(keys: keys)
    }

    /// `sealed` in the subkey format; a value already in it is returned as it is.
    public func reseal(_ sealed: [UInt8], as kind: SealedKind) throws -> [UInt8] {
        switch kind {
        case .display(let purpose):
            if (try? indexer.open(sealed, purpose: purpose)) != nil { return sealed }
            let ad = MetadataIndexer.additionalData(purpose)
            var plain = try XChaCha20Poly1305.openCombined(sealed, key: keys.metadataKey, additionalData: ad)
            defer { Sodium.wipe(&plain) }
            return try Sealing.seal(plain, key: keys.displayKey, additionalData: ad)
        case .totp(let userID):
            let secrets = TOTPSecrets(keys: keys)
            if (try? secrets.open(sealed, userID: userID)) != nil { return sealed }
            var plain = try XChaCha20Poly1305.openCombined(sealed, key: keys.metadataKey, additionalData: TOTPSecrets.additionalData(userID))
            defer { Sodium.wipe(&plain) }
            return try secrets.seal(plain, userID: userID)
        }
    }
}
