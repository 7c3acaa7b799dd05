import Foundation

/// A person with an account.
public struct User: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var passwordHash: String
    public var mustChangePassword: Bool
    /// TOTP secret sealed under the server's metadata key; nil until enrolled.
    public var totpSecretSealed: [UInt8]?
    public var totpLastCounter: Int64?
    public var disabled: Bool
    public var createdAt: Int64
    public var passwordChangedAt: Int64
    public var lastLoginAt: Int64?
    public var roles: Set<Role>
    /// When the one-time password stops working; nil once the person has chosen their own.
    public var oneTimePasswordExpiresAt: Int64?

    public init(id: Int64, username: String, displayName: String, passwordHash: String,
                mustChangePassword: Bool, totpSecretSealed: [UInt8]?, totpLastCounter: Int64?,
                disabled: Bool, createdAt: Int64, passwordChangedAt: Int64, lastLoginAt: Int64?,
                roles: Set<Role>, oneTimePasswordExpiresAt: Int64? = nil) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.mustChangePassword = mustChangePassword
        self.totpSecretSealed = totpSecretSealed
        self.totpLastCounter = totpLastCounter
        self.disabled = disabled
        self.createdAt = createdAt
        self.passwordChangedAt = passwordChangedAt
        self.lastLoginAt = lastLoginAt
        self.roles = roles
        self.oneTimePasswordExpiresAt = oneTimePasswordExpiresAt
    }

    /// Whether the password is a one-time password past its time (one without an expiry counts as past it).
    public func oneTimePasswordExpired(at now: Int64) -> Bool {
        mustChangePassword && now >= (oneTimePasswordExpiresAt ?? 0)
    }

    /// Whether TOTP is enrolled.
    public var totpEnrolled: Bool { totpSecretSealed != nil }

    /// Roles sorted in their canonical order, for display and defaults.
    public var sortedRoles: [Role] { roles.sorted() }
}

/// What is needed to create a user.
public struct NewUser: Sendable {
    public var username: String
    public var displayName: String
    public var passwordHash: String
    public var mustChangePassword: Bool
    public var roles: Set<Role>
    public var createdAt: Int64
    /// Required when `mustChangePassword`: when the one-time password stops working.
    public var oneTimePasswordExpiresAt: Int64?

    public init(username: String, displayName: String, passwordHash: String, mustChangePassword: Bool,
                roles: Set<Role>, createdAt: Int64, oneTimePasswordExpiresAt: Int64? = nil) {
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.mustChangePassword = mustChangePassword
        self.roles = roles
        self.createdAt = createdAt
        self.oneTimePasswordExpiresAt = oneTimePasswordExpiresAt
    }
}

/// Usernames: 3–64 characters of a–z, 0–9, '.', '_' and '-', stored lowercased.
public enum Username {
    /// Returns the canonical form or throws a message a person can act on.
    public static func normalize(_ raw: String) throws -> String {
        let value = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard (3...64).contains(value.count) else {
            throw DomainError.invalidInput("A username has 3 to 64 characters.")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard value.allSatisfy({ allowed.contains($0) }) else {
            throw DomainError.invalidInput("A username may contain only letters a–z, digits, '.', '_' and '-'.")
        }
        return value
    }
}
