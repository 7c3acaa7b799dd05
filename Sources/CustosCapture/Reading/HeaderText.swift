/// Header values as text for a reader: RFC 2047 encoded words decoded with the same machinery
/// capture uses for display names (`Phrase`, `AddressLexer`), raw 8-bit bytes read as UTF-8 or
/// Windows-1252, folding whitespace reduced to single spaces.
enum HeaderText {
    /// An unstructured value (Subject, Date, a file name): words split on whitespace, encoded
    /// words decoded and joined as RFC 2047 §6.2 says.
    static func unstructured(_ value: [UInt8]) -> String {
        let words = value.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A })
        let tokens = words.enumerated().map { offset, word in
            AddressToken(kind: .atom, bytes: Array(word), spaced: offset > 0)
        }
        return Phrase.text(tokens) ?? ""
    }

    /// An address list (From, To, …) as written, with display names and comments decoded:
    /// `"Doe, John" <john@example.com>, =?utf-8?q?J=C3=B6rg?= <j@x>` reads
    /// `"Doe, John" <john@example.com>, Jörg <j@x>`.
    static func addresses(_ value: [UInt8]) -> String {
        let tokens = AddressLexer.tokenize(value)
        var out = ""
        func append(_ text: String, spaced: Bool) {
            if spaced, !out.isEmpty { out += " " }
            out += text
        }
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            switch token.kind {
            case .atom, .quoted:
                var end = index
                while end < tokens.count, tokens[end].kind == .atom || tokens[end].kind == .quoted { end += 1 }
                let run = Array(tokens[index..<end])
                var text = Phrase.text(run) ?? ""
                let quoted = run.contains { $0.kind == .quoted }
                let beforeAt = end < tokens.count && tokens[end].kind == .special(UInt8(ascii: "@"))
                // Keep the quotes where dropping them would change how the list reads.
                if quoted, beforeAt || text.isEmpty || text.contains(where: { needsQuoting.contains($0) }) {
                    text = "\"" + text + "\""
                }
                append(text, spaced: token.spaced)
                index = end
            case .comment:
                append("(" + (Phrase.text([token]) ?? "") + ")", spaced: token.spaced)
                index += 1
            case .special(let byte):
                append(String(UnicodeScalar(byte)), spaced: token.spaced)
                index += 1
            }
        }
        return out
    }

    private static let needsQuoting: Set<Character> = [",", ";", ":", "<", ">", "@", "(", ")", "\"", "[", "]", "\\"]
}
