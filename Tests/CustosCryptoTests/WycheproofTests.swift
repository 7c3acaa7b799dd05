@testable import CustosCrypto
import Foundation
import Testing

/// Project Wycheproof vectors for XChaCha20-Poly1305 (envelopes, share boxes) and raw X25519.
@Suite(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
struct WycheproofTests {
    private static let directory = "vectors/wycheproof/testvectors_v1/"

    private struct File<Test: Decodable>: Decodable {
        struct Group: Decodable { let tests: [Test] }
        let numberOfTests: Int
        let testGroups: [Group]
        var tests: [Test] { testGroups.flatMap(\.tests) }
    }

    private struct AeadTest: Decodable {
        let tcId: Int, key: String, iv: String, aad: String, msg: String, ct: String, tag: String, result: String
    }

    private struct XdhTest: Decodable {
        let tcId: Int, `public`: String, `private`: String, shared: String, result: String, flags: [String]
    }

    private static func load<T: Decodable>(_ name: String, as: T.Type) throws -> File<T> {
        try JSONDecoder().decode(File<T>.self, from: Corpus.data(directory + name))
    }

    @Test func xchacha20Poly1305() throws {
        let file = try Self.load("xchacha20_poly1305_test.json", as: AeadTest.self)
        #expect(file.tests.count == file.numberOfTests && file.numberOfTests == 315)
        var counts = (valid: 0, invalid: 0)
        for t in file.tests {
            let key = hexBytes(t.key), nonce = hexBytes(t.iv), aad = hexBytes(t.aad), msg = hexBytes(t.msg)
            let sealed = hexBytes(t.ct) + hexBytes(t.tag)
            switch t.result {
            case "valid":
                counts.valid += 1
                #expect(try XChaCha20Poly1305.seal(msg, key: key, nonce: nonce, additionalData: aad) == sealed, "tcId \(t.tcId)")
                #expect(try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, additionalData: aad) == msg, "tcId \(t.tcId)")
            case "invalid":
                counts.invalid += 1
                // Wrong nonce sizes are refused as bad input; modified tags fail authentication.
                let expected = nonce.count == 24 ? "authenticationFailed" : "invalidInput"
                #expect(cryptoErrorKind { try XChaCha20Poly1305.open(sealed, key: key, nonce: nonce, additionalData: aad) } == expected,
                        "tcId \(t.tcId)")
            default:
                Issue.record("tcId \(t.tcId): unexpected result \(t.result)")
            }
        }
        #expect(counts.valid == 246 && counts.invalid == 69)
    }

    /// libsodium's crypto_scalarmult computes RFC 7748 X25519 but refuses an all-zero output (documented).
    /// So: "valid" must match; an all-zero expected secret must be refused; every other "acceptable" case
    /// (twist points, non-canonical encodings, special keys) must give exactly the RFC 7748 value.
    @Test func x25519() throws {
        let file = try Self.load("x25519_test.json", as: XdhTest.self)
        #expect(file.tests.count == file.numberOfTests && file.numberOfTests == 518)
        var refusedAcceptable = 0, refusedZero = 0
        for t in file.tests {
            let expected = hexBytes(t.shared)
            let result = Result { try X25519.sharedSecret(privateKey: hexBytes(t.private), publicKey: hexBytes(t.public)) }
            if expected.allSatisfy({ $0 == 0 }) {
                #expect(throws: CryptoError.self, "tcId \(t.tcId): all-zero shared secret must be refused") { try result.get() }
                refusedZero += 1
                continue
            }
            switch (t.result, result) {
            case ("valid", .success(let shared)), ("acceptable", .success(let shared)):
                #expect(shared == expected, "tcId \(t.tcId)")
            case ("acceptable", .failure):
                refusedAcceptable += 1
            case (_, .failure(let error)):
                Issue.record("tcId \(t.tcId) (\(t.result), \(t.flags)): refused with \(error)")
            default:
                Issue.record("tcId \(t.tcId): unexpected result \(t.result)")
            }
        }
        // Every other input, twist points and non-canonical encodings included, gives the RFC 7748 value.
        #expect(refusedZero == 31 && refusedAcceptable == 0)
    }
}
