/// The public record of a finished ceremony: its setup, what each dealer committed to (share boxes by
/// digest only), and the resulting group commitments, whose first point is the archive key P.
///
/// Custodians sign its hash; the first epoch's hash is the archive's trust root. Anyone holding the
/// transcript of the epoch before can recompute every group commitment and check every proof here.
public struct EpochTranscript: Sendable, Equatable {
    /// One dealer's public contribution.
    public struct DealerRecord: Sendable, Equatable {
        public let dealer: Int
        public let commitments: [Ristretto255.Point]
        public let proof: KnowledgeProof
        /// Digest of each share box, in participant order.
        public let boxDigests: [[UInt8]]
    }

    public let setup: CeremonySetup
    /// Sorted by dealer.
    public let dealers: [DealerRecord]
    /// C_0 … C_{k-1} of the epoch.
    public let commitments: [Ristretto255.Point]

    /// Builds the transcript of checked dealings (see `DistributedKeyGeneration.checkDealings`).
    public init(setup: CeremonySetup, dealings: [Dealing], previous: FeldmanCommitments?) throws {
        let checked = try DistributedKeyGeneration.checkDealings(dealings, setup: setup, previous: previous)
        self.setup = setup
        dealers = checked.map { DealerRecord(dealer: $0.dealer, commitments: $0.commitments, proof: $0.proof, boxDigests: $0.boxes.map(\.digest)) }
        commitments = try DistributedKeyGeneration.groupCommitments(checked.map(\.summary), setup: setup)
        if setup.kind == .redistribution, let previous, commitments[0] != previous.points[0] {
            throw CryptoError.invalidInput("a redistribution must keep the archive key")
        }
    }

    private init(setup: CeremonySetup, dealers: [DealerRecord], commitments: [Ristretto255.Point]) {
        self.setup = setup
        self.dealers = dealers
        self.commitments = commitments
    }

    /// The epoch's archive public key P = C_0.
    public var publicKey: ArchivePublicKey { feldman.publicKey }

    /// The epoch's Feldman commitments, which check partial decryptions.
    public var feldman: FeldmanCommitments {
        // Valid by construction: k ≤ n and no identity (checked when built or parsed).
        (try? FeldmanCommitments(epoch: setup.epoch, shareCount: setup.shareCount, points: commitments))!
    }

    /// version 1 ‖ setup ‖ u32 dealers ‖ each (u32 dealer ‖ C… ‖ T ‖ z ‖ digests…) ‖ group commitments.
    public var serialized: [UInt8] {
        var w = ThresholdWire.Writer(version: 1, capacity: 4096)
        let setupBytes = setup.serialized
        w.fixed(Array(setupBytes.dropFirst()))  // the setup without its own version byte
        w.u32(dealers.count)
        for d in dealers {
            w.u32(d.dealer)
            for c in d.commitments { w.fixed(c.bytes) }
            w.fixed(d.proof.commitment.bytes)
            w.fixed(d.proof.response.bytes)
            for digest in d.boxDigests { w.fixed(digest) }
        }
        for c in commitments { w.fixed(c.bytes) }
        return w.take()
    }

    /// Parses the binary form; `verify` then checks what it says.
    public init(serialized bytes: [UInt8]) throws {
        var r = try ThresholdWire.Reader(bytes, version: 1, what: "epoch transcript")
        let setup = try CeremonySetup(reading: &r)
        let count = try r.u32()
        guard count >= 1, count <= ThresholdKey.maximumShares else { throw CryptoError.invalidInput("transcript dealer count out of range") }
        let dealers = try (0..<count).map { _ -> DealerRecord in
            let dealer = try r.u32()
            let cs = try (0..<setup.threshold).map { _ in try Ristretto255.Point(bytes: r.fixed(32)) }
            let proof = KnowledgeProof(commitment: try Ristretto255.Point(bytes: r.fixed(32)),
                                       response: try Ristretto255.Scalar(canonicalBytes: r.fixed(32)))
            let digests = try (0..<setup.shareCount).map { _ in try r.fixed(32) }
            return DealerRecord(dealer: dealer, commitments: cs, proof: proof, boxDigests: digests)
        }
        let group = try (0..<setup.threshold).map { _ in try Ristretto255.Point(bytes: r.fixed(32)) }
        try r.finish()
        guard !group.contains(where: \.isIdentity) else { throw CryptoError.invalidInput("a group commitment is the identity element") }
        self.init(setup: setup, dealers: dealers, commitments: group)
    }

    /// BLAKE2b-256("custos/v1/epoch-transcript" ‖ serialized): what custodians sign and clients pin.
    public var hash: [UInt8] { BLAKE2b.hash(Array("custos/v1/epoch-transcript".utf8) + serialized) }

    /// Rechecks the whole transcript: it follows `previous` (nil only for a first epoch), every dealer's
    /// proof holds, the dealer set is complete (new key) or large enough and dealing the old shares
    /// (redistribution), and the group commitments are the (weighted) sums of the dealers'.
    public func verify(previous: EpochTranscript?) throws {
        if let previous {
            guard setup.previousHash == previous.hash else { throw CryptoError.invalidInput("epoch \(setup.epoch) does not follow the transcript before it") }
            guard setup.epoch > previous.setup.epoch else { throw CryptoError.invalidInput("epoch \(setup.epoch) is not newer than epoch \(previous.setup.epoch)") }
        } else {
            guard !setup.hasPrevious, setup.kind == .newKey else {
                throw CryptoError.invalidInput("epoch \(setup.epoch) names an epoch before it that is not given")
            }
        }
        let summaries = dealers.map {
            DealingSummary(dealer: $0.dealer, commitments: $0.commitments, proof: $0.proof, boxCount: $0.boxDigests.count)
        }.sorted { $0.dealer < $1.dealer }
        guard summaries.map(\.dealer) == dealers.map(\.dealer) else { throw CryptoError.invalidInput("transcript dealers out of order") }
        try DistributedKeyGeneration.checkSet(summaries, setup: setup, previous: previous?.feldman)
        guard try DistributedKeyGeneration.groupCommitments(summaries, setup: setup) == commitments else {
            throw CryptoError.invalidInput("epoch \(setup.epoch)'s group commitments are not the sum of its dealings")
        }
        if setup.kind == .redistribution, let previous, commitments[0] != previous.commitments[0] {
            throw CryptoError.invalidInput("epoch \(setup.epoch) is a redistribution that changes the archive key")
        }
    }

    /// Whether the dealing's boxes are the ones this transcript records (a box swapped after the fact is not).
    public func records(_ dealing: Dealing) -> Bool {
        dealers.first { $0.dealer == dealing.dealer }.map { $0.boxDigests == dealing.boxes.map(\.digest) && $0.commitments == dealing.commitments } ?? false
    }

    /// The bytes a custodian signs to endorse this transcript.
    public static func signedMessage(hash: [UInt8]) -> [UInt8] { Array("custos/v1/epoch-signature".utf8) + hash }
}
