import Foundation

/// The header section of a message or MIME part, read from bytes without copying the body.
///
/// Reading stops at the first empty line, or at the first line that is neither a header field
/// nor a continuation (a missing blank line before the body), so the header never swallows a body.
struct HeaderBlock {
    /// One field: its name as written and its raw (still folded) value bytes.
    struct Field {
        var name: [UInt8]
        var value: ArraySlice<UInt8>
    }

    private(set) var fields: [Field] = []
    /// Index in the input where the body starts.
    private(set) var bodyStart: Int

    /// Reads the header of `bytes[range]`.
    init(_ bytes: [UInt8], range: Range<Int>) {
        var index = range.lowerBound
        let end = range.upperBound
        // A UTF-8 byte order mark before the first field (some exporters write one) is not a header.
        if end - index >= 3, bytes[index] == 0xEF, bytes[index + 1] == 0xBB, bytes[index + 2] == 0xBF { index += 3 }
        var fields: [Field] = []
        var first = true
        while index < end {
            let lineEnd = HeaderBlock.lineEnd(bytes, from: index, limit: end)
            let contentEnd = HeaderBlock.trimNewline(bytes, start: index, end: lineEnd)
            if contentEnd == index {
                index = lineEnd  // the blank line: the body follows it
                break
            }
            let byte = bytes[index]
            if (byte == 0x20 || byte == 0x09), !fields.isEmpty {
                let last = fields.count - 1
                fields[last].value = bytes[fields[last].value.startIndex..<contentEnd]
            } else if let colon = HeaderBlock.fieldColon(bytes, start: index, end: contentEnd) {
                var nameEnd = colon
                while nameEnd > index, bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09 { nameEnd -= 1 }
                fields.append(Field(name: Array(bytes[index..<nameEnd]), value: bytes[(colon + 1)..<contentEnd]))
            } else if first, HeaderBlock.isEnvelopeLine(bytes, start: index, end: contentEnd) {
                // An mbox "From " or ">From " line left at the top of a file is not a header.
            } else {
                break  // not a header: the body starts here
            }
            first = false
            index = lineEnd
        }
        self.fields = fields
        self.bodyStart = min(index, end)
    }

    /// The raw value bytes of the first field named `name` (case-insensitive), unfolded.
    func value(_ name: String) -> [UInt8]? {
        let wanted = Array(name.lowercased().utf8)
        guard let field = fields.first(where: { HeaderBlock.equalsIgnoringCase($0.name, wanted) }) else { return nil }
        return HeaderBlock.unfold(field.value)
    }

    /// The values of every field named `name`, unfolded, in order.
    func values(_ name: String) -> [[UInt8]] {
        let wanted = Array(name.lowercased().utf8)
        return fields.filter { HeaderBlock.equalsIgnoringCase($0.name, wanted) }.map { HeaderBlock.unfold($0.value) }
    }

    /// The value of `name` as text (UTF-8, else Windows-1252), trimmed.
    func text(_ name: String) -> String? {
        value(name).map { Charsets.utf8OrLegacy($0).trimmingWhitespace }
    }

    /// Removes line breaks that precede whitespace (RFC 5322 §2.2.3), capped in length.
    static func unfold(_ value: ArraySlice<UInt8>) -> [UInt8] {
        if value.count <= CaptureLimits.headerValueBytes, !value.contains(0x0A), !value.contains(0x0D) {
            return Array(value)
        }
        var out: [UInt8] = []
        out.reserveCapacity(min(value.count, CaptureLimits.headerValueBytes))
        for byte in value where byte != 0x0D && byte != 0x0A {
            out.append(byte)
            if out.count >= CaptureLimits.headerValueBytes { break }
        }
        return out
    }

    /// Index just past the next LF (or `limit`).
    static func lineEnd(_ bytes: [UInt8], from start: Int, limit: Int) -> Int {
        bytes.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress, start < limit else { return limit }
            guard let found = memchr(base + start, 0x0A, limit - start) else { return limit }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
        }
    }

    /// End of the line's content without its CRLF or LF.
    static func trimNewline(_ bytes: [UInt8], start: Int, end: Int) -> Int {
        var contentEnd = end
        if contentEnd > start, bytes[contentEnd - 1] == 0x0A { contentEnd -= 1 }
        if contentEnd > start, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
        return contentEnd
    }

    /// The colon of a `name:` field line whose name is printable ASCII without spaces inside.
    private static func fieldColon(_ bytes: [UInt8], start: Int, end: Int) -> Int? {
        var index = start
        var sawSpace = false
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":") { return index > start ? index : nil }
            if byte == 0x20 || byte == 0x09 {
                sawSpace = true  // "Name :" is obsolete but allowed; "Two words:" is not a field
            } else if sawSpace || byte < 0x21 || byte > 0x7E {
                return nil
            }
            index += 1
        }
        return nil
    }

    private static func isEnvelopeLine(_ bytes: [UInt8], start: Int, end: Int) -> Bool {
        let line = bytes[start..<end]
        return line.starts(with: Array("From ".utf8)) || line.starts(with: Array(">From ".utf8))
    }

    /// ASCII case-insensitive comparison of a field name with a lower-case name.
    static func equalsIgnoringCase(_ name: [UInt8], _ lower: [UInt8]) -> Bool {
        guard name.count == lower.count else { return false }
        for index in 0..<name.count {
            var byte = name[index]
            if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
            if byte != lower[index] { return false }
        }
        return true
    }
}
