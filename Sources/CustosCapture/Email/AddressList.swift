/// Parses RFC 5322 address lists leniently: groups (`undisclosed-recipients:;`), quoted names
/// with commas, comments as names (`a@b (Name)`), routes, missing angle brackets and the common
/// broken form `Last, First <a@b>`.
enum AddressList {
    /// The mailboxes of one header value, as participants of `part`.
    static func parse(_ value: [UInt8], part: ParticipantPart) -> [Participant] {
        let tokens = AddressLexer.tokenize(value)
        var elements: [[AddressToken]] = []
        var current: [AddressToken] = []
        var angleDepth = 0
        var sawAddressSign = false
        for token in tokens {
            switch token.kind {
            case .special(UInt8(ascii: "<")):
                angleDepth += 1
                current.append(token)
            case .special(UInt8(ascii: ">")):
                angleDepth = max(0, angleDepth - 1)
                current.append(token)
            case .special(UInt8(ascii: "@")):
                sawAddressSign = true
                current.append(token)
            case .special(UInt8(ascii: ":")) where angleDepth == 0 && !sawAddressSign:
                // A group name ends here; its words are not an address.
                current.removeAll()
            case .special(UInt8(ascii: ",")) where angleDepth == 0, .special(UInt8(ascii: ";")) where angleDepth == 0:
                elements.append(current)
                current.removeAll()
                sawAddressSign = false
            default:
                current.append(token)
            }
        }
        elements.append(current)
        return mailboxes(from: elements.filter { !$0.isEmpty }, part: part)
    }

    /// One element's reading: an address with an optional name, or only words.
    private struct Mailbox {
        var address: String?
        var phrase: [AddressToken]
        var comment: [AddressToken]
        var hasAngle: Bool
    }

    private static func mailboxes(from elements: [[AddressToken]], part: ParticipantPart) -> [Participant] {
        let readings = elements.map(read)
        var result: [Participant] = []
        var carried: [AddressToken] = []
        for (index, reading) in readings.enumerated() {
            var reading = reading
            if !carried.isEmpty {
                // "Doe, John <j@x>": the previous words belong to this name.
                let comma = AddressToken(kind: .atom, bytes: [UInt8(ascii: ",")], spaced: false)
                reading.phrase = carried + [comma] + reading.phrase
                carried.removeAll()
            }
            guard let address = reading.address else {
                // "Name <>" has no address and lends its name to no one.
                guard !reading.hasAngle else { continue }
                let next = index + 1 < readings.count ? readings[index + 1] : nil
                if let next, next.hasAngle, !next.phrase.isEmpty {
                    carried = reading.phrase
                } else if reading.phrase.count == 1, reading.phrase[0].kind == .atom {
                    // A bare local name such as "root": an address without a domain.
                    let name = Phrase.text(reading.comment)
                    if let participant = Identity.email(reading.phrase[0].text, displayName: name, part: part) {
                        result.append(participant)
                    }
                }
                continue
            }
            let name = Phrase.text(reading.phrase) ?? Phrase.text(reading.comment)
            if let participant = Identity.email(address, displayName: name, part: part) {
                result.append(participant)
            }
        }
        return result
    }

    private static func read(_ tokens: [AddressToken]) -> Mailbox {
        let comments = tokens.filter { $0.kind == .comment }
        if let open = tokens.firstIndex(where: { $0.kind == .special(UInt8(ascii: "<")) }) {
            let phrase = tokens[..<open].filter { $0.kind == .atom || $0.kind == .quoted }
            var inner = Array(tokens[(open + 1)...].prefix { $0.kind != .special(UInt8(ascii: ">")) })
            // An obsolete route "<@a,@b:user@c>" keeps only what follows its last colon.
            if let colon = inner.lastIndex(where: { $0.kind == .special(UInt8(ascii: ":")) }) {
                inner = Array(inner[(colon + 1)...])
            }
            let address = joined(inner.filter { $0.kind != .comment })
            return Mailbox(address: address.isEmpty ? nil : address, phrase: phrase, comment: comments, hasAngle: true)
        }
        let words = tokens.filter { $0.kind != .comment }
        let hasAt = words.contains { $0.kind == .special(UInt8(ascii: "@")) }
        guard hasAt else { return Mailbox(address: nil, phrase: words, comment: comments, hasAngle: false) }
        let address = joined(words)
        return Mailbox(address: address.isEmpty ? nil : address, phrase: [], comment: comments, hasAngle: false)
    }

    /// The addr-spec text of `tokens`: quoted local parts keep their quotes, spaces are dropped.
    private static func joined(_ tokens: [AddressToken]) -> String {
        var bytes: [UInt8] = []
        for token in tokens {
            switch token.kind {
            case .quoted:
                bytes.append(UInt8(ascii: "\""))
                bytes.append(contentsOf: token.bytes)
                bytes.append(UInt8(ascii: "\""))
            case .atom, .special:
                bytes.append(contentsOf: token.bytes)
            case .comment:
                break
            }
        }
        return Charsets.utf8OrLegacy(bytes)
    }
}
