/// HTML character references: numeric ones in full (with HTML's Windows-1252 reading of
/// 0x80–0x9F), named ones for the characters mail actually uses (all of Latin-1, typography,
/// common symbols and Greek letters). An unknown name is left as written.
enum HTMLEntities {
    /// The UTF-8 bytes of the reference starting at `&` (`input[start]`) and how many input bytes
    /// it spans; a lone `&` gives itself and 1.
    static func decode(_ input: [UInt8], at start: Int) -> (bytes: [UInt8], length: Int) {
        let literal: ([UInt8], Int) = ([UInt8(ascii: "&")], 1)
        var index = start + 1
        guard index < input.count else { return literal }
        if input[index] == UInt8(ascii: "#") {
            index += 1
            let hex = index < input.count && (input[index] | 0x20) == UInt8(ascii: "x")
            if hex { index += 1 }
            let digitsStart = index
            var value: UInt32 = 0
            while index < input.count, index - digitsStart < 8, let digit = digitValue(input[index], hex: hex) {
                value = value * (hex ? 16 : 10) + digit
                index += 1
            }
            guard index > digitsStart else { return literal }
            if index < input.count, input[index] == UInt8(ascii: ";") { index += 1 }
            return (utf8(of: numeric(value)), index - start)
        }
        let nameStart = index
        while index < input.count, index - nameStart < 32, isAlphanumeric(input[index]) { index += 1 }
        let name = String(decoding: input[nameStart..<index], as: UTF8.self)
        if index < input.count, input[index] == UInt8(ascii: ";"), let scalar = named[name] {
            return (utf8(of: scalar), index + 1 - start)
        }
        // A few references still work without their semicolon in every browser.
        for legacy in ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"] where name.hasPrefix(legacy) {
            if let scalar = named[legacy] { return (utf8(of: scalar), 1 + legacy.utf8.count) }
        }
        return literal
    }

    /// The character of a numeric reference as HTML reads it.
    private static func numeric(_ value: UInt32) -> Unicode.Scalar {
        if value >= 0x80, value <= 0x9F {
            return Charsets.windows1252([UInt8(value)]).unicodeScalars.first ?? replacement
        }
        guard value != 0, let scalar = Unicode.Scalar(value) else { return replacement }
        return scalar
    }

    private static let replacement: Unicode.Scalar = "\u{FFFD}"

    private static func utf8(of scalar: Unicode.Scalar) -> [UInt8] {
        Array(String(Character(scalar)).utf8)
    }

    private static func digitValue(_ byte: UInt8, hex: Bool) -> UInt32? {
        if (0x30...0x39).contains(byte) { return UInt32(byte - 0x30) }
        guard hex else { return nil }
        return EncodedWords.hexValue(byte).map(UInt32.init)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// Latin-1's named characters, U+00A0 to U+00FF in order.
    private static let latin1Names = """
        nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 \
        acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde \
        Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc \
        Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml \
        aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc \
        otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml
        """

    /// Greek letters, capital then small, in code point order with the gap at final sigma.
    private static let greekNames = """
        Alpha Beta Gamma Delta Epsilon Zeta Eta Theta Iota Kappa Lambda Mu Nu Xi Omicron Pi Rho _ Sigma Tau \
        Upsilon Phi Chi Psi Omega
        """

    private static let named: [String: Unicode.Scalar] = {
        var table: [String: Unicode.Scalar] = [:]
        for (offset, name) in latin1Names.split(separator: " ").enumerated() {
            table[String(name)] = Unicode.Scalar(UInt32(0xA0 + offset))
        }
        for (offset, name) in greekNames.split(separator: " ").enumerated() where name != "_" {
            table[String(name)] = Unicode.Scalar(UInt32(0x391 + offset))
            table[name.lowercased()] = Unicode.Scalar(UInt32(0x3B1 + offset))
        }
        let others: [String: UInt32] = [
            "amp": 0x26, "lt": 0x3C, "gt": 0x3E, "quot": 0x22, "apos": 0x27, "sigmaf": 0x3C2,
            "OElig": 0x152, "oelig": 0x153, "Scaron": 0x160, "scaron": 0x161, "Yuml": 0x178, "fnof": 0x192,
            "circ": 0x2C6, "tilde": 0x2DC, "ensp": 0x2002, "emsp": 0x2003, "thinsp": 0x2009, "zwnj": 0x200C,
            "zwj": 0x200D, "lrm": 0x200E, "rlm": 0x200F, "ndash": 0x2013, "mdash": 0x2014, "lsquo": 0x2018,
            "rsquo": 0x2019, "sbquo": 0x201A, "ldquo": 0x201C, "rdquo": 0x201D, "bdquo": 0x201E, "dagger": 0x2020,
            "Dagger": 0x2021, "bull": 0x2022, "hellip": 0x2026, "permil": 0x2030, "prime": 0x2032, "Prime": 0x2033,
            "lsaquo": 0x2039, "rsaquo": 0x203A, "oline": 0x203E, "frasl": 0x2044, "euro": 0x20AC, "trade": 0x2122,
            "larr": 0x2190, "uarr": 0x2191, "rarr": 0x2192, "darr": 0x2193, "harr": 0x2194, "rArr": 0x21D2,
            "hArr": 0x21D4, "minus": 0x2212, "lowast": 0x2217, "radic": 0x221A, "infin": 0x221E, "ne": 0x2260,
            "equiv": 0x2261, "le": 0x2264, "ge": 0x2265, "loz": 0x25CA, "spades": 0x2660, "clubs": 0x2663,
            "hearts": 0x2665, "diams": 0x2666, "check": 0x2713, "cross": 0x2717, "star": 0x2606,
        ]
        for (name, value) in others {
            if let scalar = Unicode.Scalar(value) { table[name] = scalar }
        }
        return table
    }()
}
