import Foundation

/// Decodes bytes in a MIME charset to text; unknown charsets and invalid bytes degrade to a
/// best guess rather than an error, because a display name is decoration, not identity.
enum Charsets {
    /// How `decodeReporting` read a text.
    enum Reading: Equatable {
        /// In the charset the text claims (US-ASCII text may hold UTF-8 or Windows-1252 bytes).
        case exact
        /// The charset is not one this type knows: read as `utf8OrLegacy`.
        case unknownCharset
        /// The bytes are not valid in the claimed charset: read as `utf8OrLegacy`.
        case invalidBytes
    }

    /// Text of `bytes` in `charset` (an IANA name, any case).
    static func decode(_ bytes: [UInt8], charset: String) -> String {
        decodeReporting(bytes, charset: charset).text
    }

    /// `decode`, also telling whether the fallback had to be used, so a reader can say so.
    static func decodeReporting(_ bytes: [UInt8], charset: String) -> (text: String, reading: Reading) {
        let name = charset.lowercased().trimmingWhitespace
        switch name {
        case "utf-8", "utf8":
            if let text = String(validating: bytes, as: UTF8.self) { return (text, .exact) }
            return (windows1252(bytes), .invalidBytes)
        case "us-ascii", "ascii", "ansi_x3.4-1968", "":
            return (utf8OrLegacy(bytes), .exact)
        case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1":
            // Real mail labelled Latin-1 is very often Windows-1252; the two agree outside 0x80–0x9F.
            return (windows1252(bytes), .exact)
        case "windows-1252", "cp1252", "x-cp1252":
            return (windows1252(bytes), .exact)
        default:
            guard let encoding = encodings[name] else { return (utf8OrLegacy(bytes), .unknownCharset) }
            if let text = String(bytes: bytes, encoding: encoding) { return (text, .exact) }
            return (utf8OrLegacy(bytes), .invalidBytes)
        }
    }

    /// UTF-8 when the bytes are valid UTF-8, else Windows-1252 (raw 8-bit headers in old mail).
    static func utf8OrLegacy(_ bytes: some Collection<UInt8>) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return windows1252(bytes)
    }

    /// Windows-1252: Latin-1 plus typographic characters in 0x80–0x9F.
    static func windows1252(_ bytes: some Collection<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if byte >= 0x80, byte <= 0x9F, let mapped = Unicode.Scalar(cp1252High[Int(byte - 0x80)]) {
                scalars.append(mapped)
            } else {
                scalars.append(Unicode.Scalar(byte))
            }
        }
        return String(scalars)
    }

    /// 0x80–0x9F of Windows-1252; undefined positions keep their C1 code point.
    private static let cp1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
        0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x9D, 0x017E, 0x0178,
    ]

    /// Foundation encodings by IANA name; the raw values are CoreFoundation encodings with the
    /// 0x8000_0000 flag Foundation uses for encodings it has no named constant for.
    private static let encodings: [String: String.Encoding] = {
        func cf(_ value: UInt) -> String.Encoding { String.Encoding(rawValue: 0x8000_0000 | value) }
        var table: [String: String.Encoding] = [
            "iso-8859-2": .isoLatin2, "latin2": .isoLatin2,
            "windows-1250": .windowsCP1250, "cp1250": .windowsCP1250,
            "windows-1251": .windowsCP1251, "cp1251": .windowsCP1251,
            "windows-1253": .windowsCP1253, "cp1253": .windowsCP1253,
            "windows-1254": .windowsCP1254, "cp1254": .windowsCP1254,
            "iso-2022-jp": .iso2022JP, "shift_jis": .shiftJIS, "shift-jis": .shiftJIS, "sjis": .shiftJIS,
            "euc-jp": .japaneseEUC, "utf-16": .utf16, "utf-16be": .utf16BigEndian, "utf-16le": .utf16LittleEndian,
            "macintosh": .macOSRoman,
            "koi8-r": cf(0x0A02), "koi8-u": cf(0x0A08), "big5": cf(0x0A03), "euc-kr": cf(0x0940),
            "gb2312": cf(0x0930), "gbk": cf(0x0631), "gb18030": cf(0x0632),
            "windows-1255": cf(0x0505), "windows-1256": cf(0x0506), "windows-1257": cf(0x0507),
            "windows-1258": cf(0x0508),
        ]
        let latin: [(Int, UInt)] = [(3, 0x0203), (4, 0x0204), (5, 0x0205), (6, 0x0206), (7, 0x0207), (8, 0x0208),
                                    (9, 0x0209), (10, 0x020A), (13, 0x020D), (14, 0x020E), (15, 0x020F),
                                    (16, 0x0210)]
        for (number, value) in latin {
            table["iso-8859-\(number)"] = cf(value)
            table["iso8859-\(number)"] = cf(value)
        }
        table["latin-9"] = cf(0x020F)
        return table
    }()
}

/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in display names.
enum EncodedWords {
    /// Decodes one encoded word; nil when `word` is not a well-formed encoded word.
    static func decodeWord(_ word: Substring) -> (charset: String, bytes: [UInt8])? {
        guard word.hasPrefix("=?"), word.hasSuffix("?="), word.count >= 8 else { return nil }
        let inner = word.dropFirst(2).dropLast(2)
        let pieces = inner.split(separator: "?", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, !pieces[0].isEmpty, pieces[1].count == 1 else { return nil }
        // RFC 2231 adds an optional language: charset*lang.
        let charset = String(pieces[0].split(separator: "*", maxSplits: 1)[0])
        let text = Array(pieces[2].utf8)
        switch pieces[1] {
        case "B", "b":
            guard let data = Data(base64Encoded: padded(text), options: .ignoreUnknownCharacters) else { return nil }
            return (charset, Array(data))
        case "Q", "q":
            return (charset, decodeQ(text))
        default:
            return nil
        }
    }

    private static func padded(_ text: [UInt8]) -> Data {
        var bytes = text.filter { $0 != UInt8(ascii: "=") }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        return Data(bytes)
    }

    /// The Q encoding: `_` is a space, `=XX` a byte; a malformed escape is kept literally.
    static func decodeQ(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "="), index + 2 < text.count,
                      let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
