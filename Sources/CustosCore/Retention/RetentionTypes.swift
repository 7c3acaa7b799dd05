/// A retention class: how long its messages are kept, counted in days from when each was sent.
public struct RetentionPolicy: Sendable, Equatable {
    public var name: String
    public var periodDays: Int
    public var description: String
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Whether messages were stored under the class (its period can then only grow).
    public var inUse: Bool

    public init(name: String, periodDays: Int, description: String, createdAt: Int64, updatedAt: Int64, inUse: Bool) {
        self.name = name
        self.periodDays = periodDays
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.inUse = inUse
    }
}

/// What a retention rule matches at capture.
public enum RetentionRuleKind: String, Sendable, CaseIterable {
    case platform, conversation
}

/// Assigns a class at capture to a platform's messages, or to one conversation's.
public struct RetentionRule: Sendable, Equatable {
    public var id: Int64
    public var kind: RetentionRuleKind
    /// The platform name; nil for a conversation rule.
    public var platform: String?
    /// The conversation's blind token; nil for a platform rule.
    public var token: [UInt8]?
    /// The conversation id as typed, sealed; nil for a platform rule.
    public var display: [UInt8]?
    public var className: String
    public var createdAt: Int64
    public var createdBy: String

    public init(id: Int64, kind: RetentionRuleKind, platform: String?, token: [UInt8]?, display: [UInt8]?, className: String,
                createdAt: Int64, createdBy: String) {
        self.id = id
        self.kind = kind
        self.platform = platform
        self.token = token
        self.display = display
        self.className = className
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// Picks a message's class at capture: a conversation rule first, then a platform rule, else `default`.
public struct RetentionAssigner: Sendable {
    public static let defaultClass = "default"
    private let byConversation: [[UInt8]: String]
    private let byPlatform: [String: String]

    public init(rules: [RetentionRule]) {
        var c: [[UInt8]: String] = [:]
        var p: [String: String] = [:]
        for r in rules {
            if let t = r.token, r.kind == .conversation { c[t] = r.className }
            if let name = r.platform, r.kind == .platform { p[name] = r.className }
        }
        byConversation = c
        byPlatform = p
    }

    public func retentionClass(platform: String, conversationToken: [UInt8]) -> String {
        byConversation[conversationToken] ?? byPlatform[platform] ?? Self.defaultClass
    }
}

/// A message whose retention has ended and that is not disposed yet.
public struct DueMessage: Sendable, Equatable {
    public var id: Int64
    public var uid: String
    public var platform: String
    public var sentAt: Int64
    public var retentionClass: String
    /// Whether an active legal hold covers it (it then stays).
    public var held: Bool

    public init(id: Int64, uid: String, platform: String, sentAt: Int64, retentionClass: String, held: Bool) {
        self.id = id
        self.uid = uid
        self.platform = platform
        self.sentAt = sentAt
        self.retentionClass = retentionClass
        self.held = held
    }
}

/// One disposition run as recorded.
public struct DispositionRunRecord: Sendable, Equatable {
    public var id: Int64
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var dryRun: Bool
    public var actor: String
    public var due: Int
    public var held: Int
    public var disposed: Int

    public init(id: Int64, startedAt: Int64, finishedAt: Int64?, dryRun: Bool, actor: String, due: Int, held: Int, disposed: Int) {
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.dryRun = dryRun
        self.actor = actor
        self.due = due
        self.held = held
        self.disposed = disposed
    }
}

/// Retention policies, rules, runs and disposals in storage.
public protocol RetentionRepository {
    func policies() throws -> [RetentionPolicy]
    func policy(name: String) throws -> RetentionPolicy?
    func createPolicy(name: String, periodDays: Int, description: String, at: Int64) throws
    func setPeriod(name: String, periodDays: Int, description: String, at: Int64) throws
    func rules() throws -> [RetentionRule]
    func addRule(kind: RetentionRuleKind, platform: String?, token: [UInt8]?, display: [UInt8]?, className: String,
                 by userID: Int64, at: Int64) throws -> Int64
    func deleteRule(id: Int64) throws -> Bool

    func startRun(dryRun: Bool, actor: String, at: Int64) throws -> Int64
    func finishRun(id: Int64, due: Int, held: Int, disposed: Int, at: Int64) throws
    func runs(limit: Int) throws -> [DispositionRunRecord]
    /// Messages of `className` sent at or before `cutoff` and captured at or before `capturedBefore`, not disposed,
    /// in (sent_at, id) order after `after`.
    func due(className: String, cutoff: Int64, capturedBefore: Int64, after: SearchCursor?, limit: Int) throws -> [DueMessage]
    /// Days every message is kept at least, counted from its capture; no class may be shorter.
    func minimumDays() throws -> Int
    /// Sets the minimum when an archive is made (the schema refuses lowering it later).
    func setMinimumDays(_ days: Int, at: Int64) throws
    /// Records the tombstone and deletes the envelope and any key material made for the message; returns
    /// how many rows of key material (grant keys, partials) went with it.
    func dispose(messageID: Int64, runID: Int64, at: Int64) throws -> Int
    /// When a message was disposed of, if it was.
    func disposedAt(messageID: Int64) throws -> Int64?
    func disposedCount() throws -> Int
}
