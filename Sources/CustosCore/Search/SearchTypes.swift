/// A validated query turned into what the index can match: blind tokens and time bounds.
public struct SearchCriteria: Sendable {
    public var participantToken: [UInt8]?
    public var part: String?
    public var domainToken: [UInt8]?
    public var conversationToken: [UInt8]?
    public var platform: String?
    public var from: Int64?
    public var until: Int64?
    public var attachments: Bool?
    public var retentionClass: String?
    /// Messages matching any of these scopes (a hold or matter filter); nil for no such filter. An
    /// empty list matches nothing (a matter without active holds).
    public var holdScopes: [ScopeTokens]?
    public var cursor: SearchCursor?

    public init() {}
}

/// One message's metadata as the index holds it (display values still sealed).
public struct IndexedMessage: Sendable {
    public var id: Int64
    public var uid: String
    public var platform: String
    public var conversationToken: [UInt8]
    public var conversationDisplay: [UInt8]
    public var direction: String
    public var sentAt: Int64
    public var capturedAt: Int64
    public var size: Int
    public var attachmentCount: Int
    public var mediaTypes: String
    public var retentionClass: String
    public var epoch: Int
    public var ciphertextHash: [UInt8]
    /// When the message was disposed of (its envelope is gone; this row is its tombstone).
    public var disposedAt: Int64?

    public init(id: Int64, uid: String, platform: String, conversationToken: [UInt8], conversationDisplay: [UInt8],
                direction: String, sentAt: Int64, capturedAt: Int64, size: Int, attachmentCount: Int, mediaTypes: String,
                retentionClass: String, epoch: Int, ciphertextHash: [UInt8], disposedAt: Int64? = nil) {
        self.disposedAt = disposedAt
        self.id = id
        self.uid = uid
        self.platform = platform
        self.conversationToken = conversationToken
        self.conversationDisplay = conversationDisplay
        self.direction = direction
        self.sentAt = sentAt
        self.capturedAt = capturedAt
        self.size = size
        self.attachmentCount = attachmentCount
        self.mediaTypes = mediaTypes
        self.retentionClass = retentionClass
        self.epoch = epoch
        self.ciphertextHash = ciphertextHash
    }
}

/// A participant row of a message (display sealed).
public struct IndexedParticipant: Sendable {
    public var messageID: Int64
    public var part: String
    public var display: [UInt8]

    public init(messageID: Int64, part: String, display: [UInt8]) {
        self.messageID = messageID
        self.part = part
        self.display = display
    }
}

/// A saved search (name and query sealed).
public struct SavedSearchRecord: Sendable {
    public var id: Int64
    public var userID: Int64
    public var name: [UInt8]
    public var query: [UInt8]
    public var createdAt: Int64

    public init(id: Int64, userID: Int64, name: [UInt8], query: [UInt8], createdAt: Int64) {
        self.id = id
        self.userID = userID
        self.name = name
        self.query = query
        self.createdAt = createdAt
    }
}

/// The metadata index, read side.
public protocol SearchRepository {
    /// Up to `limit` messages matching, newest first, strictly before the cursor.
    func search(_ c: SearchCriteria, limit: Int) throws -> [IndexedMessage]
    /// How many messages match (the cursor is ignored).
    func count(_ c: SearchCriteria) throws -> Int
    /// Counts by platform and by month (YYYY-MM) of the matching messages.
    func facets(_ c: SearchCriteria) throws -> (platforms: [(String, Int)], months: [(String, Int)])
    /// The newest message's id (0 for an empty archive): messages are never removed, so it names the set of
    /// messages a count was taken over.
    func lastMessageID() throws -> Int64
    /// Counts over the whole archive, from the aggregates kept at ingest.
    func archiveFacets() throws -> (platforms: [(String, Int)], months: [(String, Int)])
    func participants(of ids: [Int64]) throws -> [IndexedParticipant]
    func message(id: Int64) throws -> IndexedMessage?
    /// The messages of `ids` that exist, in the order asked for.
    func messages(ids: [Int64]) throws -> [IndexedMessage]
    /// Messages of a conversation around a time: `before` older ones and `after` newer ones.
    func neighbours(conversation: [UInt8], sentAt: Int64, id: Int64, before: Int, after: Int) throws -> [IndexedMessage]
    func platforms() throws -> [String]
    func retentionClasses() throws -> [String]
    func saveSearch(userID: Int64, name: [UInt8], query: [UInt8], at: Int64) throws -> Int64
    func savedSearches(userID: Int64) throws -> [SavedSearchRecord]
    func deleteSavedSearch(id: Int64, userID: Int64) throws -> Bool
}
