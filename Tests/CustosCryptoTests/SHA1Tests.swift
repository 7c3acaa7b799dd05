@testable import CustosCrypto
import Foundation
import Testing

/// SHA-1 and HMAC-SHA1 against FIPS 180 / RFC 3174, RFC 2202 and RFC 4226 known answers.
@Suite struct SHA1Tests {
    private func sha1(_ text: String) -> String { Corpus.hex(SHA1.hash(Array(text.utf8))) }

    @Test func fipsOneBlockMessage() {
        #expect(sha1("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func fipsTwoBlockMessage() {
        #expect(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test func fipsMillionA() {
        #expect(sha1(String(repeating: "a", count: 1_000_000)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    /// Lengths around the padding boundary (55 fits one block, 56 needs two) and the empty string.
    @Test func paddingBoundaries() {
        #expect(sha1("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(sha1(String(repeating: "a", count: 55)) == "c1c8bbdc22796e28c0e15163d20899b65621d65a")
        #expect(sha1(String(repeating: "a", count: 56)) == "c2db330f6083854c99d4b5bfb6e8f29f201be699")
        #expect(sha1(String(repeating: "a", count: 64)) == "0098ba824b5c16427bd7a1122a5a442a25ec644d")
    }

    /// RFC 2202 §3 test cases 1, 2 and 6 (short key, ASCII key, key longer than a block).
    @Test func hmacRFC2202() {
        let cases: [([UInt8], String, String)] = [
            ([UInt8](repeating: 0x0B, count: 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"),
            (Array("Jefe".utf8), "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            ([UInt8](repeating: 0xAA, count: 80), "Test Using Larger Than Block-Size Key - Hash Key First",
             "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        ]
        for (key, message, expected) in cases {
            #expect(Corpus.hex(SHA1.hmac(key: key, message: Array(message.utf8))) == expected)
        }
    }

    /// The corpus JSON file's shape.
    private struct HOTPFile: Decodable {
        /// One row of the table.
        struct Vector: Decodable {
            let counter: UInt64
            let hmac_sha1_hex: String
            let secret_ascii: String
        }
        let vectors: [Vector]
    }

    /// RFC 4226 Appendix D lists the intermediate HMAC-SHA1 value for every counter.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func hmacRFC4226Intermediates() throws {
        let file = try JSONDecoder().decode(
            HOTPFile.self, from: Corpus.data("vectors/rfc6238-totp-rfc4226-hotp/rfc4226_appendixD.json"))
        #expect(file.vectors.count == 10)
        for vector in file.vectors {
            let counter = (0..<8).map { UInt8(truncatingIfNeeded: vector.counter >> UInt64(56 - 8 * $0)) }
            let mac = SHA1.hmac(key: Array(vector.secret_ascii.utf8), message: counter)
            #expect(Corpus.hex(mac) == vector.hmac_sha1_hex, "counter \(vector.counter)")
        }
    }
}
