/// Where a coding belongs: a matter's review, or the archive's for requests filed without a matter.
public enum ReviewScope: Sendable, Hashable, CustomStringConvertible {
    case archive
    case matter(Int64)

    /// As stored and audited: `archive` or `matter:<id>`.
    public var description: String {
        switch self {
        case .archive: "archive"
        case .matter(let id): "matter:\(id)"
        }
    }

    public init?(stored: String) {
        if stored == "archive" { self = .archive; return }
        guard stored.hasPrefix("matter:"), let id = Int64(stored.dropFirst("matter:".count)), id > 0 else { return nil }
        self = .matter(id)
    }

    public var matterID: Int64? {
        if case .matter(let id) = self { return id }
        return nil
    }
}

/// A message's current coding in one scope, as stored (its basis still sealed).
public struct ReviewDecisionRecord: Sendable, Equatable {
    public var scope: ReviewScope
    public var messageID: Int64
    public var codes: [String: String]
    public var tags: [String]
    public var basis: [UInt8]?
    public var reviewerID: Int64
    public var reviewer: String
    public var requestID: Int64
    public var firstCodedAt: Int64
    public var firstReviewerID: Int64
    public var codedAt: Int64
    /// Changes after the first coding.
    public var changes: Int

    public init(scope: ReviewScope, messageID: Int64, codes: [String: String], tags: [String], basis: [UInt8]?, reviewerID: Int64,
                reviewer: String, requestID: Int64, firstCodedAt: Int64, firstReviewerID: Int64, codedAt: Int64, changes: Int) {
        self.scope = scope
        self.messageID = messageID
        self.codes = codes
        self.tags = tags
        self.basis = basis
        self.reviewerID = reviewerID
        self.reviewer = reviewer
        self.requestID = requestID
        self.firstCodedAt = firstCodedAt
        self.firstReviewerID = firstReviewerID
        self.codedAt = codedAt
        self.changes = changes
    }
}

/// Review state in the store: the matter a request was filed for, coding layouts and decisions.
public protocol ReviewRepository {
    func setMatter(requestID: Int64, matterID: Int64) throws
    func matter(requestID: Int64) throws -> Int64?
    /// Legal's layout text for `scope`, if legal wrote one.
    func layout(scope: ReviewScope) throws -> String?
    func saveLayout(scope: ReviewScope, text: String, by userID: Int64, at: Int64) throws
    func decision(scope: ReviewScope, messageID: Int64) throws -> ReviewDecisionRecord?
    /// The decisions in `scope` on the messages of request `requestID`.
    func decisions(scope: ReviewScope, requestID: Int64) throws -> [ReviewDecisionRecord]
    /// Every decision in `scope`, by message.
    func decisions(scope: ReviewScope) throws -> [ReviewDecisionRecord]
    /// Inserts the first coding, or changes the current one (counting the change).
    func save(_ decision: ReviewDecisionRecord) throws
}

/// A note on a message as stored (texts sealed); an escalation when `escalated`.
public struct ReviewNoteRecord: Sendable, Equatable {
    public var id: Int64
    public var scope: ReviewScope
    public var messageID: Int64
    public var authorID: Int64
    public var author: String
    public var requestID: Int64
    public var writtenAt: Int64
    public var body: [UInt8]
    public var escalated: Bool
    public var resolvedAt: Int64?
    public var resolver: String?
    public var resolution: [UInt8]?

    public init(id: Int64, scope: ReviewScope, messageID: Int64, authorID: Int64, author: String, requestID: Int64, writtenAt: Int64,
                body: [UInt8], escalated: Bool, resolvedAt: Int64?, resolver: String?, resolution: [UInt8]?) {
        self.id = id
        self.scope = scope
        self.messageID = messageID
        self.authorID = authorID
        self.author = author
        self.requestID = requestID
        self.writtenAt = writtenAt
        self.body = body
        self.escalated = escalated
        self.resolvedAt = resolvedAt
        self.resolver = resolver
        self.resolution = resolution
    }
}

/// Notes and escalations in the store.
public protocol ReviewNoteRepository {
    /// Adds a note; answers its id.
    func add(scope: ReviewScope, messageID: Int64, authorID: Int64, requestID: Int64, at: Int64, body: [UInt8], escalated: Bool) throws -> Int64
    func note(id: Int64) throws -> ReviewNoteRecord?
    /// The notes on a message, oldest first.
    func notes(messageID: Int64) throws -> [ReviewNoteRecord]
    /// The notes in a scope, oldest first.
    func notes(scope: ReviewScope) throws -> [ReviewNoteRecord]
    /// Resolves an open escalation; false if it is not one, or is resolved already.
    func resolve(id: Int64, by userID: Int64, at: Int64, resolution: [UInt8]) throws -> Bool
    /// Escalations raised in `from..<until`: when raised, and when resolved if they were.
    func escalations(from: Int64, until: Int64) throws -> [(raisedAt: Int64, resolvedAt: Int64?)]
}
