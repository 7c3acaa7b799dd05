@testable import CustosCore
import CustosCrypto
import Foundation
import Testing

/// Which step a typed TOTP code is accepted for: the current one or one either side, and nothing malformed.
@Suite struct TOTPVerifierTests {
    private static let rfcSecret = Array("12345678901234567890".utf8)
    private let totp = TOTP(secret: Self.rfcSecret)
    private let verifier = TOTPVerifier(secret: Self.rfcSecret)

    @Test func acceptsTheCurrentStepAndOneEitherSideOnly() {
        let now = Date(timeIntervalSince1970: 1_111_111_109)   // RFC 6238 step 0x23523EC
        let current = totp.counter(at: now)
        #expect(current == 0x23523EC)
        #expect(verifier.step(of: totp.code(counter: current), at: now) == current)
        #expect(verifier.step(of: totp.code(counter: current - 1), at: now) == current - 1)
        #expect(verifier.step(of: totp.code(counter: current + 1), at: now) == current + 1)
        #expect(verifier.step(of: totp.code(counter: current - 2), at: now) == nil)
        #expect(verifier.step(of: totp.code(counter: current + 2), at: now) == nil)
    }

    @Test func nearTheEpochDoesNotUnderflow() {
        let epoch = Date(timeIntervalSince1970: 0)
        #expect(verifier.step(of: totp.code(counter: 0), at: epoch) == 0)
        #expect(verifier.step(of: totp.code(counter: 1), at: epoch) == 1)
    }

    @Test func rejectsMalformedCodes() {
        let now = Date(timeIntervalSince1970: 59)
        let good = totp.code(at: now)
        for bad in ["", "28708", "2870822", "28708a", "２８７０８２", "-87082", "+87082",
                    "0x1234", String(good.dropLast()) + "\u{0}"] {
            #expect(verifier.step(of: bad, at: now) == nil, "\(bad.debugDescription)")
        }
        #expect(verifier.step(of: good, at: now) == 1)
    }

    /// People type codes as their app shows them ("287 082") and paste them with line breaks.
    @Test func ignoresWhitespaceAsTyped() {
        let now = Date(timeIntervalSince1970: 59)
        #expect(totp.code(at: now) == "287082")
        for typed in [" 287082", "287 082", "287082\n", "\t287\u{00A0}082 "] {
            #expect(verifier.step(of: typed, at: now) == 1, "\(typed.debugDescription)")
        }
    }

    @Test func wrongSecretDoesNotMatch() {
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let other = TOTPVerifier(secret: Array("12345678901234567891".utf8))
        #expect(other.step(of: totp.code(at: now), at: now) == nil)
    }
}
