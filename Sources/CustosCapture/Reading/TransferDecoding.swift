/// Undoes a MIME Content-Transfer-Encoding leniently: malformed input is decoded as far as it
/// makes sense, never refused, and output can be bounded so a huge part costs bounded memory.
enum TransferDecoding {
    /// The transfer encodings a part can declare.
    enum Encoding: Equatable {
        /// 7bit, 8bit, binary or none: the bytes are the content.
        case identity
        case quotedPrintable
        case base64
        /// Something else (uuencode, x-token): the bytes are shown as they are.
        case unknown
    }

    /// The encoding named by a part's Content-Transfer-Encoding header.
    static func encoding(of header: HeaderBlock) -> Encoding {
        guard let name = header.text("content-transfer-encoding")?.lowercased(), !name.isEmpty else { return .identity }
        switch name {
        case "7bit", "8bit", "binary": return .identity
        case "quoted-printable": return .quotedPrintable
        case "base64": return .base64
        default: return .unknown
        }
    }

    /// The decoded bytes of `input`, at most `limit` of them, and whether there were more.
    static func decode(_ input: ArraySlice<UInt8>, encoding: Encoding, limit: Int) -> (bytes: [UInt8], cut: Bool) {
        switch encoding {
        case .identity, .unknown:
            return (Array(input.prefix(limit)), input.count > limit)
        case .quotedPrintable:
            return quotedPrintable(input, limit: limit)
        case .base64:
            return base64(input, limit: limit)
        }
    }

    /// The size `input` has once decoded, counted without keeping the bytes where possible.
    static func decodedSize(_ input: ArraySlice<UInt8>, encoding: Encoding) -> Int {
        switch encoding {
        case .identity, .unknown:
            return input.count
        case .quotedPrintable:
            return quotedPrintable(input, limit: Int.max).bytes.count
        case .base64:
            var symbols = 0
            for byte in input where base64Value(byte) != nil { symbols += 1 }
            // Four symbols make three bytes; a trailing two or three make one or two.
            return symbols / 4 * 3 + max(0, symbols % 4 - 1)
        }
    }

    /// Quoted-printable (RFC 2045 §6.7): `=XX` is a byte, `=` at the end of a line joins lines,
    /// trailing whitespace of a line is dropped; a malformed `=` is kept as it is.
    static func quotedPrintable(_ input: ArraySlice<UInt8>, limit: Int) -> (bytes: [UInt8], cut: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(min(input.count, limit))
        var index = input.startIndex
        let end = input.endIndex
        var pendingSpace: [UInt8] = []
        while index < end {
            if out.count >= limit { return (Array(out.prefix(limit)), true) }
            let byte = input[index]
            if byte == 0x20 || byte == 0x09 {
                // Whitespace counts only if something other than a line break follows it.
                pendingSpace.append(byte)
                index += 1
                continue
            }
            if byte == 0x0D || byte == 0x0A {
                pendingSpace.removeAll()
                out.append(byte)
                index += 1
                continue
            }
            out.append(contentsOf: pendingSpace)
            pendingSpace.removeAll()
            guard byte == UInt8(ascii: "=") else {
                out.append(byte)
                index += 1
                continue
            }
            if index + 2 < end, let high = EncodedWords.hexValue(input[index + 1]),
               let low = EncodedWords.hexValue(input[index + 2]) {
                out.append(high << 4 | low)
                index += 3
                continue
            }
            // A soft line break: "=" then optional whitespace then CRLF or LF (or the end).
            var look = index + 1
            while look < end, input[look] == 0x20 || input[look] == 0x09 { look += 1 }
            if look == end {
                index = end
            } else if input[look] == 0x0A {
                index = look + 1
            } else if input[look] == 0x0D {
                index = look + 1 < end && input[look + 1] == 0x0A ? look + 2 : look + 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        out.append(contentsOf: pendingSpace)
        if out.count > limit { return (Array(out.prefix(limit)), true) }
        return (out, false)
    }

    /// Base64 (RFC 2045 §6.8): characters outside the alphabet (line breaks, padding, junk) are
    /// skipped, so concatenated or damaged blocks still give what they hold.
    static func base64(_ input: ArraySlice<UInt8>, limit: Int) -> (bytes: [UInt8], cut: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(min(input.count / 4 * 3 + 3, limit))
        var accumulator: UInt32 = 0
        var count = 0
        for byte in input {
            guard let value = base64Value(byte) else { continue }
            accumulator = accumulator << 6 | UInt32(value)
            count += 1
            if count == 4 {
                if out.count + 3 > limit { return (out, true) }
                out.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                out.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                out.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                count = 0
            }
        }
        if count == 2, out.count < limit {
            out.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        } else if count == 3, out.count + 2 <= limit {
            out.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            out.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        }
        return (out, false)
    }

    private static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x41...0x5A: byte - 0x41
        case 0x61...0x7A: byte - 0x61 + 26
        case 0x30...0x39: byte - 0x30 + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
