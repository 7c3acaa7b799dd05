import CustosCrypto
import Foundation

/// What a signed-in person does to their own account: change the password, enrol TOTP, switch role.
public struct AccountService: Sendable {
    let archive: Archive
    let keys: ServerKeys
    let hasher: PasswordHasher
    let work: BlockingWork
    let throttle: Throttle
    let passwords: PasswordPolicy

    public init(archive: Archive, keys: ServerKeys, hasher: PasswordHasher, work: BlockingWork, passwords: PasswordPolicy,
                throttlePolicy: ThrottlePolicy = ThrottlePolicy()) {
        self.archive = archive
        self.passwords = passwords
        self.keys = keys
        self.hasher = hasher
        self.work = work
        self.throttle = Throttle(policy: throttlePolicy, keys: keys)
    }

    /// Changes the password after checking the current one; ends the person's other sessions. The check of the
    /// current password is a password guess like a sign-in: throttled with sign-in's subjects and audited.
    public func changePassword(user: User, session: Session, current: String, new: String, confirm: String, actor: Actor) async throws {
        guard new == confirm else { throw DomainError.invalidInput("The new password and its confirmation differ.") }
        try passwords.validate(new, for: user, current: current)
        if user.oneTimePasswordExpired(at: archive.clock.now()) { throw DomainError.gone(SignInService.expiredMessage) }
        guard work.hasRoom else { throw DomainError.throttled(Throttle.busyMessage, retryAfter: 1) }
        let subjects = throttle.passwordSubjects(username: user.username, client: actor.client)
        let witness = ThrottleWitness(action: .loginThrottled, actor: user.username, role: actor.role?.rawValue ?? "none",
                                      target: "user:\(user.username)", client: actor.client)
        let reservation = try throttle.reserve(subjects, archive: archive, witness: witness)
        let hasher = self.hasher
        let stored = user.passwordHash
        // One job: the new password is hashed only once the current one is known to be right.
        let newHash = try await throttle.check(reservation, archive: archive, work: work) {
            hasher.verify(current, encoded: stored) ? try hasher.hash(new) : nil
        }
        guard let newHash else {
            let draft = actor.draft(.passwordCheckFailed, target: "user:\(user.username)", details: ["reason": "wrong current password"])
            if let lock = try throttle.recordFailure(draft, subjects: subjects, witness: witness, archive: archive) {
                throw throttle.error(for: lock)
            }
            throw DomainError.authenticationFailed("The current password is not correct.")
        }
        let now = archive.clock.now()
        try archive.transaction { tx in
            try throttle.release(reservation, uow: tx.uow)
            try throttle.clear([subjects[0]], uow: tx.uow)
            try tx.uow.users.updatePassword(userID: user.id, hash: newHash, mustChange: false, oneTimeUntil: nil, at: now)
            try tx.uow.sessions.deleteAll(userID: user.id, except: session.id)
            try tx.record(actor.draft(.passwordChanged, target: "user:\(user.username)",
                                      details: ["other_sessions_ended": "yes"]))
        }
    }

    /// A TOTP enrolment in progress: the secret to show, and an opaque sealed form that the
    /// confirmation form carries back, bound to this user and session.
    public struct PendingEnrolment: Sendable {
        public var secretBase32: String
        public var provisioningURI: String
        public var sealed: String
    }

    /// Starts TOTP enrolment with a fresh secret.
    public func beginTOTPEnrolment(user: User, session: Session) throws -> PendingEnrolment {
        guard !user.totpEnrolled else { throw DomainError.conflict("TOTP is already enrolled for this account.") }
        let secret = TOTP.generateSecret()
        let sealed = try Sealing.seal(secret, key: keys.enrolmentKey, additionalData: pendingAD(user, session))
        return PendingEnrolment(secretBase32: Base32.encode(secret),
                                provisioningURI: TOTP(secret: secret).provisioningURI(account: user.username, issuer: "Custos"),
                                sealed: Hex.encode(sealed))
    }

    /// Re-derives the pending enrolment from the sealed form (to show the same secret again after a typo).
    public func reopenTOTPEnrolment(user: User, session: Session, sealed: String) throws -> PendingEnrolment {
        let secret = try openPending(user: user, session: session, sealed: sealed)
        return PendingEnrolment(secretBase32: Base32.encode(secret),
                                provisioningURI: TOTP(secret: secret).provisioningURI(account: user.username, issuer: "Custos"),
                                sealed: sealed)
    }

    /// Confirms enrolment with a code from the authenticator; stores the secret sealed.
    public func confirmTOTPEnrolment(user: User, session: Session, sealed: String, code: String, actor: Actor) throws {
        guard !user.totpEnrolled else { throw DomainError.conflict("TOTP is already enrolled for this account.") }
        let secret = try openPending(user: user, session: session, sealed: sealed)
        let now = Date(timeIntervalSince1970: TimeInterval(archive.clock.now()))
        guard let counter = TOTPVerifier(secret: secret).step(of: code, at: now) else {
            throw DomainError.invalidInput("That code does not match. Check the key you entered and the time on your device, then try the current code.")
        }
        let stored = try TOTPSecrets(keys: keys).seal(secret, userID: user.id)
        try archive.transaction { tx in
            try tx.uow.users.setTOTP(userID: user.id, sealedSecret: stored, lastCounter: Int64(counter))
            try tx.record(actor.draft(.totpEnrolled, target: "user:\(user.username)"))
        }
    }

    /// Switches the role the session acts in; the person must hold it.
    public func switchRole(user: User, session: Session, to role: Role, actor: Actor) throws {
        guard user.roles.contains(role) else { throw DomainError.forbidden("You do not hold the \(role.title) role.") }
        try archive.transaction { tx in
            try tx.uow.sessions.update(id: session.id, stage: session.stage, activeRole: role)
            try tx.record(actor.draft(.roleSwitched, target: "session:\(session.id)",
                                      details: ["from": session.activeRole?.rawValue ?? "none", "to": role.rawValue]))
        }
    }

    private func pendingAD(_ user: User, _ session: Session) -> [UInt8] {
        Array("custos/totp-pending/\(user.id)/\(session.id)".utf8)
    }

    private func openPending(user: User, session: Session, sealed: String) throws -> [UInt8] {
        guard let bytes = Hex.decode(sealed),
              let secret = try? Sealing.open(bytes, key: keys.enrolmentKey, additionalData: pendingAD(user, session))
        else { throw DomainError.invalidInput("The enrolment form has expired. Start again.") }
        return secret
    }
}
