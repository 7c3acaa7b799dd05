/// The ingest API's wire format (`POST /api/v1/messages`), shared by the server and `custos capture`.
/// Binary fields are standard base64. Nothing in an item is content: the content is the ciphertext.
public struct IngestRequest: Codable, Sendable {
    public var messages: [IngestItem]
    public init(messages: [IngestItem]) { self.messages = messages }
}

/// One message: its metadata and its envelope.
public struct IngestItem: Codable, Sendable, Equatable {
    public var uid: String
    public var epoch: Int
    public var platform: String
    public var conversation: String
    public var direction: String
    /// Unix seconds.
    public var sentAt: Int64
    /// Plaintext size in bytes (the ciphertext is 16 bytes longer).
    public var size: Int
    public var attachmentCount: Int
    public var mediaTypes: [String]
    public var participants: [IngestParticipant]
    public var envelope: IngestEnvelope

    public init(uid: String, epoch: Int, platform: String, conversation: String, direction: String, sentAt: Int64,
                size: Int, attachmentCount: Int, mediaTypes: [String], participants: [IngestParticipant], envelope: IngestEnvelope) {
        self.uid = uid
        self.epoch = epoch
        self.platform = platform
        self.conversation = conversation
        self.direction = direction
        self.sentAt = sentAt
        self.size = size
        self.attachmentCount = attachmentCount
        self.mediaTypes = mediaTypes
        self.participants = participants
        self.envelope = envelope
    }

    enum CodingKeys: String, CodingKey {
        case uid, epoch, platform, conversation, direction, size, participants, envelope
        case sentAt = "sent_at", attachmentCount = "attachment_count", mediaTypes = "media_types"
    }
}

/// A participant as the capture client saw it; the server stores only blind tokens and a sealed display value.
public struct IngestParticipant: Codable, Sendable, Equatable {
    public var address: String
    public var name: String?
    public var part: String
    public init(address: String, name: String?, part: String) {
        self.address = address
        self.name = name
        self.part = part
    }
}

/// The encrypted content: R, nonce, ciphertext (with tag) and the BLAKE2b-256 of the ciphertext, base64.
public struct IngestEnvelope: Codable, Sendable, Equatable {
    public var ephemeral: String
    public var nonce: String
    public var ciphertext: String
    public var ciphertextHash: String

    public init(ephemeral: String, nonce: String, ciphertext: String, ciphertextHash: String) {
        self.ephemeral = ephemeral
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.ciphertextHash = ciphertextHash
    }

    enum CodingKeys: String, CodingKey {
        case ephemeral, nonce, ciphertext
        case ciphertextHash = "ciphertext_hash"
    }
}

/// The answer: one result per item, in order.
public struct IngestResponse: Codable, Sendable {
    public var results: [IngestResult]
    public init(results: [IngestResult]) { self.results = results }
}

/// What happened to one item.
public struct IngestResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case stored, duplicate, rejected }
    public var uid: String
    public var status: Status
    public var id: Int64?
    public var reason: String?

    public init(uid: String, status: Status, id: Int64? = nil, reason: String? = nil) {
        self.uid = uid
        self.status = status
        self.id = id
        self.reason = reason
    }
}

/// `GET /api/v1/archive-key`: the current epoch's public key, base64 of the 32-byte ristretto255 point.
public struct ArchiveKeyResponse: Codable, Sendable {
    public var epoch: Int
    public var publicKey: String
    public var threshold: Int
    public var shareCount: Int

    public init(epoch: Int, publicKey: String, threshold: Int, shareCount: Int) {
        self.epoch = epoch
        self.publicKey = publicKey
        self.threshold = threshold
        self.shareCount = shareCount
    }

    enum CodingKeys: String, CodingKey {
        case epoch, threshold
        case publicKey = "public_key", shareCount = "share_count"
    }
}
