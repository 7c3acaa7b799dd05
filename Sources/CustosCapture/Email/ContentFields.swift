/// A parsed `Content-Type` or `Content-Disposition`: the leading value and its parameters.
struct ContentField {
    /// Lower-case leading value: `multipart/mixed`, `attachment`, …; empty when absent.
    var value: String
    /// Parameters by lower-case name; RFC 2231 continuations (`name*0*`) are joined under `name`.
    var parameters: [String: String]

    /// Parses a header value; malformed pieces are skipped, never fatal.
    init(_ raw: [UInt8]) {
        var index = 0
        let count = raw.count
        func skipSpaceAndComments() {
            while index < count {
                let byte = raw[index]
                if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                    index += 1
                } else if byte == UInt8(ascii: "(") {
                    var depth = 0
                    while index < count {
                        if raw[index] == UInt8(ascii: "\\") { index += 2; continue }
                        if raw[index] == UInt8(ascii: "(") { depth += 1 }
                        if raw[index] == UInt8(ascii: ")") { depth -= 1; if depth == 0 { index += 1; break } }
                        index += 1
                    }
                } else {
                    return
                }
            }
        }
        skipSpaceAndComments()
        let valueStart = index
        while index < count, raw[index] != UInt8(ascii: ";"), raw[index] != UInt8(ascii: "(") { index += 1 }
        value = Charsets.utf8OrLegacy(raw[valueStart..<min(index, count)]).trimmingWhitespace.lowercased()
            .filter { !$0.isWhitespace }
        skipSpaceAndComments()

        var pieces: [(name: String, section: Int?, extended: Bool, value: String)] = []
        while index < count {
            // At a ';' (or junk): move to the next parameter.
            index += 1
            skipSpaceAndComments()
            let nameStart = index
            while index < count, raw[index] != UInt8(ascii: "="), raw[index] != UInt8(ascii: ";") { index += 1 }
            guard index < count, raw[index] == UInt8(ascii: "=") else { continue }
            var name = Charsets.utf8OrLegacy(raw[nameStart..<index]).trimmingWhitespace.lowercased()
            index += 1
            skipSpaceAndComments()
            var parameterValue: [UInt8] = []
            if index < count, raw[index] == UInt8(ascii: "\"") {
                index += 1
                while index < count, raw[index] != UInt8(ascii: "\"") {
                    if raw[index] == UInt8(ascii: "\\"), index + 1 < count { index += 1 }
                    parameterValue.append(raw[index])
                    index += 1
                }
                index += 1
                while index < count, raw[index] != UInt8(ascii: ";") { index += 1 }
            } else {
                let start = index
                while index < count, raw[index] != UInt8(ascii: ";") { index += 1 }
                parameterValue = Array(raw[start..<index])
                while let last = parameterValue.last, last == 0x20 || last == 0x09 { parameterValue.removeLast() }
            }
            let extended = name.hasSuffix("*")
            if extended { name.removeLast() }
            var section: Int?
            if let star = name.lastIndex(of: "*"), let number = Int(name[name.index(after: star)...]) {
                section = number
                name = String(name[..<star])
            }
            pieces.append((name, section, extended, Charsets.utf8OrLegacy(parameterValue)))
        }
        var joined: [String: [(Int, Bool, String)]] = [:]
        for piece in pieces { joined[piece.name, default: []].append((piece.section ?? 0, piece.extended, piece.value)) }
        var parameters: [String: String] = [:]
        for (name, sections) in joined {
            let ordered = sections.sorted { $0.0 < $1.0 }
            parameters[name] = ordered.enumerated().map { offset, piece in
                piece.1 ? ContentField.decodeExtended(piece.2, first: offset == 0) : piece.2
            }.joined()
        }
        self.parameters = parameters
    }

    /// RFC 2231 `charset'lang'percent-encoded` (only the first section carries charset and language).
    private static func decodeExtended(_ text: String, first: Bool) -> String {
        var body = Substring(text)
        var charset = "utf-8"
        if first {
            let pieces = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
            if pieces.count == 3 {
                charset = pieces[0].isEmpty ? "utf-8" : String(pieces[0])
                body = pieces[2]
            }
        }
        var bytes: [UInt8] = []
        let utf8 = Array(body.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
               let high = EncodedWords.hexValue(utf8[index + 1]), let low = EncodedWords.hexValue(utf8[index + 2]) {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return Charsets.decode(bytes, charset: charset)
    }

    /// The media type, defaulting as RFC 2045 says; a type without a subtype gets a sensible one.
    var mediaType: String {
        if value.isEmpty { return "text/plain" }
        if !value.contains("/") {
            return value == "text" ? "text/plain" : (value == "multipart" ? "multipart/mixed" : "application/octet-stream")
        }
        return MediaType.normalized(value) ?? "application/octet-stream"
    }
}
