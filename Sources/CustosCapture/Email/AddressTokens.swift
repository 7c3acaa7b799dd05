/// One lexical token of an RFC 5322 address header.
struct AddressToken {
    /// What kind of token this is.
    enum Kind: Equatable {
        /// An atom or dot-atom (also domain literals and encoded words), raw bytes.
        case atom
        /// A quoted string, with its escapes removed.
        case quoted
        /// A comment, with its escapes removed and without the outer parentheses.
        case comment
        /// One of `< > @ , ; :`.
        case special(UInt8)
    }

    var kind: Kind
    var bytes: [UInt8]
    /// Whether whitespace (folding or spaces) came before this token.
    var spaced: Bool

    var text: String { Charsets.utf8OrLegacy(bytes) }
}

/// Splits an address header value into tokens; never fails, whatever the input.
enum AddressLexer {
    /// `< > @ , ;` and `:`, the specials that structure an address list.
    private static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: ":"):
            true
        default:
            false
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// The tokens of `value`.
    static func tokenize(_ value: [UInt8]) -> [AddressToken] {
        var tokens: [AddressToken] = []
        var index = 0
        var spaced = false
        let count = value.count
        while index < count {
            let byte = value[index]
            if isSpace(byte) {
                spaced = true
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                var content: [UInt8] = []
                index += 1
                while index < count, value[index] != UInt8(ascii: "\"") {
                    if value[index] == UInt8(ascii: "\\"), index + 1 < count { index += 1 }
                    // Folding inside a quoted string is removed by unfolding; a bare CR or LF is dropped.
                    if value[index] != 0x0D && value[index] != 0x0A { content.append(value[index]) }
                    index += 1
                }
                index += 1
                tokens.append(AddressToken(kind: .quoted, bytes: content, spaced: spaced))
                spaced = false
            } else if byte == UInt8(ascii: "(") {
                var content: [UInt8] = []
                var depth = 1
                index += 1
                while index < count {
                    let current = value[index]
                    if current == UInt8(ascii: "\\"), index + 1 < count {
                        content.append(value[index + 1])
                        index += 2
                        continue
                    }
                    if current == UInt8(ascii: "(") { depth += 1 }
                    if current == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    content.append(current)
                    index += 1
                }
                index += 1
                tokens.append(AddressToken(kind: .comment, bytes: content, spaced: spaced))
                spaced = true
            } else if isSpecial(byte) {
                tokens.append(AddressToken(kind: .special(byte), bytes: [byte], spaced: spaced))
                spaced = false
                index += 1
            } else if byte == UInt8(ascii: "[") {
                let start = index
                while index < count, value[index] != UInt8(ascii: "]") { index += 1 }
                index = min(index + 1, count)
                tokens.append(AddressToken(kind: .atom, bytes: Array(value[start..<index]), spaced: spaced))
                spaced = false
            } else if let end = encodedWordEnd(value, from: index) {
                // An encoded word is one word even when its text holds specials (seen in the wild).
                tokens.append(AddressToken(kind: .atom, bytes: Array(value[index..<end]), spaced: spaced))
                spaced = false
                index = end
            } else {
                let start = index
                while index < count, !isSpace(value[index]), !isSpecial(value[index]),
                      value[index] != UInt8(ascii: "\""), value[index] != UInt8(ascii: "("),
                      value[index] != UInt8(ascii: "[") {
                    index += 1
                }
                tokens.append(AddressToken(kind: .atom, bytes: Array(value[start..<index]), spaced: spaced))
                spaced = false
            }
        }
        return tokens
    }

    /// The end of an RFC 2047 encoded word `=?charset?X?text?=` starting at `start`, if one does.
    private static func encodedWordEnd(_ value: [UInt8], from start: Int) -> Int? {
        let count = value.count
        guard start + 1 < count, value[start] == UInt8(ascii: "="), value[start + 1] == UInt8(ascii: "?") else {
            return nil
        }
        var index = start + 2
        var questionMarks = 0
        while index < count, !isSpace(value[index]) {
            if value[index] == UInt8(ascii: "?") {
                questionMarks += 1
                if questionMarks >= 3, index + 1 < count, value[index + 1] == UInt8(ascii: "=") { return index + 2 }
            }
            index += 1
        }
        return nil
    }
}

/// Turns the words of a display name into text, decoding RFC 2047 encoded words.
enum Phrase {
    /// The display text of `tokens` (atoms, quoted strings and, if asked, comments).
    static func text(_ tokens: [AddressToken]) -> String? {
        var out = ""
        var run: (charset: String, bytes: [UInt8])?
        var previousWasEncoded = false
        func flush() {
            if let current = run { out += Charsets.decode(current.bytes, charset: current.charset) }
            run = nil
        }
        for token in tokens {
            let words = token.kind == .atom ? [token.bytes[...]] : splitWords(token.bytes)
            for (offset, word) in words.enumerated() {
                let spaced = offset == 0 ? token.spaced : true
                let encoded = word.first == UInt8(ascii: "=")
                    ? EncodedWords.decodeWord(Substring(Charsets.utf8OrLegacy(word))) : nil
                if let encoded {
                    // Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
                    if !previousWasEncoded, spaced, !out.isEmpty || run != nil { flush(); out += " " }
                    if let charset = run?.charset, charset.lowercased() == encoded.charset.lowercased() {
                        // Appending in place (no copy of the run) keeps a long run of words linear.
                        run?.bytes.append(contentsOf: encoded.bytes)
                    } else {
                        flush()
                        run = encoded
                    }
                    previousWasEncoded = true
                } else {
                    flush()
                    if spaced, !out.isEmpty { out += " " }
                    out += Charsets.utf8OrLegacy(word)
                    previousWasEncoded = false
                }
            }
        }
        flush()
        return out.isEmpty ? nil : out
    }

    /// Quoted strings and comments keep their inner spacing unless they hold encoded words.
    private static func splitWords(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        guard bytes.count >= 8, containsEncodedWordStart(bytes) else { return [bytes[...]] }
        return bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
    }

    private static func containsEncodedWordStart(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "="), bytes[index + 1] == UInt8(ascii: "?") { return true }
            index += 1
        }
        return false
    }
}
