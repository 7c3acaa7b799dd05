import CustosCrypto

/// Seals a request's partial decryptions and a grant's message keys at rest.
///
/// The sealing key is derived from the metadata key, which lives in `keys/` and never in the
/// database: a copy of the database alone (a backup, a stolen file) opens none of them. Each value
/// is bound to its request, message and share, so rows cannot be moved between requests.
struct GrantVault: Sendable {
    private let key: [UInt8]

    init(keys: ServerKeys) throws {
        key = keys.grantKey
    }

    func seal(partial: PartialDecryption, requestID: Int64, messageID: Int64) throws -> [UInt8] {
        try XChaCha20Poly1305.sealCombined(partial.serialized, key: key,
                                           additionalData: Self.partialAD(requestID, messageID, partial.index))
    }

    func openPartial(_ sealed: SealedForMessage, requestID: Int64) throws -> PartialDecryption {
        var bytes = try XChaCha20Poly1305.openCombined(sealed.sealed, key: key,
                                                       additionalData: Self.partialAD(requestID, sealed.messageID, sealed.shareIndex))
        defer { Sodium.wipe(&bytes) }
        let partial = try PartialDecryption(serialized: bytes)
        guard partial.index == sealed.shareIndex else { throw CryptoError.authenticationFailed }
        return partial
    }

    func seal(messageKey: [UInt8], requestID: Int64, messageID: Int64) throws -> [UInt8] {
        try XChaCha20Poly1305.sealCombined(messageKey, key: key, additionalData: Self.keyAD(requestID, messageID))
    }

    func openMessageKey(_ sealed: [UInt8], requestID: Int64, messageID: Int64) throws -> [UInt8] {
        try XChaCha20Poly1305.openCombined(sealed, key: key, additionalData: Self.keyAD(requestID, messageID))
    }

    private static func partialAD(_ request: Int64, _ message: Int64, _ index: Int) -> [UInt8] {
        Array("custos/partial/v1/\(request)/\(message)/\(index)".utf8)
    }

    private static func keyAD(_ request: Int64, _ message: Int64) -> [UInt8] {
        Array("custos/grant-key/v1/\(request)/\(message)".utf8)
    }
}
