import CustosCrypto

/// Seals TOTP secrets under the server's metadata key, bound to their user, so a stolen database
/// cannot be used to mint codes (P1).
struct TOTPSecrets {
    let keys: ServerKeys

    func seal(_ secret: [UInt8], userID: Int64) throws -> [UInt8] {
        try XChaCha20Poly1305.sealCombined(secret, key: keys.metadataKey, additionalData: Array("custos/totp/\(userID)".utf8))
    }

    func open(_ sealed: [UInt8], userID: Int64) throws -> [UInt8] {
        try XChaCha20Poly1305.openCombined(sealed, key: keys.metadataKey, additionalData: Array("custos/totp/\(userID)".utf8))
    }
}
