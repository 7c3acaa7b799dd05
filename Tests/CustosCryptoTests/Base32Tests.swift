import CustosCrypto
import Testing

/// Base32 against the RFC 4648 §10 test vectors and the decoder's tolerance rules.
@Suite struct Base32Tests {
    /// RFC 4648 §10, with and without the padding the RFC prints.
    private static let vectors: [(String, String)] = [
        ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
    ]

    @Test func encodesRFC4648VectorsWithoutPadding() {
        for (plain, encoded) in Self.vectors {
            let unpadded = String(encoded.prefix { $0 != "=" })
            #expect(Base32.encode(Array(plain.utf8)) == unpadded, "\(plain)")
        }
    }

    @Test func decodesRFC4648VectorsPaddedAndUnpadded() {
        for (plain, encoded) in Self.vectors {
            #expect(Base32.decode(encoded) == Array(plain.utf8), "\(encoded)")
            #expect(Base32.decode(String(encoded.prefix { $0 != "=" })) == Array(plain.utf8), "\(encoded)")
        }
    }

    @Test func decodingIgnoresCaseAndSpaces() {
        #expect(Base32.decode("mzxw 6ytb oi") == Array("foobar".utf8))
        #expect(Base32.decode("JBSW Y3DP EHPK 3PXP") == Base32.decode("JBSWY3DPEHPK3PXP"))
    }

    /// Padding is skipped wherever it stands, as spaces are, not only at the end.
    @Test func decodingSkipsPaddingWhereverItStands() {
        #expect(Base32.decode("MZ=XW=6YTB=OI") == Array("foobar".utf8))
        #expect(Base32.decode("=MZXW6===") == Array("foo".utf8))
    }

    /// Tabs, line breaks and "+" are not skipped like spaces: a typed key holds none of them.
    @Test func rejectsCharactersOutsideTheAlphabet() {
        for bad in ["MZXW1", "MZXW0", "MZXW8", "MZ-XW", "MZXW6YTB!", "MZXÉ",
                    "MZXW\t6YTB", "MZXW6YTB\n", "MZXW6YTB\r\n", "MZXW+6YTB", "JBSWY3DP+EHPK3PXP", "MZXW6YT\u{0}"] {
            #expect(Base32.decode(bad) == nil, "\(bad.debugDescription)")
        }
    }

    /// 1, 3 or 6 symbols after the last full group cannot come from whole bytes.
    @Test func rejectsImpossibleLengths() {
        #expect(Base32.decode("M") == nil)
        #expect(Base32.decode("MZX") == nil)
        #expect(Base32.decode("MZXW6Y") == nil)
        #expect(Base32.decode("MZXW6YTBO") == nil)
    }

    @Test func roundTripsEveryLengthUpTo40() {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes, "length \(length)")
        }
    }
}
