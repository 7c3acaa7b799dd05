/// Where a decryption request stands. Requests only move forward (a schema trigger holds this too):
/// pending → granted | rejected | lapsed; granted → expired | revoked.
public enum RequestStatus: String, Sendable, CaseIterable {
    case pending, granted, rejected, lapsed, expired, revoked

    /// Human-facing name.
    public var title: String {
        switch self {
        case .pending: "Waiting for approvals"
        case .granted: "Granted"
        case .rejected: "Rejected"
        case .lapsed: "Lapsed (not approved in time)"
        case .expired: "Grant expired"
        case .revoked: "Grant revoked"
        }
    }
}

/// Limits on decryption requests, set by the operator.
public struct DecryptionPolicy: Sendable {
    /// Longest grant a request may ask for, in hours.
    public var maximumHours: Int
    /// Most messages one request may name.
    public var maximumMessages: Int
    /// How long custodians have to approve before a pending request lapses, in hours.
    public var approvalWindowHours: Int

    public init(maximumHours: Int = 4, maximumMessages: Int = 1_000, approvalWindowHours: Int = 72) {
        self.maximumHours = maximumHours
        self.maximumMessages = maximumMessages
        self.approvalWindowHours = approvalWindowHours
    }
}

/// A request as stored: justification, reference and reason still sealed.
public struct DecryptionRequestRecord: Sendable, Equatable {
    public var id: Int64
    public var requesterID: Int64
    public var requesterName: String
    public var filedRole: String
    public var justification: [UInt8]
    public var reference: [UInt8]
    public var hours: Int
    public var threshold: Int
    public var messageCount: Int
    public var status: RequestStatus
    public var createdAt: Int64
    public var approveBy: Int64
    public var grantedAt: Int64?
    public var expiresAt: Int64?
    public var closedAt: Int64?
    public var closedBy: String?
    public var closeReason: [UInt8]?

    public init(id: Int64, requesterID: Int64, requesterName: String, filedRole: String, justification: [UInt8], reference: [UInt8],
                hours: Int, threshold: Int, messageCount: Int, status: RequestStatus, createdAt: Int64, approveBy: Int64,
                grantedAt: Int64?, expiresAt: Int64?, closedAt: Int64?, closedBy: String?, closeReason: [UInt8]?) {
        self.id = id
        self.requesterID = requesterID
        self.requesterName = requesterName
        self.filedRole = filedRole
        self.justification = justification
        self.reference = reference
        self.hours = hours
        self.threshold = threshold
        self.messageCount = messageCount
        self.status = status
        self.createdAt = createdAt
        self.approveBy = approveBy
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
        self.closedAt = closedAt
        self.closedBy = closedBy
        self.closeReason = closeReason
    }
}

/// A new request before it has an id.
public struct NewDecryptionRequest: Sendable {
    public var requesterID: Int64
    public var filedRole: String
    public var justification: [UInt8]
    public var reference: [UInt8]
    public var hours: Int
    public var threshold: Int
    public var messageCount: Int
    public var createdAt: Int64
    public var approveBy: Int64
}

/// One custodian's decision on a request.
public struct RequestDecision: Sendable, Equatable {
    public var custodianID: Int64
    public var username: String
    public var approved: Bool
    public var at: Int64

    public init(custodianID: Int64, username: String, approved: Bool, at: Int64) {
        self.custodianID = custodianID
        self.username = username
        self.approved = approved
        self.at = at
    }
}

/// What approving needs per message: the epoch and R for the partial, the header for the message key.
public struct ScopedEnvelopeKey: Sendable, Equatable {
    public var messageID: Int64
    public var epoch: Int
    public var ephemeral: [UInt8]
    public var header: [UInt8]

    public init(messageID: Int64, epoch: Int, ephemeral: [UInt8], header: [UInt8]) {
        self.messageID = messageID
        self.epoch = epoch
        self.ephemeral = ephemeral
        self.header = header
    }
}

/// A stored envelope, field by field.
public struct StoredEnvelope: Sendable {
    public var messageID: Int64
    public var platform: String
    public var conversationToken: [UInt8]
    public var header: [UInt8]
    public var ephemeral: [UInt8]
    public var nonce: [UInt8]
    public var ciphertext: [UInt8]
    public var ciphertextHash: [UInt8]

    public init(messageID: Int64, platform: String, conversationToken: [UInt8], header: [UInt8], ephemeral: [UInt8],
                nonce: [UInt8], ciphertext: [UInt8], ciphertextHash: [UInt8]) {
        self.messageID = messageID
        self.platform = platform
        self.conversationToken = conversationToken
        self.header = header
        self.ephemeral = ephemeral
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.ciphertextHash = ciphertextHash
    }
}

/// A sealed value for one message of a request (a partial, or a grant's message key).
public struct SealedForMessage: Sendable, Equatable {
    public var messageID: Int64
    public var shareIndex: Int
    public var sealed: [UInt8]

    public init(messageID: Int64, shareIndex: Int = 0, sealed: [UInt8]) {
        self.messageID = messageID
        self.shareIndex = shareIndex
        self.sealed = sealed
    }
}

/// Decryption requests, their decisions, sealed partials and grant keys.
public protocol DecryptionRepository {
    func create(_ request: NewDecryptionRequest, messageIDs: [Int64]) throws -> Int64
    func find(id: Int64) throws -> DecryptionRequestRecord?
    /// Newest first; `requesterID` nil lists everyone's; `statuses` nil lists every status.
    func list(requesterID: Int64?, statuses: [RequestStatus]?, limit: Int) throws -> [DecryptionRequestRecord]
    func messageIDs(requestID: Int64) throws -> [Int64]
    func envelopeKeys(requestID: Int64) throws -> [ScopedEnvelopeKey]
    func decisions(requestID: Int64) throws -> [RequestDecision]
    func addDecision(requestID: Int64, custodianID: Int64, approved: Bool, at: Int64) throws
    func addPartials(requestID: Int64, _ partials: [SealedForMessage]) throws
    func partials(requestID: Int64) throws -> [SealedForMessage]
    func deletePartials(requestID: Int64) throws -> Int
    func grant(requestID: Int64, at: Int64, expiresAt: Int64, keys: [SealedForMessage]) throws
    func close(requestID: Int64, status: RequestStatus, at: Int64, by: String, reason: [UInt8]?) throws
    func grantKey(requestID: Int64, messageID: Int64) throws -> [UInt8]?
    func deleteGrantKeys(requestID: Int64) throws -> Int
    /// Rows of key material (partials and grant keys) a request still has.
    func keyMaterialCount(requestID: Int64) throws -> Int
    /// The viewer's live grant covering `messageID` at `now`, if any (the newest).
    func liveGrant(requesterID: Int64, messageID: Int64, now: Int64) throws -> Int64?
    /// Messages of a grant in one conversation, oldest first, at most `limit`.
    func grantedMessages(requestID: Int64, conversation: [UInt8], limit: Int) throws -> [Int64]
    /// Granted requests whose time is up, and pending ones whose approval window has closed.
    func due(now: Int64) throws -> (expired: [Int64], lapsed: [Int64])
    /// How many grants are live, and how many requests still wait for approvals, at `now`.
    func openCounts(now: Int64) throws -> DecryptionCounts
    func envelope(messageID: Int64) throws -> StoredEnvelope?
}
