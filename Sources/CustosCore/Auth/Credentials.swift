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

    /// Minimum length of a chosen password (NIST 800-63B asks for at least 8; a compliance archive asks for more).
    public static let minimumPasswordLength = 12
    public static let maximumPasswordLength = 256

    /// Checks a new password; throws a message the person can act on.
    public static func validateNewPassword(_ password: String, username: String, current: String?) throws {
        guard password.count >= minimumPasswordLength else {
            throw DomainError.invalidInput("Choose a password of at least \(minimumPasswordLength) characters.")
        }
        guard password.count <= maximumPasswordLength else {
            throw DomainError.invalidInput("A password may have at most \(maximumPasswordLength) characters.")
        }
        guard password.lowercased() != username.lowercased() else {
            throw DomainError.invalidInput("The password must not be your username.")
        }
        if let current, current == password {
            throw DomainError.invalidInput("Choose a password different from the current one.")
        }
    }
}
