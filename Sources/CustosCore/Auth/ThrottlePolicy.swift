/// Throttling limits over a sliding window. A password guess counts against the account from its client
/// address (which locks that pair), against the address (which locks the address), and against the account
/// from anywhere, which only slows the account down: its wait doubles with each failure and stays short, so
/// an attacker elsewhere can delay the owner but never lock the owner out.
public struct ThrottlePolicy: Sendable {
    /// The sliding window every count covers (seconds).
    public var window: Int64
    /// Failed password checks for one account from one client address before that pair pauses.
    public var maxFailuresPerAccountAndAddress: Int
    /// Failed password checks from one client address, any account, before the address pauses.
    public var maxFailuresPerAddress: Int
    /// Failures on one account, from anywhere, before each further attempt on it waits.
    public var accountDelayAfter: Int
    /// The longest such wait (seconds).
    public var maxAccountDelay: Int64
    /// Wrong TOTP codes for one account before its sign-in pauses; only a completed sign-in clears them.
    public var maxSecondFactorFailures: Int
    /// Approvals whose partial decryptions did not verify, per custodian, before its approvals pause.
    public var maxApprovalFailures: Int
    /// How long a subject's last audit notice is kept, so its next entry can carry the refusals counted since.
    public var noticeRetention: Int64

    /// The limits Custos runs with, unless a test or a setting says otherwise.
    public init(window: Int64 = 15 * 60, maxFailuresPerAccountAndAddress: Int = 5, maxFailuresPerAddress: Int = 20,
                accountDelayAfter: Int = 5, maxAccountDelay: Int64 = 60, maxSecondFactorFailures: Int = 5,
                maxApprovalFailures: Int = 5, noticeRetention: Int64 = 24 * 3600) {
        self.window = window
        self.maxFailuresPerAccountAndAddress = maxFailuresPerAccountAndAddress
        self.maxFailuresPerAddress = maxFailuresPerAddress
        self.accountDelayAfter = accountDelayAfter
        self.maxAccountDelay = maxAccountDelay
        self.maxSecondFactorFailures = maxSecondFactorFailures
        self.maxApprovalFailures = maxApprovalFailures
        self.noticeRetention = noticeRetention
    }

    /// The wait, counted from the newest failure, before an account takes another attempt after `failures`
    /// failures in the window: none below `accountDelayAfter`, then 1 s doubling up to `maxAccountDelay`.
    public func accountDelay(afterFailures failures: Int) -> Int64 {
        guard failures >= accountDelayAfter else { return 0 }
        return min(maxAccountDelay, Int64(1) << min(failures - accountDelayAfter, 30))
    }

    /// The most failures a subject with a hard limit may count in the window.
    func limit(_ scope: ThrottleSubject.Scope) -> Int? {
        switch scope {
        case .accountFromAddress: maxFailuresPerAccountAndAddress
        case .address: maxFailuresPerAddress
        case .secondFactor: maxSecondFactorFailures
        case .approval: maxApprovalFailures
        case .account: nil
        }
    }
}

/// What the throttle counts: an opaque keyed token naming an account from an address, an address, an
/// account, an account's second factor or an approver, and the rule it is held to.
public struct ThrottleSubject: Sendable, Equatable {
    /// What is counted, named as the audit entry names it.
    public enum Scope: String, Sendable {
        case accountFromAddress = "account from address"
        case address
        case account
        case secondFactor = "second factor"
        case approval
    }

    public let scope: Scope
    let token: [UInt8]
}

/// The attempts a subject counts in a window.
public struct ThrottleTally: Sendable, Equatable {
    public var count: Int
    public var oldest: Int64?
    public var newest: Int64?

    /// A tally as counted by a store.
    public init(count: Int, oldest: Int64?, newest: Int64?) {
        self.count = count
        self.oldest = oldest
        self.newest = newest
    }
}

/// When a subject's last throttle audit entry was written, and the refusals counted since without an entry.
public struct ThrottleNotice: Sendable, Equatable {
    public var since: Int64
    public var refused: Int

    /// A notice as kept by a store.
    public init(since: Int64, refused: Int) {
        self.since = since
        self.refused = refused
    }
}

/// A subject that refuses attempts now: the failures it counts and the seconds until it takes one again.
public struct ThrottleRefusal: Sendable, Equatable {
    public var subject: ThrottleSubject
    public var failures: Int
    public var retryAfter: Int64
}

/// Attempts counted before the check of a secret: released when the secret is right, kept as failures otherwise.
public struct ThrottleReservation: Sendable {
    let ids: [Int64]
}

/// Who and what an audit entry about a throttled subject names.
struct ThrottleWitness: Sendable {
    var action: AuditAction
    var actor: String
    var role: String
    var target: String = ""
    var client: String
}
