import CustosCrypto
import Foundation

/// Sign-in, the TOTP step, session lookup and sign-out. Every outcome is audited; attempts are throttled
/// (see `Throttle`) with their state kept in the database.
public struct SignInService: Sendable {
    let archive: Archive
    let keys: ServerKeys
    let hasher: PasswordHasher
    let work: BlockingWork
    let throttle: Throttle
    public let sessionPolicy: SessionPolicy
    public var throttlePolicy: ThrottlePolicy { throttle.policy }
    /// A valid encoding verified when the username is unknown, so timing does not reveal it.
    private let decoyHash: String

    public init(archive: Archive, keys: ServerKeys, hasher: PasswordHasher, work: BlockingWork,
                sessionPolicy: SessionPolicy = SessionPolicy(), throttlePolicy: ThrottlePolicy = ThrottlePolicy()) throws {
        self.archive = archive
        self.keys = keys
        self.hasher = hasher
        self.work = work
        self.sessionPolicy = sessionPolicy
        self.throttle = Throttle(policy: throttlePolicy, keys: keys)
        self.decoyHash = try hasher.hash(SecretToken.generate())
    }

    /// A fresh session: the token goes to the browser once; the database keeps only its hash.
    public struct SignedIn: Sendable {
        public var token: String
        public var session: Session
        public var user: User
    }

    static let failedMessage = "The username or password is not correct."
    static let expiredMessage = "This one-time password has expired. Ask your administrator for a new one."

    /// Checks a username and password. On success the session is either fully active or waits
    /// for a TOTP code (when the person has enrolled one).
    public func signIn(username rawUsername: String, password: String, client: String) async throws -> SignedIn {
        let username = (try? Username.normalize(rawUsername)) ?? rawUsername.lowercased()
        guard work.hasRoom else { throw DomainError.throttled(Throttle.busyMessage, retryAfter: 1) }
        let user = try archive.read { try $0.users.find(username: username) }
        let actorName = user?.username ?? "(unknown user)"
        let witness = ThrottleWitness(action: .loginThrottled, actor: actorName, role: "none", client: client)
        let subjects = throttle.passwordSubjects(username: username, client: client)
        let reservation = try throttle.reserve(subjects, archive: archive, witness: witness)
        let hash = user?.passwordHash ?? decoyHash
        let hasher = self.hasher
        let (matches, stale) = try await throttle.check(reservation, archive: archive, work: work) {
            (hasher.verify(password, encoded: hash), hasher.needsRehash(hash))
        }
        guard let user, matches, !user.disabled else {
            let reason = user == nil ? "unknown user" : (user?.disabled == true ? "account disabled" : "wrong password")
            let draft = AuditDraft(actor: actorName, role: "none", action: .loginFailed, details: ["reason": reason], client: client)
            if let lock = try throttle.recordFailure(draft, subjects: subjects, witness: witness, archive: archive) {
                throw throttle.error(for: lock)
            }
            throw DomainError.authenticationFailed(Self.failedMessage)
        }
        let now = archive.clock.now()
        if user.oneTimePasswordExpired(at: now) {
            try archive.transaction { tx in
                try throttle.release(reservation, uow: tx.uow)
                try tx.record(AuditDraft(actor: user.username, role: "none", action: .loginFailed,
                                         details: ["reason": "one-time password expired"], client: client))
            }
            throw DomainError.gone(Self.expiredMessage)
        }
        // Rehashing is a courtesy: if it cannot run now, the next sign-in does it.
        let newHash: String? = stale ? try? await work.run { try hasher.hash(password) } : nil
        let token = SecretToken.generate()
        let stage: Session.Stage = user.totpEnrolled ? .totp : .active
        let secondFactor = throttle.secondFactor(userID: user.id)
        let created = try archive.transaction { tx -> Result<Session, DomainError> in
            try throttle.release(reservation, uow: tx.uow)
            // Someone has been guessing this account's codes: no new session waits at the TOTP step until it passes.
            if stage == .totp, let lock = try throttle.refusal([secondFactor], now: now, uow: tx.uow) {
                try throttle.note(lock, witness: witness, now: now, tx: tx)
                return .failure(throttle.error(for: lock))
            }
            if let newHash {
                try tx.uow.users.updatePassword(userID: user.id, hash: newHash, mustChange: user.mustChangePassword,
                                                oneTimeUntil: user.oneTimePasswordExpiresAt, at: user.passwordChangedAt)
            }
            if stage == .active { try throttle.clear([subjects[0]], uow: tx.uow) }
            let s = try tx.uow.sessions.create(tokenHash: SecretToken.hash(token), userID: user.id, stage: stage,
                                                activeRole: user.sortedRoles.first, now: now,
                                                expiresAt: now + sessionPolicy.absoluteTimeout, clientAddress: client)
            try tx.uow.users.recordLogin(userID: user.id, at: now)
            try tx.record(AuditDraft(actor: user.username, role: user.sortedRoles.first?.rawValue ?? "none",
                                     action: .loginSucceeded, target: "session:\(s.id)",
                                     details: ["next": stage == .totp ? "totp" : "none", "rehashed": newHash == nil ? "no" : "yes"],
                                     client: client))
            return .success(s)
        }
        return SignedIn(token: token, session: try created.get(), user: user)
    }

    /// Finds the live session for a browser token, ending it if it has expired.
    public func resolve(token: String) throws -> (Session, User)? {
        let now = archive.clock.now()
        let hash = SecretToken.hash(token)
        guard let (session, user) = try archive.read({ uow -> (Session, User)? in
            guard let s = try uow.sessions.find(tokenHash: hash), let u = try uow.users.find(id: s.userID) else { return nil }
            return (s, u)
        }) else { return nil }
        guard sessionPolicy.isAlive(session, now: now), !user.disabled else {
            try archive.transaction { tx in try tx.uow.sessions.delete(id: session.id) }
            return nil
        }
        // Refresh the idle timer at most every 30 s: one write per request would cap throughput.
        if now - session.lastSeenAt >= 30 {
            try archive.store.write { uow in try uow.sessions.touch(id: session.id, at: now) }
        }
        return (session, user)
    }

    /// Ends a session on the server.
    public func signOut(session: Session, actor: Actor) throws {
        try archive.transaction { tx in
            try tx.uow.sessions.delete(id: session.id)
            try tx.record(actor.draft(.logout, target: "session:\(session.id)"))
        }
    }

    /// Deletes what no longer counts for anything: attempts the throttle window has passed, throttle notices past
    /// their retention, and sessions past their end or idle too long. Returns the rows deleted of each.
    public func purgeExpired() throws -> (attempts: Int, sessions: Int) {
        let now = archive.clock.now()
        return try archive.store.write { uow in
            (try throttle.purge(now: now, uow: uow),
             try uow.sessions.deleteExpired(now: now, idleSince: now - sessionPolicy.idleTimeout,
                                            pendingSince: now - sessionPolicy.totpStepTimeout))
        }
    }
}
