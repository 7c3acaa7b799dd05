import CustosCrypto
import Foundation

/// Turns participant addresses and conversation ids into what the index stores: keyed BLAKE2b
/// blind tokens for exact search and display values sealed under the display subkey of the metadata key (P1).
public struct MetadataIndexer: Sendable {
    let blind: BlindIndex
    let displayKey: [UInt8]

    public init(keys: ServerKeys) throws {
        blind = try BlindIndex(masterKey: keys.blindIndexKey)
        displayKey = keys.displayKey
    }

    /// The canonical form of an address: trimmed and lower-cased.
    public static func normalize(_ address: String) -> String {
        asciiNormalized(address) ?? unicodeNormalized(address)
    }

    /// `normalize` for an address with non-ASCII characters: trimmed, in Unicode NFC (so a composed and a decomposed
    /// "ü" are one address), lower-cased, and its domain in IDNA ASCII form (`bücher.de` and `xn--bcher-kva.de` are
    /// one domain). An all-ASCII address never comes here, so no ASCII token changes.
    static func unicodeNormalized(_ address: String) -> String {
        let folded = address.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping.lowercased()
        guard let at = folded.lastIndex(of: "@") else { return folded }
        let domain = String(folded[folded.index(after: at)...])
        guard let ascii = Punycode.domainToASCII(domain) else { return folded }
        return String(folded[...at]) + ascii
    }

    /// `normalize` for an all-ASCII address, done on its UTF-8 bytes: trims U+0009…U+000D and U+0020 (the ASCII
    /// members of `whitespacesAndNewlines`) and lower-cases A–Z (all `lowercased()` changes in ASCII); returns the
    /// string itself when nothing changes. Nil for any other input, which takes the Foundation path.
    static func asciiNormalized(_ address: String) -> String? {
        var copy = address
        return copy.withUTF8 { bytes -> String? in
            var lower = 0
            var upper = bytes.count
            var needsLowering = false
            for b in bytes {
                if b >= 0x80 { return nil }
                if b >= 0x41 && b <= 0x5A { needsLowering = true }
            }
            let isSpace = { (b: UInt8) in b == 0x20 || (b >= 0x09 && b <= 0x0D) }
            while lower < upper && isSpace(bytes[lower]) { lower += 1 }
            while upper > lower && isSpace(bytes[upper - 1]) { upper -= 1 }
            if lower == 0 && upper == bytes.count && !needsLowering { return address }
            return String(decoding: bytes[lower..<upper].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
        }
    }

    /// The domain of an email-style address, if it has one.
    public static func domain(of normalized: String) -> String? {
        guard let at = normalized.lastIndex(of: "@") else { return nil }
        let d = normalized[normalized.index(after: at)...]
        return d.isEmpty ? nil : String(d)
    }

    /// Token for a participant address.
    public func participantToken(_ address: String) -> [UInt8] { blind.token(.participant, Self.normalize(address)) }
    /// Token for a domain, typed (`bücher.de`) or taken from an address (`xn--bcher-kva.de`): the same token.
    public func domainToken(_ domain: String) -> [UInt8] { blind.token(.domain, Self.normalizeDomain(domain)) }

    /// A domain as tokens see it: `normalize`d, then in IDNA ASCII form.
    public static func normalizeDomain(_ domain: String) -> String {
        let n = normalize(domain)
        return n.unicodeScalars.allSatisfy(\.isASCII) ? n : (Punycode.domainToASCII(n) ?? n)
    }
    /// Token for a conversation id (exact, case-sensitive: ids are opaque).
    public func conversationToken(_ id: String) -> [UInt8] { blind.token(.conversation, id) }

    /// Seals a display value under the display subkey; `purpose` binds it to its column so values cannot be moved
    /// between columns.
    public func seal(_ value: String, purpose: String) throws -> [UInt8] {
        try Sealing.seal(Array(value.utf8), key: displayKey, additionalData: Self.additionalData(purpose))
    }

    /// Opens a display value.
    public func open(_ sealed: [UInt8], purpose: String) throws -> String {
        String(decoding: try Sealing.open(sealed, key: displayKey, additionalData: Self.additionalData(purpose)), as: UTF8.self)
    }

    /// The associated data binding a display value to its purpose, `custos/display/<purpose>`; the two purposes
    /// used for every message (participant, conversation) are built once.
    static func additionalData(_ purpose: String) -> [UInt8] {
        switch purpose {
        case "participant": participantAD
        case "conversation": conversationAD
        default: Array(("custos/display/" + purpose).utf8)
        }
    }

    private static let participantAD = Array("custos/display/participant".utf8)
    private static let conversationAD = Array("custos/display/conversation".utf8)
}
