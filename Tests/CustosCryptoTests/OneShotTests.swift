import CustosCrypto
import Testing

/// The one-shot forms (BLAKE2b in one call, XChaCha20-Poly1305 sealed into one buffer) must give what the
/// streaming and two-step forms give: stored tokens, hashes and sealed values depend on it.
@Suite struct OneShotTests {
    @Test func blake2bOneShotMatchesStreaming() {
        let key = (0..<32).map { UInt8($0) }
        for length in [0, 1, 63, 64, 65, 127, 128, 129, 1_000] {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            for (k, out) in [(nil, 32), (key, 32), (Array(key.prefix(16)), 64), (nil, 16)] as [([UInt8]?, Int)] {
                let streaming = BLAKE2b.Hasher(key: k, outputLength: out)
                streaming.update(Array(data.prefix(length / 2)))
                streaming.update(Array(data.dropFirst(length / 2)))
                #expect(BLAKE2b.hash(data, key: k, outputLength: out) == streaming.finalize())
            }
        }
        // RFC 7693 Appendix A: BLAKE2b-512("abc").
        #expect(BLAKE2b.hash(Array("abc".utf8), outputLength: 64).prefix(8) == [0xBA, 0x80, 0xA5, 0x3F, 0x98, 0x1C, 0x4D, 0x0D])
    }

    @Test func blake2bOfAStringReadsItsUTF8() {
        for s in ["", "alice@example.com", "ÄDA@Bücher.example", String(repeating: "x", count: 300), "a\u{0301}\u{1F600}"] {
            #expect(BLAKE2b.hash(utf8: s) == BLAKE2b.hash(Array(s.utf8)))
            #expect(BLAKE2b.hash(utf8: s, key: Array(repeating: 7, count: 32)) == BLAKE2b.hash(Array(s.utf8), key: Array(repeating: 7, count: 32)))
        }
    }

    @Test func combinedSealingIsNonceThenSealedText() throws {
        let key = XChaCha20Poly1305.generateKey()
        for plaintext in [[], [0x41], Array(repeating: UInt8(0x5A), count: 1_000)] as [[UInt8]] {
            let ad = Array("custos/display/participant".utf8)
            let combined = try XChaCha20Poly1305.sealCombined(plaintext, key: key, additionalData: ad)
            #expect(combined.count == XChaCha20Poly1305.nonceLength + plaintext.count + XChaCha20Poly1305.tagLength)
            let nonce = Array(combined.prefix(XChaCha20Poly1305.nonceLength))
            #expect(try XChaCha20Poly1305.open(Array(combined.dropFirst(XChaCha20Poly1305.nonceLength)), key: key, nonce: nonce,
                                               additionalData: ad) == plaintext)
            #expect(try XChaCha20Poly1305.openCombined(combined, key: key, additionalData: ad) == plaintext)
            let twoStep = try nonce + XChaCha20Poly1305.seal(plaintext, key: key, nonce: nonce, additionalData: ad)
            #expect(twoStep == combined)
            #expect(throws: CryptoError.self) { try XChaCha20Poly1305.openCombined(combined, key: key, additionalData: Array("other".utf8)) }
            for i in [0, XChaCha20Poly1305.nonceLength, combined.count - 1] {
                var tampered = combined
                tampered[i] ^= 1
                #expect(throws: CryptoError.self) { try XChaCha20Poly1305.openCombined(tampered, key: key, additionalData: ad) }
            }
        }
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.openCombined(Array(repeating: 0, count: 39), key: key) }
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.sealCombined([1], key: Array(key.prefix(31))) }
    }
}
