/// What a key ceremony is about, fixed before anyone deals: the kind, the epoch, the threshold, the
/// devices that will hold shares and the transcript it follows. Every dealing, proof and share box
/// is bound to its hash, so nothing can be moved from one ceremony to another.
public struct CeremonySetup: Sendable, Equatable {
    /// A fresh archive key (DKG) or the same key handed to a new set of custodians (redistribution).
    public enum Kind: UInt8, Sendable, Equatable {
        case newKey = 1
        case redistribution = 2
    }

    public let kind: Kind
    /// The epoch this ceremony creates.
    public let epoch: Int
    /// k: shares needed to decrypt in the new epoch.
    public let threshold: Int
    /// The devices that will hold shares; participant j (1-based) is `participants[j - 1]`.
    public let participants: [DeviceIdentity]
    /// Hash of the transcript of the epoch before; 32 zero bytes for an archive's first epoch.
    public let previousHash: [UInt8]

    /// 32 zero bytes: "no previous epoch".
    public static let noPrevious = [UInt8](repeating: 0, count: 32)

    /// Checks the epoch, 1 ≤ k ≤ n ≤ 255, distinct devices, and that a redistribution follows an epoch.
    public init(kind: Kind, epoch: Int, threshold: Int, participants: [DeviceIdentity], previousHash: [UInt8]) throws {
        guard epoch >= 1 else { throw CryptoError.invalidInput("epochs are numbered from 1") }
        try ThresholdKey.validate(threshold: threshold, shareCount: participants.count)
        guard Set(participants.map(\.encryptionKey)).count == participants.count,
              Set(participants.map(\.signingKey)).count == participants.count else {
            throw CryptoError.invalidInput("each custodian device may take part once")
        }
        guard previousHash.count == 32 else { throw CryptoError.invalidInput("a transcript hash is 32 bytes") }
        if kind == .redistribution, previousHash == Self.noPrevious {
            throw CryptoError.invalidInput("a redistribution needs the epoch it redistributes")
        }
        self.kind = kind
        self.epoch = epoch
        self.threshold = threshold
        self.participants = participants
        self.previousHash = previousHash
    }

    /// n.
    public var shareCount: Int { participants.count }

    /// Whether this ceremony follows an earlier epoch.
    public var hasPrevious: Bool { previousHash != Self.noPrevious }

    /// version 1 ‖ u8 kind ‖ i64 epoch ‖ u32 k ‖ previous hash ‖ u32 n ‖ n × (Y ‖ V).
    public var serialized: [UInt8] {
        var w = ThresholdWire.Writer(version: 1, capacity: 50 + 64 * participants.count)
        w.fixed([kind.rawValue])
        w.i64(Int64(epoch))
        w.u32(threshold)
        w.fixed(previousHash)
        w.u32(participants.count)
        for p in participants {
            w.fixed(p.encryptionKey.bytes)
            w.fixed(p.signingKey)
        }
        return w.take()
    }

    /// Parses the binary form with every check of the initialiser.
    public init(serialized bytes: [UInt8]) throws {
        var r = try ThresholdWire.Reader(bytes, version: 1, what: "ceremony setup")
        try self.init(reading: &r)
        try r.finish()
    }

    /// Reads the setup from inside a larger serialisation (a transcript).
    init(reading r: inout ThresholdWire.Reader) throws {
        guard let kind = Kind(rawValue: try r.u8()) else { throw CryptoError.invalidInput("unknown ceremony kind") }
        let epoch = try r.i64()
        let k = try r.u32()
        let previous = try r.fixed(32)
        let n = try r.u32()
        guard n >= 1, n <= ThresholdKey.maximumShares else { throw CryptoError.invalidInput("ceremony size out of range") }
        let participants = try (0..<n).map { _ in
            try DeviceIdentity(encryptionKey: Ristretto255.Point(bytes: r.fixed(32)), signingKey: r.fixed(32))
        }
        guard epoch <= Int64(Int32.max) else { throw CryptoError.invalidInput("epoch out of range") }
        try self.init(kind: kind, epoch: Int(epoch), threshold: k, participants: participants, previousHash: previous)
    }

    /// BLAKE2b-256("custos/v1/ceremony-setup" ‖ serialized).
    public var hash: [UInt8] { BLAKE2b.hash(Array("custos/v1/ceremony-setup".utf8) + serialized) }

    /// The associated data of the share box from `dealer` to participant `recipient`.
    func boxContext(dealer: Int, recipient: Int) -> [UInt8] {
        var w = ThresholdWire.Writer(version: 1, capacity: 64)
        w.fixed(Array("custos/v1/dkg-share".utf8))
        w.fixed(hash)
        w.u32(dealer)
        w.u32(recipient)
        return w.take()
    }

    /// The participant number (1-based) of a device, if it takes part.
    public func index(of identity: DeviceIdentity) -> Int? {
        participants.firstIndex(of: identity).map { $0 + 1 }
    }
}
