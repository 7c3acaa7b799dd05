/// Makes decoded text safe to show: no control characters but line feed and tab, bounded length.
enum DisplayText {
    /// Multi-line text (a body): CRLF and lone CR become LF; other C0 controls, DEL and C1
    /// controls are dropped.
    static func body(_ text: String) -> String {
        clean(text, singleLine: false)
    }

    /// One-line text (a header value, a name): line breaks and tabs become spaces, other controls
    /// are dropped, and surrounding whitespace is trimmed.
    static func line(_ text: String) -> String {
        clean(text, singleLine: true).trimmingWhitespace
    }

    /// `text` cut to at most `limit` UTF-8 bytes on a scalar boundary, and whether it was cut.
    static func capped(_ text: String, limit: Int) -> (text: String, cut: Bool) {
        let utf8 = text.utf8
        guard utf8.count > limit else { return (text, false) }
        var end = utf8.index(utf8.startIndex, offsetBy: limit)
        // Back off to the start of a scalar so the cut never leaves half a character.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        return (String(decoding: utf8[..<end], as: UTF8.self), true)
    }

    /// The longest prefix of `bytes` no longer than `limit` that does not end inside a UTF-8 sequence.
    static func prefix(_ bytes: ArraySlice<UInt8>, limit: Int) -> ArraySlice<UInt8> {
        guard bytes.count > limit else { return bytes }
        var end = bytes.startIndex + limit
        var steps = 0
        // At most three continuation bytes follow a lead byte; an invalid run is cut anywhere.
        while end > bytes.startIndex, steps < 4, bytes[end] & 0xC0 == 0x80 {
            end -= 1
            steps += 1
        }
        return bytes[bytes.startIndex..<end]
    }

    private static func clean(_ text: String, singleLine: Bool) -> String {
        let utf8 = text.utf8
        // Most text has nothing to drop: return it untouched without copying.
        if !utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) { return text }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var previous: UInt8 = 0
        var pendingC2 = false
        for byte in utf8 {
            if pendingC2 {
                pendingC2 = false
                // U+0080–U+009F (C1 controls) are C2 80–C2 9F in UTF-8.
                if byte >= 0x80 && byte <= 0x9F { previous = byte; continue }
                out.append(0xC2)
            }
            switch byte {
            case 0xC2:
                pendingC2 = true
            case 0x0A:
                // The LF of a CRLF was already written when the CR was seen.
                if previous != 0x0D { out.append(singleLine ? 0x20 : 0x0A) }
            case 0x0D:
                out.append(singleLine ? 0x20 : 0x0A)
            case 0x09:
                out.append(singleLine ? 0x20 : 0x09)
            case 0x00..<0x20, 0x7F:
                break
            default:
                out.append(byte)
            }
            previous = byte
        }
        if pendingC2 { out.append(0xC2) }
        return String(decoding: out, as: UTF8.self)
    }
}
