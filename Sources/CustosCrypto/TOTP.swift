internal import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238) over HOTP (RFC 4226), for second-factor sign-in: the code
/// for a step, the step for a time, secrets and enrolment URIs. Which steps to accept is the caller's rule.
public struct TOTP: Sendable {
    /// The HMAC hash; authenticator apps mostly support only SHA1, the default.
    public enum Algorithm: String, Sendable {
        case sha1 = "SHA1", sha256 = "SHA256", sha512 = "SHA512"
    }

    private let secret: [UInt8]
    /// Number of decimal digits in a code (1...9; 6 is what apps expect).
    public let digits: Int
    /// Length of a time step in seconds.
    public let period: Int
    /// The HMAC hash function.
    public let algorithm: Algorithm

    /// Configures a generator; `digits` must be 1...9 and `period` positive (programmer errors otherwise).
    public init(secret: [UInt8], digits: Int = 6, period: Int = 30, algorithm: Algorithm = .sha1) {
        precondition((1...9).contains(digits), "TOTP digits must be 1...9")
        precondition(period > 0, "TOTP period must be positive")
        self.secret = secret
        self.digits = digits
        self.period = period
        self.algorithm = algorithm
    }

    /// A fresh 160-bit secret, the length RFC 4226 recommends.
    public static func generateSecret() -> [UInt8] {
        Sodium.randomBytes(20)
    }

    /// The HOTP value for `counter`, zero-padded to `digits`.
    public func code(counter: UInt64) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * $0)) }
        let mac = algorithm.authenticate(message, key: secret)
        // Dynamic truncation (RFC 4226 §5.3): 31 bits starting at the offset the last nibble names.
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16
            | UInt32(mac[offset + 2]) << 8 | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The code for the time step containing `date`.
    public func code(at date: Date) -> String {
        code(counter: counter(at: date))
    }

    /// The time-step counter for `date` (T0 = Unix epoch); instants before 1970 count as step 0.
    public func counter(at date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds > 0, seconds < 18_446_744_073_709_551_616.0 else { return 0 }
        return UInt64(seconds) / UInt64(period)
    }

    /// An `otpauth://totp/` URI for enrolment by QR code (Google Authenticator key-URI format).
    public func provisioningURI(account: String, issuer: String) -> String {
        let issuer = Self.percentEncode(issuer)
        return "otpauth://totp/\(issuer):\(Self.percentEncode(account))"
            + "?secret=\(Base32.encode(secret))&issuer=\(issuer)"
            + "&algorithm=\(algorithm.rawValue)&digits=\(digits)&period=\(period)"
    }

    /// Percent-encodes everything outside RFC 3986's unreserved set, so ":", "&", "?", "/",
    /// "#", "+", spaces and non-ASCII letters cannot change the URI's structure.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

extension TOTP.Algorithm {
    /// HMAC of `message` under `key` with this algorithm's hash (any key length), from swift-crypto.
    func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        return switch self {
        case .sha1: Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }
}
