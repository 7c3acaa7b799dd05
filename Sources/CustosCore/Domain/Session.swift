/// A signed-in browser session. The database holds only the BLAKE2b hash of its token.
public struct Session: Sendable, Equatable {
    /// Where the sign-in stands: the password was right and a TOTP code is due, or fully signed in.
    public enum Stage: String, Sendable { case totp, active }

    public var id: Int64
    public var userID: Int64
    public var stage: Stage
    public var activeRole: Role?
    public var createdAt: Int64
    public var lastSeenAt: Int64
    public var expiresAt: Int64
    public var clientAddress: String

    public init(id: Int64, userID: Int64, stage: Stage, activeRole: Role?, createdAt: Int64,
                lastSeenAt: Int64, expiresAt: Int64, clientAddress: String) {
        self.id = id
        self.userID = userID
        self.stage = stage
        self.activeRole = activeRole
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.clientAddress = clientAddress
    }
}

/// Session lifetimes (NIST 800-63B AAL3): 15 minutes idle, 12 hours absolute.
public struct SessionPolicy: Sendable {
    public var idleTimeout: Int64
    public var absoluteTimeout: Int64
    /// How long a half-finished sign-in (password accepted, TOTP pending) may wait.
    public var totpStepTimeout: Int64

    public init(idleTimeout: Int64 = 15 * 60, absoluteTimeout: Int64 = 12 * 3600, totpStepTimeout: Int64 = 5 * 60) {
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.totpStepTimeout = totpStepTimeout
    }

    /// Whether a session is still alive at `now`.
    public func isAlive(_ session: Session, now: Int64) -> Bool {
        let idle = session.stage == .totp ? totpStepTimeout : idleTimeout
        return now < session.expiresAt && now - session.lastSeenAt < idle
    }
}
