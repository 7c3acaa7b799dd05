import CustosCrypto

/// Seals TOTP secrets under their own subkey of the server's metadata key, bound to their user, so a stolen
/// database cannot be used to mint codes (P1).
struct TOTPSecrets {
    let keys: ServerKeys

    static func additionalData(_ userID: Int64) -> [UInt8] { Array("custos/totp/\(userID)".utf8) }

    func seal(_ secret: [UInt8], userID: Int64) throws -> [UInt8] {
        try Sealing.seal(secret, key: keys.totpKey, additionalData: Self.additionalData(userID))
    }

    func open(_ sealed: [UInt8], userID: Int64) throws -> [UInt8] {
        try Sealing.open(sealed, key: keys.totpKey, additionalData: Self.additionalData(userID))
    }
}
