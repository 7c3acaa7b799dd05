import CustosCrypto
import Foundation

// The custodian devices' API (`/api/v1/custodian/…`, every request signed by the device) and the
// capture clients' chain of epochs, shared by the server and the `custos` command line. Binary fields
// are standard base64 of the CustosCrypto serialisations.

/// `GET /api/v1/archive-keys`: every epoch in force, oldest first, with its transcript and signatures.
public struct ArchiveKeysResponse: Codable, Sendable {
    public var epochs: [SignedEpoch]
    public init(epochs: [SignedEpoch]) { self.epochs = epochs }
}

/// A person in a ceremony, as devices are shown it.
public struct CeremonyPersonWire: Codable, Sendable, Equatable {
    /// Participant number (members) or share index in the epoch before (predecessors).
    public var index: Int
    public var username: String
    public var fingerprint: String
    public init(index: Int, username: String, fingerprint: String) {
        self.index = index
        self.username = username
        self.fingerprint = fingerprint
    }
}

/// Where the asking device stands in a ceremony.
public struct CeremonyRoleWire: Codable, Sendable, Equatable {
    public var participant: Int?
    public var dealer: Int?
    public var predecessor: Bool
    public var committed: Bool
    public var revealed: Bool
    public var receipted: Bool
    public var signed: Bool

    public init(participant: Int?, dealer: Int?, predecessor: Bool, committed: Bool, revealed: Bool, receipted: Bool, signed: Bool) {
        self.participant = participant
        self.dealer = dealer
        self.predecessor = predecessor
        self.committed = committed
        self.revealed = revealed
        self.receipted = receipted
        self.signed = signed
    }
}

/// `GET /api/v1/custodian/ceremony`: the open ceremony (or the latest one), as the asking device needs it.
public struct CeremonyStateWire: Codable, Sendable {
    public var id: Int64
    public var kind: String
    public var epoch: Int
    public var status: String
    public var phase: String
    public var outcome: String?
    /// `CeremonySetup.serialized`, base64.
    public var setup: String
    public var previousEpoch: Int?
    /// `EpochTranscript.serialized` of the epoch before, base64.
    public var previousTranscript: String?
    public var members: [CeremonyPersonWire]
    public var predecessors: [CeremonyPersonWire]
    public var you: CeremonyRoleWire
    /// Every revealed dealing (`Dealing.serialized`, base64), once all are in.
    public var dealings: [String]
    /// The transcript to sign (`EpochTranscript.serialized`, base64), once every receipt is in.
    public var transcript: String?
    public var waitingFor: [String]
    /// Hex of the first epoch's transcript hash, once that epoch is in force.
    public var trustRoot: String?

    public init(id: Int64, kind: String, epoch: Int, status: String, phase: String, outcome: String?, setup: String, previousEpoch: Int?,
                previousTranscript: String?, members: [CeremonyPersonWire], predecessors: [CeremonyPersonWire], you: CeremonyRoleWire,
                dealings: [String], transcript: String?, waitingFor: [String], trustRoot: String?) {
        self.id = id
        self.kind = kind
        self.epoch = epoch
        self.status = status
        self.phase = phase
        self.outcome = outcome
        self.setup = setup
        self.previousEpoch = previousEpoch
        self.previousTranscript = previousTranscript
        self.members = members
        self.predecessors = predecessors
        self.you = you
        self.dealings = dealings
        self.transcript = transcript
        self.waitingFor = waitingFor
        self.trustRoot = trustRoot
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, epoch, status, phase, outcome, setup, members, predecessors, you, dealings, transcript
        case previousEpoch = "previous_epoch", previousTranscript = "previous_transcript", waitingFor = "waiting_for", trustRoot = "trust_root"
    }
}

/// A device's step: `{"digest"}`, `{"dealing"}`, `{"complaints"}` or `{"signature"}` (base64).
public struct CeremonyStepWire: Codable, Sendable {
    public var digest: String?
    public var dealing: String?
    public var complaints: [ComplaintWire]?
    public var signature: String?

    public init(digest: String? = nil, dealing: String? = nil, complaints: [ComplaintWire]? = nil, signature: String? = nil) {
        self.digest = digest
        self.dealing = dealing
        self.complaints = complaints
        self.signature = signature
    }
}

/// A complaint with its proof: S = y·E for the box, and the DLEQ proof (c, z) that it is.
public struct ComplaintWire: Codable, Sendable {
    public var dealer: Int
    public var recipient: Int
    public var sharedPoint: String
    public var challenge: String
    public var response: String

    public init(_ c: Complaint) {
        dealer = c.dealer
        recipient = c.recipient
        sharedPoint = Data(c.opening.sharedPoint.bytes).base64EncodedString()
        challenge = Data(c.opening.proof.challenge.bytes).base64EncodedString()
        response = Data(c.opening.proof.response.bytes).base64EncodedString()
    }

    /// The complaint, with points and scalars decoded strictly.
    public func complaint() throws -> Complaint {
        func bytes(_ s: String) throws -> [UInt8] {
            guard let d = Data(base64Encoded: s) else { throw DomainError.invalidInput("A complaint field is not base64.") }
            return [UInt8](d)
        }
        let proof = DLEQProof(challenge: try Ristretto255.Scalar(canonicalBytes: bytes(challenge)),
                              response: try Ristretto255.Scalar(canonicalBytes: bytes(response)))
        return Complaint(dealer: dealer, recipient: recipient,
                         opening: ShareBoxOpening(sharedPoint: try Ristretto255.Point(bytes: bytes(sharedPoint)), proof: proof))
    }

    enum CodingKeys: String, CodingKey { case dealer, recipient, challenge, response, sharedPoint = "shared_point" }
}

/// A request waiting for custodians, as `custos custodian requests` lists it.
public struct PendingRequestWire: Codable, Sendable {
    public var id: Int64
    public var requester: String
    public var reference: String
    public var messages: Int
    public var hours: Int
    public var approvals: Int
    public var needed: Int
    public var approveBy: Int64
    /// Why the asking custodian may not decide, or nil.
    public var blocker: String?

    public init(id: Int64, requester: String, reference: String, messages: Int, hours: Int, approvals: Int, needed: Int,
                approveBy: Int64, blocker: String?) {
        self.id = id
        self.requester = requester
        self.reference = reference
        self.messages = messages
        self.hours = hours
        self.approvals = approvals
        self.needed = needed
        self.approveBy = approveBy
        self.blocker = blocker
    }

    enum CodingKeys: String, CodingKey { case id, requester, reference, messages, hours, approvals, needed, blocker, approveBy = "approve_by" }
}

/// `GET /api/v1/custodian/requests`.
public struct PendingRequestsWire: Codable, Sendable {
    public var requests: [PendingRequestWire]
    public init(requests: [PendingRequestWire]) { self.requests = requests }
}

/// `GET /api/v1/custodian/requests/{id}`: what the device shows, then computes partials for.
public struct ApprovalTaskWire: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var messageID: Int64
        public var epoch: Int
        /// R, base64.
        public var ephemeral: String
        public init(messageID: Int64, epoch: Int, ephemeral: String) {
            self.messageID = messageID
            self.epoch = epoch
            self.ephemeral = ephemeral
        }
        enum CodingKeys: String, CodingKey { case epoch, ephemeral, messageID = "message_id" }
    }
    public var id: Int64
    public var requester: String
    public var justification: String
    public var reference: String
    public var hours: Int
    public var threshold: Int
    public var approvals: Int
    public var approveBy: Int64
    public var firstSentAt: Int64?
    public var lastSentAt: Int64?
    public var items: [Item]
    /// `FeldmanCommitments.serialized`, base64, by epoch number (as a string key).
    public var commitments: [String: String]

    public init(_ t: DecryptionService.ApprovalTask) {
        id = t.requestID
        requester = t.requester
        justification = t.justification
        reference = t.reference
        hours = t.hours
        threshold = t.threshold
        approvals = t.approvals
        approveBy = t.approveBy
        firstSentAt = t.firstSentAt
        lastSentAt = t.lastSentAt
        items = t.items.map { Item(messageID: $0.messageID, epoch: $0.epoch, ephemeral: Data($0.ephemeral).base64EncodedString()) }
        commitments = Dictionary(uniqueKeysWithValues: t.commitments.map { (String($0.key), Data($0.value.serialized).base64EncodedString()) })
    }

    enum CodingKeys: String, CodingKey {
        case id, requester, justification, reference, hours, threshold, approvals, items, commitments
        case approveBy = "approve_by", firstSentAt = "first_sent_at", lastSentAt = "last_sent_at"
    }
}

/// `POST /api/v1/custodian/requests/{id}/approve`: one partial per message (`PartialDecryption.serialized`, base64).
public struct ApprovalWire: Codable, Sendable {
    public struct Partial: Codable, Sendable {
        public var messageID: Int64
        public var partial: String
        public init(messageID: Int64, partial: String) {
            self.messageID = messageID
            self.partial = partial
        }
        enum CodingKeys: String, CodingKey { case partial, messageID = "message_id" }
    }
    public var partials: [Partial]
    public init(partials: [Partial]) { self.partials = partials }
}

/// `POST /api/v1/custodian/requests/{id}/reject`.
public struct RejectionWire: Codable, Sendable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// What an approval or rejection did.
public struct DecisionWire: Codable, Sendable {
    /// "recorded", "granted" or "rejected".
    public var status: String
    public var approvals: Int?
    public var needed: Int?
    public var expiresAt: Int64?
    public init(status: String, approvals: Int? = nil, needed: Int? = nil, expiresAt: Int64? = nil) {
        self.status = status
        self.approvals = approvals
        self.needed = needed
        self.expiresAt = expiresAt
    }
    enum CodingKeys: String, CodingKey { case status, approvals, needed, expiresAt = "expires_at" }
}
