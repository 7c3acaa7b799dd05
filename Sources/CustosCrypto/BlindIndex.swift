/// Blind-index tokens for exact-match search over encrypted metadata (DESIGN "Metadata index"):
/// `BLAKE2b-256(key = per-field subkey, normalized value)`. Separate subkeys per field mean equal
/// values in different fields (an address as participant and as username) cannot be linked.
/// Tokens are stored in the database, so this derivation must never change.
public struct BlindIndex: Sendable {
    /// The indexed field; its raw value is the `crypto_kdf` subkey id.
    public enum Field: UInt64, Sendable, CaseIterable {
        case participant = 1, domain = 2, conversation = 3, username = 4
    }

    /// The `crypto_kdf` context for blind-index subkeys.
    public static let context = "custosbi"

    private let participantKey: [UInt8]
    private let domainKey: [UInt8]
    private let conversationKey: [UInt8]
    private let usernameKey: [UInt8]

    /// Derives one subkey per field from the 32-byte blind-index master key.
    public init(masterKey: [UInt8]) throws {
        participantKey = try Self.subkey(masterKey, .participant)
        domainKey = try Self.subkey(masterKey, .domain)
        conversationKey = try Self.subkey(masterKey, .conversation)
        usernameKey = try Self.subkey(masterKey, .username)
    }

    /// The 32-byte token for an already-normalized value (normalization is the caller's job:
    /// the same rules must apply at indexing and at search time).
    public func token(_ field: Field, _ normalizedValue: String) -> [UInt8] {
        BLAKE2b.hash(utf8: normalizedValue, key: key(for: field), outputLength: 32)
    }

    private func key(for field: Field) -> [UInt8] {
        switch field {
        case .participant: participantKey
        case .domain: domainKey
        case .conversation: conversationKey
        case .username: usernameKey
        }
    }

    private static func subkey(_ masterKey: [UInt8], _ field: Field) throws -> [UInt8] {
        try KeyDerivation.subkey(masterKey: masterKey, id: field.rawValue, context: context, length: 32)
    }
}
