import CustosCrypto

/// Hard limits that keep hostile input from exhausting memory or time.
enum CaptureLimits {
    /// A single message (an EML file, an mbox item, a jsonl line) larger than this is refused.
    static let messageBytes = 50 * 1024 * 1024
    /// A JSON document of an export (a Slack day file, an RSMF manifest) larger than this is refused.
    static let jsonDocumentBytes = 256 * 1024 * 1024
    /// A whole RSMF file read into memory (an .rsmf EML with its zip) larger than this is refused.
    static let rsmfFileBytes = 512 * 1024 * 1024
    /// MIME nesting deeper than this is not walked further (the message is still captured).
    static let mimeDepth = 32
    /// MIME parts beyond this count are not examined (the message is still captured).
    static let mimeParts = 10_000
    /// Header values longer than this are truncated before parsing.
    static let headerValueBytes = 1024 * 1024
}

/// Why an item is refused, before the source path is attached. Reasons name structure, fields
/// and dates; they never quote a subject, a body or a message text.
struct Refusal: Error {
    var text: String
}

/// The idempotency key rule shared by every format.
enum ContentID {
    /// `<platform>:` + lower-hex BLAKE2b-256 of `content`: the same bytes give the same uid on every run.
    static func uid(platform: String, content: [UInt8]) -> String {
        platform + ":" + Hex.encode(BLAKE2b.hash(content))
    }

    /// A source's own message id, never stored as given (ids can carry phone numbers or addresses): `<platform>:` +
    /// lower-hex BLAKE2b-256 keyed for this purpose over platform ‖ 0x00 ‖ id. Stable, so re-runs are duplicates; like
    /// email uids it can confirm a guessed id, and shows none.
    static func uid(platform: String, sourceID: String) -> String {
        platform + ":" + Hex.encode(BLAKE2b.hash(Array(platform.utf8) + [0] + Array(sourceID.utf8), key: sourceKey))
    }

    private static let sourceKey = BLAKE2b.hash(Array("custos/v1/source-uid".utf8))

}

/// Builds the participant list in the canonical order without duplicates.
struct ParticipantList {
    private var seen: Set<String> = []
    private(set) var items: [Participant] = []

    /// Adds `participant` unless the same (address, part) is already present.
    mutating func add(_ participant: Participant) {
        guard !participant.address.isEmpty else { return }
        let key = participant.part.rawValue + "\u{0}" + participant.address
        guard seen.insert(key).inserted else { return }
        items.append(participant)
    }

    /// The participants ordered from, to, cc, bcc, member; insertion order within a part.
    var ordered: [Participant] {
        // A stable sort keeps the order of appearance inside each part.
        items.enumerated()
            .sorted { ($0.element.part.rank, $0.offset) < ($1.element.part.rank, $1.offset) }
            .map(\.element)
    }
}

/// Normalization of participant identities shared by the parsers.
enum Identity {
    /// An email address: lower-cased, whitespace (also no-break space) removed, with its domain.
    static func email(_ raw: String, displayName: String?, part: ParticipantPart) -> Participant? {
        // Plain ASCII addresses (nearly all) skip the Unicode property look-ups.
        let plain = raw.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        let cleaned = (plain ? raw : String(String.UnicodeScalarView(raw.unicodeScalars.filter {
            !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F
        }))).lowercased()
        guard !cleaned.isEmpty else { return nil }
        var domain: String?
        if let at = cleaned.lastIndex(of: "@") {
            var tail = cleaned[cleaned.index(after: at)...]
            while tail.hasSuffix(".") { tail = tail.dropLast() }
            domain = tail.isEmpty ? nil : String(tail)
        }
        return Participant(address: cleaned, displayName: displayName, part: part, domain: domain)
    }

    /// A chat handle `<platform>:<id>`; the id keeps its case because chat ids are case-sensitive.
    static func handle(platform: String, id: String, displayName: String?, part: ParticipantPart) -> Participant? {
        guard !id.isEmpty else { return nil }
        return Participant(address: platform + ":" + id, displayName: displayName, part: part, domain: nil)
    }

    /// A jsonl/RSMF address: a `scheme:handle` stays a handle; anything else is treated as email.
    static func any(_ raw: String, displayName: String?, part: ParticipantPart) -> Participant? {
        let trimmed = raw.trimmingWhitespace
        guard !trimmed.isEmpty else { return nil }
        if let colon = trimmed.firstIndex(of: ":"), !trimmed[..<colon].contains("@"),
           isScheme(trimmed[..<colon]) {
            let scheme = trimmed[..<colon].lowercased()
            let id = String(trimmed[trimmed.index(after: colon)...])
            if scheme == "mailto" { return email(id, displayName: displayName, part: part) }
            return handle(platform: scheme, id: id, displayName: displayName, part: part)
        }
        return email(trimmed, displayName: displayName, part: part)
    }

    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first) || ("A"..."Z").contains(first)
        else { return false }
        return text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "+" || $0 == "-" || $0 == "."
        }
    }
}

extension String {
    /// The string without leading and trailing Unicode whitespace and newlines.
    var trimmingWhitespace: String {
        // Most values are ASCII with nothing to trim: answer without Unicode property look-ups.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return self
        }
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}

/// Media type normalization shared by the parsers.
enum MediaType {
    /// `type/subtype` lower-cased if it is a syntactically valid media type, else nil.
    static func normalized(_ raw: String) -> String? {
        let lower = raw.trimmingWhitespace.lowercased()
        let pieces = lower.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 127 && $0.utf8.allSatisfy(isTokenByte) })
        else { return nil }
        return lower
    }

    /// RFC 2045 token characters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        guard byte > 0x20, byte < 0x7F else { return false }
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""),
             UInt8(ascii: "/"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "?"), UInt8(ascii: "="):
            return false
        default:
            return true
        }
    }

    /// Sorted, deduplicated list.
    static func sortedUnique(_ types: [String]) -> [String] {
        Array(Set(types)).sorted()
    }
}
