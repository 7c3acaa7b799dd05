import CustosCrypto

/// Where a key ceremony stands. Only an open ceremony takes steps; it closes once.
public enum CeremonyStatus: String, Sendable, CaseIterable {
    case open, active, failed, cancelled

    /// Human-facing name.
    public var title: String {
        switch self {
        case .open: "In progress"
        case .active: "Completed: the epoch is in force"
        case .failed: "Failed"
        case .cancelled: "Cancelled"
        }
    }
}

/// What each device sends during a ceremony, in order.
public enum CeremonyStepKind: String, Sendable {
    /// The digest of the dealing, before anyone reveals one.
    case commit
    /// The dealing itself: commitments, proof of knowledge, share boxes.
    case dealing
    /// Its boxes checked out against the dealers' commitments.
    case receipt
    /// Its signature over the transcript.
    case signature
}

/// A ceremony as stored.
public struct CeremonyRecord: Sendable, Equatable {
    public var id: Int64
    public var kind: CeremonySetup.Kind
    public var epoch: Int
    public var previousEpoch: Int?
    /// `CeremonySetup.serialized`.
    public var setup: [UInt8]
    public var status: CeremonyStatus
    public var createdAt: Int64
    public var createdBy: String
    public var closedAt: Int64?
    public var outcome: String?

    public init(id: Int64, kind: CeremonySetup.Kind, epoch: Int, previousEpoch: Int?, setup: [UInt8], status: CeremonyStatus,
                createdAt: Int64, createdBy: String, closedAt: Int64?, outcome: String?) {
        self.id = id
        self.kind = kind
        self.epoch = epoch
        self.previousEpoch = previousEpoch
        self.setup = setup
        self.status = status
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.closedAt = closedAt
        self.outcome = outcome
    }
}

/// A ceremony before it has an id: its setup and who takes part as which participant.
public struct NewCeremony: Sendable {
    public var kind: CeremonySetup.Kind
    public var epoch: Int
    public var previousEpoch: Int?
    public var setup: [UInt8]
    public var members: [(participant: Int, userID: Int64)]
    public var createdAt: Int64
    public var createdBy: String
}

/// One step a device took.
public struct CeremonyStep: Sendable, Equatable {
    public var userID: Int64
    public var kind: CeremonyStepKind
    /// The dealer index, for commits and dealings.
    public var dealer: Int?
    /// The digest, the dealing, or the signature.
    public var body: [UInt8]?
    /// The signing key, for signatures.
    public var signer: [UInt8]?
    public var at: Int64

    public init(userID: Int64, kind: CeremonyStepKind, dealer: Int? = nil, body: [UInt8]? = nil, signer: [UInt8]? = nil, at: Int64) {
        self.userID = userID
        self.kind = kind
        self.dealer = dealer
        self.body = body
        self.signer = signer
        self.at = at
    }
}

extension CeremonySetup.Kind {
    /// The stored name.
    public var name: String { self == .newKey ? "new_key" : "redistribution" }

    /// From the stored name.
    public init?(name: String) {
        switch name {
        case "new_key": self = .newKey
        case "redistribution": self = .redistribution
        default: return nil
        }
    }
}
