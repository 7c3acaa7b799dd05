/// A message ready to be written: metadata index row, participant rows and the envelope.
public struct MessageRecord: Sendable {
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
    public var captureTokenID: Int64
    public var participants: [ParticipantRecord]
    public var header: [UInt8]
    public var ephemeral: [UInt8]
    public var nonce: [UInt8]
    public var ciphertext: [UInt8]
    /// `MessageSeal.seal(facts)`, made once here so the store writes exactly what the ingest digest covers.
    public private(set) var seal: [UInt8] = []

    public init(uid: String, platform: String, conversationToken: [UInt8], conversationDisplay: [UInt8], direction: String, sentAt: Int64, capturedAt: Int64, size: Int, attachmentCount: Int, mediaTypes: String, retentionClass: String, epoch: Int, ciphertextHash: [UInt8], captureTokenID: Int64, participants: [ParticipantRecord], header: [UInt8], ephemeral: [UInt8], nonce: [UInt8], ciphertext: [UInt8]) {
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
        self.captureTokenID = captureTokenID
        self.participants = participants
        self.header = header
        self.ephemeral = ephemeral
        self.nonce = nonce
        self.ciphertext = ciphertext
        seal = MessageSeal.seal(facts)
    }

    /// The facts the seal covers, as the store will hold them.
    public var facts: MessageFacts {
        MessageFacts(uid: uid, platform: platform, conversationToken: conversationToken, direction: direction, sentAt: sentAt,
                     capturedAt: capturedAt, size: size, attachmentCount: attachmentCount, mediaTypes: mediaTypes,
                     retentionClass: retentionClass, epoch: epoch, ciphertextHash: ciphertextHash, captureTokenID: captureTokenID,
                     participants: participants.map { .init(part: $0.part, token: $0.token, domainToken: $0.domainToken, sentAt: sentAt) },
                     envelope: .init(header: header, ephemeral: ephemeral, nonce: nonce))
    }
}

/// One participant row: blind tokens and the sealed display value.
public struct ParticipantRecord: Sendable {
    public var part: String
    public var token: [UInt8]
    public var domainToken: [UInt8]?
    public var display: [UInt8]

    public init(part: String, token: [UInt8], domainToken: [UInt8]?, display: [UInt8]) {
        self.part = part
        self.token = token
        self.domainToken = domainToken
        self.display = display
    }
}

/// A key epoch as stored.
public struct KeyEpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var threshold: Int
    public var shareCount: Int
    /// `ArchivePublicKey.serialized`.
    public var publicKey: [UInt8]
    /// `FeldmanCommitments.serialized`.
    public var commitments: [UInt8]
    public var createdAt: Int64
    public var createdBy: String
    /// "new_key", "redistribution", or "legacy" for a dealer-made epoch from before devices held the keys.
    public var kind: String
    public var previousEpoch: Int?
    /// `EpochTranscript.serialized`; nil for legacy epochs.
    public var transcript: [UInt8]?
    public var transcriptHash: [UInt8]?
    public var ceremonyID: Int64?

    public init(epoch: Int, threshold: Int, shareCount: Int, publicKey: [UInt8], commitments: [UInt8], createdAt: Int64, createdBy: String,
                kind: String = "legacy", previousEpoch: Int? = nil, transcript: [UInt8]? = nil, transcriptHash: [UInt8]? = nil,
                ceremonyID: Int64? = nil) {
        self.epoch = epoch
        self.threshold = threshold
        self.shareCount = shareCount
        self.publicKey = publicKey
        self.commitments = commitments
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.kind = kind
        self.previousEpoch = previousEpoch
        self.transcript = transcript
        self.transcriptHash = transcriptHash
        self.ceremonyID = ceremonyID
    }
}

/// A capture token as stored (only the hash of the secret).
public struct CaptureTokenRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var createdAt: Int64
    public var createdBy: String
    public var revokedAt: Int64?
    public var lastUsedAt: Int64?

    public init(id: Int64, name: String, createdAt: Int64, createdBy: String, revokedAt: Int64?, lastUsedAt: Int64?) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
    }
}

/// A stored message as verification reads it.
public struct StoredMessage: Sendable {
    public var id: Int64
    public var facts: MessageFacts
    /// The seal written at capture; nil for a message stored before seals (covered by the older digest only).
    public var seal: [UInt8]?
    public var ciphertext: [UInt8]?
    /// Whether a disposal (tombstone) is recorded for the message.
    public var disposed: Bool

    public init(id: Int64, facts: MessageFacts, seal: [UInt8]?, ciphertext: [UInt8]?, disposed: Bool) {
        self.id = id
        self.facts = facts
        self.seal = seal
        self.ciphertext = ciphertext
        self.disposed = disposed
    }
}

/// What an ingest batch's digest is recomputed from, per message.
public struct SealRow: Sendable {
    public var id: Int64
    public var uid: String
    public var ciphertextHash: [UInt8]
    public var seal: [UInt8]?

    public init(id: Int64, uid: String, ciphertextHash: [UInt8], seal: [UInt8]?) {
        self.id = id
        self.uid = uid
        self.ciphertextHash = ciphertextHash
        self.seal = seal
    }
}
