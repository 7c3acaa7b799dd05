import Foundation
import CustosCrypto

/// The admin's work on accounts: create with a one-time password, disable, enable, assign roles.
public struct UserAdministration: Sendable {
    let archive: Archive
    let hasher: PasswordHasher
    let work: BlockingWork
    let keys: ServerKeys
    /// How long a one-time password works (seconds).
    public let oneTimePasswordLifetime: Int64

    public init(archive: Archive, hasher: PasswordHasher, work: BlockingWork, keys: ServerKeys,
                oneTimePasswordLifetime: Int64 = Credentials.defaultOneTimePasswordLifetime) {
        self.archive = archive
        self.hasher = hasher
        self.work = work
        self.keys = keys
        self.oneTimePasswordLifetime = oneTimePasswordLifetime
    }

    /// A newly created account and its one-time password, shown once.
    public struct Created: Sendable {
        public var user: User
        public var oneTimePassword: String
    }

    /// Creates an account that must change its one-time password at first sign-in.
    public func create(username rawUsername: String, displayName: String, roles: Set<Role>, actor: Actor) async throws -> Created {
        let username = try Username.normalize(rawUsername)
        let display = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...120).contains(display.count) else {
            throw DomainError.invalidInput("Give a display name of 1 to 120 characters.")
        }
        guard !roles.isEmpty else { throw DomainError.invalidInput("Choose at least one role.") }
        try RolePolicy.validate(roles)
        let password = Credentials.oneTimePassword()
        let hasher = self.hasher
        let hash = try await work.run { try hasher.hash(password) }
        let now = archive.clock.now()
        let user = try archive.transaction { tx -> User in
            guard try tx.uow.users.find(username: username) == nil else {
                throw DomainError.conflict("An account named \(username) already exists.")
            }
            let user = try tx.uow.users.create(NewUser(username: username, displayName: display, passwordHash: hash,
                                                       mustChangePassword: true, roles: roles, createdAt: now,
                                                       oneTimePasswordExpiresAt: now + oneTimePasswordLifetime))
            try tx.record(actor.draft(.userCreated, target: "user:\(username)",
                                      details: ["roles": roles.sorted().map(\.rawValue).joined(separator: ",")]))
            return user
        }
        return Created(user: user, oneTimePassword: password)
    }

    /// Replaces a user's roles (separation of duties enforced) and ends their sessions.
    public func setRoles(userID: Int64, roles: Set<Role>, actor: Actor) throws {
        guard !roles.isEmpty else { throw DomainError.invalidInput("Choose at least one role.") }
        try RolePolicy.validate(roles)
        try archive.transaction { tx in
            guard let user = try tx.uow.users.find(id: userID) else { throw DomainError.notFound("No such user.") }
            if userID == actor.userID {
                throw DomainError.forbidden("Nobody changes their own roles: another administrator must.")
            }
            try tx.uow.users.setRoles(userID: userID, roles: roles, grantedBy: actor.userID, at: archive.clock.now())
            try tx.uow.sessions.deleteAll(userID: userID, except: nil)
            try tx.record(actor.draft(.rolesChanged, target: "user:\(user.username)",
                                      details: ["from": user.sortedRoles.map(\.rawValue).joined(separator: ","),
                                                "to": roles.sorted().map(\.rawValue).joined(separator: ",")]))
        }
    }

    /// Disables or re-enables an account; disabling ends all its sessions at once.
    public func setDisabled(userID: Int64, disabled: Bool, actor: Actor) throws {
        try archive.transaction { tx in
            guard let user = try tx.uow.users.find(id: userID) else { throw DomainError.notFound("No such user.") }
            if disabled && userID == actor.userID { throw DomainError.forbidden("You cannot disable your own account.") }
            try tx.uow.users.setDisabled(userID: userID, disabled: disabled)
            if disabled { try tx.uow.sessions.deleteAll(userID: userID, except: nil) }
            try tx.record(actor.draft(disabled ? .userDisabled : .userEnabled, target: "user:\(user.username)"))
        }
    }

    /// Every account, for the admin's list.
    public func all() throws -> [User] {
        try archive.read { try $0.users.all() }
    }

    /// One account.
    public func find(id: Int64) throws -> User? {
        try archive.read { try $0.users.find(id: id) }
    }
}

extension UserAdministration {
    /// Creates a ready-to-work account with a chosen password and, optionally, an enrolled TOTP
    /// secret. Used by `custos demo` only; the passwords it receives are random per run.
    public func provisionReady(username: String, displayName: String, roles: Set<Role>, password: String,
                               totpSecret: [UInt8]?, actor: Actor) async throws -> User {
        let username = try Username.normalize(username)
        try RolePolicy.validate(roles)
        let hasher = self.hasher
        let hash = try await work.run { try hasher.hash(password) }
        let now = archive.clock.now()
        return try archive.transaction { tx in
            var user = try tx.uow.users.create(NewUser(username: username, displayName: displayName, passwordHash: hash,
                                                       mustChangePassword: false, roles: roles, createdAt: now))
            if let totpSecret {
                let sealed = try TOTPSecrets(keys: keys).seal(totpSecret, userID: user.id)
                try tx.uow.users.setTOTP(userID: user.id, sealedSecret: sealed, lastCounter: nil)
                user.totpSecretSealed = sealed
            }
            try tx.record(actor.draft(.userCreated, target: "user:\(username)",
                                      details: ["roles": roles.sorted().map(\.rawValue).joined(separator: ","),
                                                "ready": "yes", "totp": totpSecret == nil ? "no" : "yes"]))
            return user
        }
    }
}
