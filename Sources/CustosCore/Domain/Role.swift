/// A role a person can hold. Each route names the roles it admits; anything else is denied.
public enum Role: String, CaseIterable, Sendable, Codable, Comparable {
    case admin, auditor, legal, custodian, security

    /// Human-facing name.
    public var title: String {
        switch self {
        case .admin: "Administrator"
        case .auditor: "Auditor"
        case .legal: "Legal"
        case .custodian: "Key custodian"
        case .security: "Security"
        }
    }

    /// Roles that must enrol TOTP before doing anything else (DESIGN: required for custodians and admins).
    public var requiresTOTP: Bool { self == .admin || self == .custodian }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The separation-of-duties rules of DESIGN.md, checked whenever roles are assigned.
public enum RolePolicy {
    /// Pairs of roles one person may never hold together: an administrator holds no other role, so the person
    /// who manages accounts never also searches, scopes holds, decides on requests or reviews the log.
    public static let conflicts: [(Role, Role)] = Role.allCases.filter { $0 != .admin }.map { (.admin, $0) }

    /// Throws `DomainError.roleConflict` when `roles` contains a forbidden pair.
    public static func validate(_ roles: Set<Role>) throws {
        for (a, b) in conflicts where roles.contains(a) && roles.contains(b) {
            throw DomainError.roleConflict("\(a.title) cannot be combined with \(b.title).")
        }
    }
}
