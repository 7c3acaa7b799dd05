import CustosCrypto
import Foundation
import Testing

/// TOTP against RFC 6238 Appendix B and HOTP against RFC 4226 Appendix D, plus secrets and enrolment URIs.
/// Which steps a typed code may match, and replay, are CustosCore's (TOTPVerifierTests).
@Suite struct TOTPTests {
    /// The fixture JSON file's shape.
    private struct TOTPFile: Decodable {
        /// One row of the table.
        struct Vector: Decodable {
            let unix_time: Double
            let T_hex: String
            let algorithm: String
            let secret_hex: String
            let step_seconds: Int
            let digits: Int
            let totp: String
        }
        let vectors: [Vector]
    }

    /// The fixture JSON file's shape.
    private struct HOTPFile: Decodable {
        /// One row of the table.
        struct Vector: Decodable {
            let counter: UInt64
            let hotp: String
            let secret_ascii: String
            let digits: Int
        }
        let vectors: [Vector]
    }

    private static let rfcSecret = Array("12345678901234567890".utf8)

    @Test func rfc6238AppendixB() throws {
        let file = try JSONDecoder().decode(
            TOTPFile.self, from: Fixtures.data("rfc6238-totp-rfc4226-hotp/rfc6238_appendixB.json"))
        #expect(file.vectors.count == 18)
        for vector in file.vectors {
            let algorithm = try #require(TOTP.Algorithm(rawValue: vector.algorithm))
            let secret = try #require(Corpus.bytes(hex: vector.secret_hex))
            let totp = TOTP(secret: secret, digits: vector.digits, period: vector.step_seconds, algorithm: algorithm)
            let date = Date(timeIntervalSince1970: vector.unix_time)
            let label = "\(vector.algorithm) at \(Int(vector.unix_time))"
            #expect(totp.counter(at: date) == UInt64(vector.T_hex, radix: 16), "\(label)")
            #expect(totp.code(at: date) == vector.totp, "\(label)")
        }
    }

    @Test func rfc4226AppendixD() throws {
        let file = try JSONDecoder().decode(
            HOTPFile.self, from: Fixtures.data("rfc6238-totp-rfc4226-hotp/rfc4226_appendixD.json"))
        #expect(file.vectors.count == 10)
        for vector in file.vectors {
            let hotp = TOTP(secret: Array(vector.secret_ascii.utf8), digits: vector.digits)
            #expect(hotp.code(counter: vector.counter) == vector.hotp, "counter \(vector.counter)")
        }
    }

    /// Counter 1 of RFC 4226 is "287082" at 6 digits: the 8-digit RFC 6238 value's last six.
    @Test func codesAreZeroPaddedAndTruncatedToDigits() {
        let six = TOTP(secret: Self.rfcSecret)
        #expect(six.code(counter: 1) == "287082")
        #expect(TOTP(secret: Self.rfcSecret, digits: 8).code(counter: 1) == "94287082")
        // Values below 10^5 keep their leading zeros (computed with Python hmac).
        #expect(six.code(counter: 30) == "026920")
        #expect(six.code(counter: 36) == "003784")
        for counter in UInt64(0)..<200 {
            #expect(six.code(counter: counter).count == 6)
        }
    }

    /// Steps count from the Unix epoch; instants before it are step 0 rather than an underflow.
    @Test func countersStartAtTheEpoch() {
        let totp = TOTP(secret: Self.rfcSecret)
        #expect(totp.counter(at: Date(timeIntervalSince1970: 0)) == 0)
        #expect(totp.counter(at: Date(timeIntervalSince1970: 29.9)) == 0)
        #expect(totp.counter(at: Date(timeIntervalSince1970: 30)) == 1)
        #expect(totp.counter(at: Date(timeIntervalSince1970: -100)) == 0)
    }

    @Test func generatedSecretsAre160BitsAndDistinct() {
        let a = TOTP.generateSecret()
        let b = TOTP.generateSecret()
        #expect(a.count == 20)
        #expect(a != b)
    }

    @Test func provisioningURIEncodesLabelAndParameters() {
        let uri = TOTP(secret: Array("12345678901234567890".utf8))
            .provisioningURI(account: "alice@example.com", issuer: "Custos Archive")
        #expect(uri == "otpauth://totp/Custos%20Archive:alice%40example.com"
            + "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Custos%20Archive&algorithm=SHA1&digits=6&period=30")
    }

    /// Characters that would restructure the URI (":", "&", "?", "#", "/") stay inside their component.
    @Test func provisioningURIEscapesHostileNames() throws {
        let uri = TOTP(secret: [1, 2, 3], digits: 8, period: 60, algorithm: .sha256)
            .provisioningURI(account: "a:b&secret=X?#/", issuer: "Évil & Co")
        #expect(uri.hasPrefix("otpauth://totp/%C3%89vil%20%26%20Co:a%3Ab%26secret%3DX%3F%23%2F?"))
        let components = try #require(URLComponents(string: uri))
        let items = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items["secret"] == Base32.encode([1, 2, 3]))
        #expect(items["issuer"] == "Évil & Co")
        #expect(items["algorithm"] == "SHA256")
        #expect(items["digits"] == "8")
        #expect(items["period"] == "60")
    }
}
