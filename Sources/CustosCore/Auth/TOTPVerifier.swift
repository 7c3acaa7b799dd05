import CustosCrypto
import Foundation

/// Which time step a code a person typed belongs to: the current step or one either side, for clock drift.
/// Replay is the caller's other half: it stores the accepted step as the account's last (`setTOTP` at enrolment,
/// `advanceTOTPCounter` at sign-in, which refuses a step at or before the last one), so each step is used once.
struct TOTPVerifier {
    /// Steps either side of the current one whose codes are accepted.
    static let window: UInt64 = 1

    private let generator: TOTP

    /// Checks codes for `secret` as authenticator apps make them by default: 6 digits, 30 s steps, SHA-1.
    init(secret: [UInt8]) {
        generator = TOTP(secret: secret)
    }

    /// The step within ±`window` of `date` whose code equals `typed` once whitespace is removed, or nil.
    /// Every candidate is compared in constant time, with no early exit.
    func step(of typed: String, at date: Date) -> UInt64? {
        let candidate = Array(typed.filter { !$0.isWhitespace }.utf8)
        guard candidate.count == generator.digits,
              candidate.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        let current = generator.counter(at: date)
        // Current step first, then outwards, so the closest step wins a (1-in-10^digits) tie.
        var steps = [current]
        for distance in stride(from: 1, through: Self.window, by: 1) {
            if current >= distance { steps.append(current - distance) }
            if current <= UInt64.max - distance { steps.append(current + distance) }
        }
        var match: UInt64?
        for step in steps {
            let equal = Sodium.constantTimeEqual(Array(generator.code(counter: step).utf8), candidate)
            if equal && match == nil { match = step }
        }
        return match
    }
}
