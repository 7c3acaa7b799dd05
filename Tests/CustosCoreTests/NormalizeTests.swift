import CustosCore
import Foundation
import Testing

/// `MetadataIndexer.normalize` decides every blind-index token, so its ASCII fast path must give exactly what
/// Foundation's trim-and-lower-case gives, for every input.
@Suite struct NormalizeTests {
    private static func reference(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }

    @Test func everyASCIICharacterAtEitherEndAndInside() {
        for b in 0..<128 {
            let c = String(UnicodeScalar(UInt8(b)))
            for s in [c, c + "Ada@Example.COM", "Ada@Example.COM" + c, c + c + "x" + c, "a" + c + "B", c + " " + c] {
                #expect(MetadataIndexer.normalize(s) == Self.reference(s), "byte \(b) in \(s.debugDescription)")
            }
        }
    }

    @Test func typicalAndEdgeInputs() {
        let inputs = ["", " ", "\r\n", " \t\n\u{0B}\u{0C}\r ", "alice@example.com", "  Alice@Example.COM\r\n", "+15551234567",
                      "ÄDA@Bücher.example", "\u{00A0}ada@example.com\u{00A0}", "ada@example.com\u{0085}", "\u{2003}Bob\u{3000}",
                      "Ǆ@example.com", "İstanbul@example.com", "a\u{0301}@EXAMPLE.com", "\u{1F600}@example.com", "ABC\u{0000}DEF"]
        for s in inputs where s.unicodeScalars.allSatisfy(\.isASCII) {
            #expect(MetadataIndexer.normalize(s) == Self.reference(s), "\(s.debugDescription)")
        }
        // Beyond ASCII the rule adds NFC and an IDNA domain (AddressNormalizationTests): still trimmed and lower-cased,
        // and canonically equal inputs give one result.
        for s in inputs where !s.unicodeScalars.allSatisfy(\.isASCII) {
            let n = MetadataIndexer.normalize(s)
            #expect(n == n.lowercased() && n == n.trimmingCharacters(in: .whitespacesAndNewlines), "\(s.debugDescription)")
            #expect(n == MetadataIndexer.normalize(s.decomposedStringWithCanonicalMapping), "\(s.debugDescription)")
        }
    }

    @Test func randomASCIIStrings() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array(" \t\r\nAaZz09@.+-_\u{0B}\u{0C}\u{1C}\u{1F}\u{7F}".unicodeScalars)
        for _ in 0..<2_000 {
            let s = String(String.UnicodeScalarView((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
            #expect(MetadataIndexer.normalize(s) == Self.reference(s), "\(s.debugDescription)")
        }
    }
}
