import CustosCrypto
import Foundation

/// Turns participant addresses and conversation ids into what the index stores: keyed BLAKE2b
/// blind tokens for exact search and display values sealed under the metadata key (P1).
public struct MetadataIndexer: Sendable {
    let blind: BlindIndex
    let metadataKey: [UInt8]

    public init(keys: ServerKeys) throws {
        blind = try BlindIndex(masterKey: keys.blindIndexKey)
        metadataKey = keys.metadataKey
    }

    /// The canonical form of an address: trimmed and lower-cased.
    public static func normalize(_ address: String) -> String {
        address.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// The domain of an email-style address, if it has one.
    public static func domain(of normalized: String) -> String? {
        guard let at = normalized.lastIndex(of: "@") else { return nil }
        let d = normalized[normalized.index(after: at)...]
        return d.isEmpty ? nil : String(d)
    }

    /// Token for a participant address.
    public func participantToken(_ address: String) -> [UInt8] { blind.token(.participant, Self.normalize(address)) }
    /// Token for a domain.
    public func domainToken(_ domain: String) -> [UInt8] { blind.token(.domain, Self.normalize(domain)) }
    /// Token for a conversation id (exact, case-sensitive: ids are opaque).
    public func conversationToken(_ id: String) -> [UInt8] { blind.token(.conversation, id) }

    /// Seals a display value; `purpose` binds it to its column so values cannot be moved between columns.
    public func seal(_ value: String, purpose: String) throws -> [UInt8] {
        try XChaCha20Poly1305.sealCombined(Array(value.utf8), key: metadataKey, additionalData: Array("custos/display/\(purpose)".utf8))
    }

    /// Opens a display value.
    public func open(_ sealed: [UInt8], purpose: String) throws -> String {
        let bytes = try XChaCha20Poly1305.openCombined(sealed, key: metadataKey, additionalData: Array("custos/display/\(purpose)".utf8))
        return String(decoding: bytes, as: UTF8.self)
    }
}
