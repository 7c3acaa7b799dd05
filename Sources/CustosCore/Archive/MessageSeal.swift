import CustosCrypto

/// Everything a stored message's index row, participant rows and envelope say about it that holds, retention,
/// search or decryption act on. The sealed display values are not here: they are re-sealed when the metadata key
/// changes, and each is bound to its own token by its associated data, so moving one to another row fails to open.
public struct MessageFacts: Sendable, Equatable {
    /// One participant row as the index stores it.
    public struct Participant: Sendable, Equatable {
        public var part: String
        public var token: [UInt8]
        public var domainToken: [UInt8]?
        /// The row's copy of the message's sent time (participant searches order and filter by it).
        public var sentAt: Int64

        public init(part: String, token: [UInt8], domainToken: [UInt8]?, sentAt: Int64) {
            self.part = part
            self.token = token
            self.domainToken = domainToken
            self.sentAt = sentAt
        }
    }

    /// The envelope's stored parts; nil once disposition removed them.
    public struct EnvelopeParts: Sendable, Equatable {
        public var header: [UInt8]
        public var ephemeral: [UInt8]
        public var nonce: [UInt8]

        public init(header: [UInt8], ephemeral: [UInt8], nonce: [UInt8]) {
            self.header = header
            self.ephemeral = ephemeral
            self.nonce = nonce
        }
    }

    public var uid: String
    public var platform: String
    public var conversationToken: [UInt8]
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
    public var participants: [Participant]
    public var envelope: EnvelopeParts?

    public init(uid: String, platform: String, conversationToken: [UInt8], direction: String, sentAt: Int64, capturedAt: Int64,
                size: Int, attachmentCount: Int, mediaTypes: String, retentionClass: String, epoch: Int, ciphertextHash: [UInt8],
                captureTokenID: Int64, participants: [Participant], envelope: EnvelopeParts?) {
        self.uid = uid
        self.platform = platform
        self.conversationToken = conversationToken
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
        self.envelope = envelope
    }
}

/// A message's seal: one 16-byte BLAKE2b digest per group of facts, written beside the row at capture. The ingest
/// audit entry's digest covers, per message, `id ‖ BLAKE2b-256(tag ‖ id ‖ seal)`, so a seal cannot be changed without
/// breaking the audited digest, and a row that disagrees with its seal is found, and the disagreeing group named,
/// by recomputing the groups from the row. 128 bits per group: finding a second value for a group that the seal
/// already fixes takes about 2^128 work; only whoever chose the first value at capture could look for a collision,
/// and that party could have captured the false value in the first place.
public enum MessageSeal {
    /// The groups, in seal order, with the names reports give them.
    public enum Group: Int, CaseIterable, Sendable {
        case identity, envelope, sentTime, platform, conversation, participants, retentionClass, capture

        public var name: String {
            switch self {
            case .identity: "uid, key epoch or ciphertext hash"
            case .envelope: "envelope (header, ephemeral key or nonce)"
            case .sentTime: "sent time"
            case .platform: "platform"
            case .conversation: "conversation"
            case .participants: "participants"
            case .retentionClass: "retention class"
            case .capture: "capture details (direction, size, attachments, capture time or token)"
            }
        }
    }

    public static let groupLength = 16
    public static let length = Group.allCases.count * groupLength
    static let rowTag = Array("custos/message-seal/v2".utf8)

    /// The seal of `facts`. A disposed message has no envelope to hash: its envelope group is taken from `stored`
    /// (the seal written at capture), which the audited digest still covers.
    public static func seal(_ facts: MessageFacts, stored: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        for group in Group.allCases {
            if group == .envelope, facts.envelope == nil, let stored, stored.count == length {
                out += stored[(group.rawValue * groupLength)..<((group.rawValue + 1) * groupLength)]
            } else {
                out += BLAKE2b.hash(encode(group, facts), outputLength: groupLength)
            }
        }
        return out
    }

    /// The groups on which two seals differ.
    public static func differences(_ a: [UInt8], _ b: [UInt8]) -> [Group] {
        guard a.count == length, b.count == length else { return Group.allCases }
        return Group.allCases.filter { g in
            let r = (g.rawValue * groupLength)..<((g.rawValue + 1) * groupLength)
            return !Sodium.constantTimeEqual(Array(a[r]), Array(b[r]))
        }
    }

    /// What the ingest digest absorbs for one message: `BLAKE2b-256(tag ‖ id ‖ seal)`.
    public static func rowDigest(id: Int64, seal: [UInt8]) -> [UInt8] {
        var bytes = rowTag
        AuditChain.appendInt(id, to: &bytes)
        bytes += seal
        return BLAKE2b.hash(bytes)
    }

    static func encode(_ group: Group, _ f: MessageFacts) -> [UInt8] {
        var w = FieldWriter(group: group)
        switch group {
        case .identity:
            w.text(f.uid)
            w.int(Int64(f.epoch))
            w.bytes(f.ciphertextHash)
        case .envelope:
            w.bytes(f.envelope?.header ?? [])
            w.bytes(f.envelope?.ephemeral ?? [])
            w.bytes(f.envelope?.nonce ?? [])
        case .sentTime:
            w.int(f.sentAt)
        case .platform:
            w.text(f.platform)
        case .conversation:
            w.bytes(f.conversationToken)
        case .participants:
            // Row order in the store is not capture order; the seal is over the rows sorted by (part, token).
            let rows = f.participants.sorted { a, b in a.part != b.part ? a.part < b.part : a.token.lexicographicallyPrecedes(b.token) }
            w.int(Int64(rows.count))
            for p in rows {
                w.text(p.part)
                w.bytes(p.token)
                if let d = p.domainToken { w.int(1); w.bytes(d) } else { w.int(0) }
                w.int(p.sentAt)
            }
        case .retentionClass:
            w.text(f.retentionClass)
        case .capture:
            w.text(f.direction)
            w.int(Int64(f.size))
            w.int(Int64(f.attachmentCount))
            w.text(f.mediaTypes)
            w.int(f.capturedAt)
            w.int(f.captureTokenID)
        }
        return w.out
    }

    /// Length-prefixed fields after a group tag, so no two different rows encode alike.
    struct FieldWriter {
        var out: [UInt8]

        init(group: Group) {
            out = Array("custos/message-seal/\(group.rawValue)".utf8)
        }

        mutating func int(_ v: Int64) { AuditChain.appendInt(v, to: &out) }
        mutating func bytes(_ b: [UInt8]) {
            AuditChain.appendUInt32(UInt32(b.count), to: &out)
            out += b
        }
        mutating func text(_ s: String) { bytes(Array(s.utf8)) }
    }
}
