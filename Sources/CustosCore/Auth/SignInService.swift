import CustosCrypto
import Foundation

/// Sign-in, the TOTP step, session lookup and sign-out. Every outcome is audited; failures are
/// throttled per account and per client address with state kept in the database.
public struct SignInService: Sendable {
    let archive: Archive
    let keys: ServerKeys
    let hasher: PasswordHasher
    let work: BlockingWork
    public let sessionPolicy: SessionPolicy
    public let throttlePolicy: ThrottlePolicy
    /// A valid encoding verified when the username is unknown, so timing does not reveal it.
    private let decoyHash: String

    public init(archive: Archive, keys: ServerKeys, hasher: PasswordHasher, work: BlockingWork,
                sessionPolicy: SessionPolicy = SessionPolicy(), throttlePolicy: ThrottlePolicy = ThrottlePolicy()) throws {
        self.archive = archive
        self.keys = keys
        self.hasher = hasher
        self.work = work
        self.sessionPolicy = sessionPolicy
        self.throttlePolicy = throttlePolicy
        self.decoyHash = try hasher.hash(SecretToken.generate())
    }

    /// A fresh session: the token goes to the browser once; the database keeps only its hash.
    public struct SignedIn: Sendable {
        public var token: String
        public var session: Session
        public var user: User
    }

    static let throttledMessage = "Too many failed sign-in attempts. Sign-in is paused for this account or from this address for 15 minutes. If this was not you, tell your security team."
    static let failedMessage = "The username or password is not correct."

    /// Checks a username and password. On success the session is either fully active or waits
    /// for a TOTP code (when the person has enrolled one).
    public func signIn(username rawUsername: String, password: String, client: String) async throws -> SignedIn {
        let username = (try? Username.normalize(rawUsername)) ?? rawUsername.lowercased()
        let subjects = throttleSubjects(username: username, client: client)
        let now = archive.clock.now()
        let (user, throttled) = try archive.read { uow -> (User?, Bool) in
            let since = now - throttlePolicy.window
            let account = try uow.loginFailures.count(subject: subjects.account, since: since)
            let address = try uow.loginFailures.count(subject: subjects.address, since: since)
            return (try uow.users.find(username: username),
                    account >= throttlePolicy.maxFailuresPerAccount || address >= throttlePolicy.maxFailuresPerAddress)
        }
        let actorName = user?.username ?? "(unknown user)"
        if throttled {
            try archive.record(AuditDraft(actor: actorName, role: "none", action: .loginThrottled, client: client))
            throw DomainError.throttled(Self.throttledMessage)
        }
        let hash = user?.passwordHash ?? decoyHash
        let hasher = self.hasher
        let (matches, stale) = try await work.run { (hasher.verify(password, encoded: hash), hasher.needsRehash(hash)) }
        guard let user, matches, !user.disabled else {
            let reason = user == nil ? "unknown user" : (user?.disabled == true ? "account disabled" : "wrong password")
            let nowLocked = try archive.transaction { tx -> Bool in
                try tx.uow.loginFailures.record(subject: subjects.account, at: now)
                try tx.uow.loginFailures.record(subject: subjects.address, at: now)
                try tx.record(AuditDraft(actor: actorName, role: "none", action: .loginFailed,
                                         details: ["reason": reason], client: client))
                return try tx.uow.loginFailures.count(subject: subjects.account, since: now - throttlePolicy.window)
                    >= throttlePolicy.maxFailuresPerAccount
            }
            throw nowLocked ? DomainError.throttled(Self.throttledMessage) : DomainError.authenticationFailed(Self.failedMessage)
        }
        let newHash: String? = stale ? try await work.run { try hasher.hash(password) } : nil
        let token = SecretToken.generate()
        let stage: Session.Stage = user.totpEnrolled ? .totp : .active
        let session = try archive.transaction { tx -> Session in
            if let newHash {
                try tx.uow.users.updatePassword(userID: user.id, hash: newHash, mustChange: user.mustChangePassword, at: user.passwordChangedAt)
            }
            try tx.uow.loginFailures.clear(subject: subjects.account)
            let s = try tx.uow.sessions.create(tokenHash: SecretToken.hash(token), userID: user.id, stage: stage,
                                                activeRole: user.sortedRoles.first, now: now,
                                                expiresAt: now + sessionPolicy.absoluteTimeout, clientAddress: client)
            try tx.uow.users.recordLogin(userID: user.id, at: now)
            try tx.record(AuditDraft(actor: user.username, role: user.sortedRoles.first?.rawValue ?? "none",
                                     action: .loginSucceeded, target: "session:\(s.id)",
                                     details: ["next": stage == .totp ? "totp" : "none", "rehashed": newHash == nil ? "no" : "yes"],
                                     client: client))
            return s
        }
        return SignedIn(token: token, session: session, user: user)
    }

    /// The second factor: a TOTP code for a session at the `.totp` stage. A code's time step is accepted once,
    /// even by sign-ins running at the same moment.
    public func verifyTOTP(session: Session, user: User, code: String, client: String) throws -> Session {
        guard session.stage == .totp, let sealed = user.totpSecretSealed else {
            throw DomainError.forbidden("No TOTP code is expected for this session.")
        }
        let now = archive.clock.now()
        let subjects = throttleSubjects(username: user.username, client: client)
        let secret = try TOTPSecrets(keys: keys).open(sealed, userID: user.id)
        let counter = TOTP(secret: secret).validate(code.filter { !$0.isWhitespace }, at: Date(timeIntervalSince1970: TimeInterval(now)))
        // The step is claimed in the database, not checked against `user` as read when the request began: two
        // sign-ins using one code at the same moment both saw it unused.
        let verified = try archive.transaction { tx -> Session? in
            guard let counter, try tx.uow.users.advanceTOTPCounter(userID: user.id, to: Int64(counter)) else { return nil }
            try tx.uow.sessions.update(id: session.id, stage: .active, activeRole: session.activeRole)
            try tx.record(Actor(userID: user.id, username: user.username, role: session.activeRole, client: client)
                .draft(.totpVerified, target: "session:\(session.id)"))
            var s = session
            s.stage = .active
            return s
        }
        if let verified { return verified }
        let locked = try archive.transaction { tx -> Bool in
            try tx.uow.loginFailures.record(subject: subjects.account, at: now)
            try tx.record(Actor(userID: user.id, username: user.username, role: nil, client: client)
                .draft(.totpFailed, target: "session:\(session.id)", details: ["reason": counter == nil ? "wrong code" : "code reused"]))
            let failures = try tx.uow.loginFailures.count(subject: subjects.account, since: now - throttlePolicy.window)
            if failures >= throttlePolicy.maxFailuresPerAccount { try tx.uow.sessions.delete(id: session.id) }
            return failures >= throttlePolicy.maxFailuresPerAccount
        }
        throw locked ? DomainError.throttled(Self.throttledMessage)
                     : DomainError.authenticationFailed("That code is not correct or was already used. Enter the current code from your authenticator.")
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

    private func throttleSubjects(username: String, client: String) -> (account: [UInt8], address: [UInt8]) {
        let key = BLAKE2b.hash(keys.blindIndexKey + Array("custos/throttle".utf8))
        return (BLAKE2b.hash(Array("account:\(username)".utf8), key: key),
                BLAKE2b.hash(Array("address:\(client)".utf8), key: key))
    }
}
