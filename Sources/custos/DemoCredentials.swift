/// One demo user as written to the credentials file.
struct DemoUser: Codable {
    var username: String
    var password: String
    var roles: [String]
    var totpSecret: String?

    enum CodingKeys: String, CodingKey {
        case username, password, roles
        case totpSecret = "totp_secret"
    }

    /// Writes `totp_secret` as null rather than leaving it out, so scripts can rely on the key.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(username, forKey: .username)
        try c.encode(password, forKey: .password)
        try c.encode(roles, forKey: .roles)
        try c.encode(totpSecret, forKey: .totpSecret)
    }
}

/// A demo custodian: sign-in credentials, and its key file with the passphrase that opens it.
struct DemoCustodian: Codable {
    var username: String
    var password: String
    /// The key file's passphrase.
    var passphrase: String
    var totpSecret: String
    var keyFile: String

    enum CodingKeys: String, CodingKey {
        case username, password, passphrase
        case totpSecret = "totp_secret", keyFile = "key_file"
    }
}

/// The `--credentials` file of `custos demo`.
struct DemoCredentials: Codable {
    var url: String
    var users: [DemoUser]
    var custodians: [DemoCustodian]
    var captureToken: String
    /// The trust root capture clients pin.
    var archiveTrust: String

    enum CodingKeys: String, CodingKey {
        case url, users, custodians
        case captureToken = "capture_token", archiveTrust = "archive_trust"
    }
}
