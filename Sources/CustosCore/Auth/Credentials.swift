import CustosCrypto

/// Generated credentials and the password rules people must meet.
public enum Credentials {
    /// A random one-time password: 20 characters from a 32-letter alphabet (100 bits), grouped for reading.
    public static func oneTimePassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")  // no i, l, o, 0, 1: easy to copy by eye
        precondition(alphabet.count == 31 || alphabet.count == 32)
        var chars: [Character] = []
        // Rejection sampling keeps the choice uniform.
        while chars.count < 20 {
            for byte in Sodium.randomBytes(32) where chars.count < 20 {
                let limit = 256 - (256 % alphabet.count)
                if Int(byte) < limit { chars.append(alphabet[Int(byte) % alphabet.count]) }
            }
        }
        return stride(from: 0, to: 20, by: 5).map { String(chars[$0..<$0 + 5]) }.joined(separator: "-")
    }

    /// How long a one-time password works unless configured otherwise: 72 hours.
    public static let defaultOneTimePasswordLifetime: Int64 = 72 * 3600

    public static let maximumPasswordLength = 256
}

/// The rules a chosen password must meet (NIST SP 800-63B-4, 3.1.1.2): at least 15 characters where the password
/// is the only factor, at least 12 where the account signs in with TOTP too (NIST asks for 8), at most 256, and
/// none of the commonly used, expected or context-specific values a guesser tries first: a blocklisted password,
/// one with digits or symbols around it ("Password2024!"), one repeated ("dragondragondragon"), a run of one short
/// unit ("abcabcabcabcabc"), the username or the service's name inside it. Nothing else: no composition rules,
/// which NIST advises against.
public struct PasswordPolicy: Sendable {
    public static let minimumAlone = 15
    public static let minimumWithSecondFactor = 12
    public static let maximum = Credentials.maximumPasswordLength
    static let serviceWords = ["custos"]

    public let blocklist: Set<String>

    /// `blocklist`: common passwords, compared lower-cased.
    public init(blocklist: Set<String>) {
        self.blocklist = Set(blocklist.map { $0.lowercased() })
    }

    /// Reads a blocklist file: one password per line; blank lines and lines starting with "#" are skipped.
    public init(blocklistText text: String) {
        self.init(blocklist: Set(text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }))
    }

    /// The shortest password `user` may choose: TOTP (enrolled, or required by a role and so enrolled before any use)
    /// makes the password one of two factors.
    public static func minimumLength(for user: User) -> Int {
        user.totpEnrolled || user.roles.contains(where: \.requiresTOTP) ? minimumWithSecondFactor : minimumAlone
    }

    /// Checks a new password for `user`; throws a message the person can act on.
    public func validate(_ password: String, for user: User, current: String?) throws {
        let minimum = Self.minimumLength(for: user)
        guard password.count >= minimum else {
            throw DomainError.invalidInput(minimum == Self.minimumAlone
                ? "Choose a password of at least \(minimum) characters (a few unrelated words make a good one)."
                : "Choose a password of at least \(minimum) characters.")
        }
        guard password.count <= Self.maximum else {
            throw DomainError.invalidInput("A password may have at most \(Self.maximum) characters.")
        }
        if let current, current == password {
            throw DomainError.invalidInput("Choose a password different from the current one.")
        }
        let lower = password.lowercased()
        let username = user.username.lowercased()
        if lower == username || (username.count >= 4 && lower.contains(username)) {
            throw DomainError.invalidInput("The password must not contain your username.")
        }
        if Self.serviceWords.contains(where: { lower.contains($0) }) {
            throw DomainError.invalidInput("The password must not contain the name of this service.")
        }
        if isCommon(lower) {
            throw DomainError.invalidInput("That password is among the most common ones guessers try first; choose another "
                                           + "(a few unrelated words make a good one).")
        }
    }

    /// Whether a lower-cased password is a common one, alone, wrapped in digits and symbols, or repeated.
    func isCommon(_ lower: String) -> Bool {
        if blocklist.contains(lower) { return true }
        let core = String(lower.drop { !$0.isLetter }.reversed().drop { !$0.isLetter }.reversed())
        if core.isEmpty || blocklist.contains(core) { return true }
        for candidate in Set([lower, core]) {
            let chars = Array(candidate)
            for unit in 1...max(1, chars.count / 2) where chars.count % unit == 0 {
                let head = chars[0..<unit]
                guard stride(from: unit, to: chars.count, by: unit).allSatisfy({ chars[$0..<$0 + unit] == head }) else { continue }
                if unit <= 4 || blocklist.contains(String(head)) { return true }
            }
        }
        return false
    }
}
