/// A Schnorr proof of knowledge of a dealer's constant term a_0 behind C_0 = a_0·G, bound to the
/// ceremony and dealer: T = w·G, c = H("custos/v1/dkg-pok" ‖ setup ‖ u32 dealer ‖ C_0 ‖ T), z = w + c·a_0.
/// It stops a dealer from choosing C_0 after others' contributions (a rogue key it cannot open).
public struct KnowledgeProof: Sendable, Equatable {
    public let commitment: Ristretto255.Point
    public let response: Ristretto255.Scalar

    static func challenge(setupHash: [UInt8], dealer: Int, c0: Ristretto255.Point, t: Ristretto255.Point) -> Ristretto255.Scalar {
        var w = ThresholdWire.Writer(version: 1, capacity: 128)
        w.fixed(Array("custos/v1/dkg-pok".utf8))
        w.fixed(setupHash)
        w.u32(dealer)
        w.fixed(c0.bytes)
        w.fixed(t.bytes)
        return Ristretto255.Scalar.reduce64(BLAKE2b.hash(w.take(), outputLength: 64))
    }

    static func prove(_ a0: Ristretto255.Scalar, c0: Ristretto255.Point, setupHash: [UInt8], dealer: Int) throws -> KnowledgeProof {
        var w = Ristretto255.Scalar.random()
        defer { w.wipe() }
        let t = try Ristretto255.Point.baseMultiple(w)
        var ca = challenge(setupHash: setupHash, dealer: dealer, c0: c0, t: t) * a0
        defer { ca.wipe() }
        return KnowledgeProof(commitment: t, response: w + ca)
    }

    /// z·G == T + c·C_0.
    func verify(c0: Ristretto255.Point, setupHash: [UInt8], dealer: Int) -> Bool {
        let c = Self.challenge(setupHash: setupHash, dealer: dealer, c0: c0, t: commitment)
        guard let lhs = try? Ristretto255.Point.baseMultiple(response),
              let rhs = try? commitment.adding(c0.multiplied(by: c)) else { return false }
        return lhs == rhs
    }
}

/// One dealer's contribution to a ceremony: Feldman commitments to its polynomial, a proof of knowledge
/// of the constant term, and one share box per participant.
public struct Dealing: Sendable, Equatable {
    /// New key: the dealer's participant number. Redistribution: its share index in the epoch before.
    public let dealer: Int
    /// C_0 … C_{k-1}.
    public let commitments: [Ristretto255.Point]
    public let proof: KnowledgeProof
    /// Box j − 1 holds f(j) for participant j.
    public let boxes: [ShareBox]

    public init(dealer: Int, commitments: [Ristretto255.Point], proof: KnowledgeProof, boxes: [ShareBox]) throws {
        guard dealer >= 1, dealer <= ThresholdKey.maximumShares else { throw CryptoError.invalidInput("dealer index out of range") }
        guard !commitments.isEmpty, !commitments.contains(where: \.isIdentity) else {
            throw CryptoError.invalidInput("a dealing's commitments must be non-identity points")
        }
        self.dealer = dealer
        self.commitments = commitments
        self.proof = proof
        self.boxes = boxes
    }

    /// version 1 ‖ u32 dealer ‖ u32 k ‖ C_0…C_{k-1} ‖ T ‖ z ‖ u32 n ‖ boxes.
    public var serialized: [UInt8] {
        var w = ThresholdWire.Writer(version: 1, capacity: 80 + 32 * commitments.count + ShareBox.length * boxes.count)
        w.u32(dealer)
        w.u32(commitments.count)
        for c in commitments { w.fixed(c.bytes) }
        w.fixed(proof.commitment.bytes)
        w.fixed(proof.response.bytes)
        w.u32(boxes.count)
        for b in boxes { w.fixed(b.bytes) }
        return w.take()
    }

    /// Parses the binary form.
    public init(serialized bytes: [UInt8]) throws {
        var r = try ThresholdWire.Reader(bytes, version: 1, what: "dealing")
        let dealer = try r.u32()
        let k = try r.u32()
        guard k >= 1, k <= ThresholdKey.maximumShares else { throw CryptoError.invalidInput("dealing threshold out of range") }
        let commitments = try (0..<k).map { _ in try Ristretto255.Point(bytes: r.fixed(32)) }
        let proof = KnowledgeProof(commitment: try Ristretto255.Point(bytes: r.fixed(32)),
                                   response: try Ristretto255.Scalar(canonicalBytes: r.fixed(32)))
        let n = try r.u32()
        guard n >= 1, n <= ThresholdKey.maximumShares else { throw CryptoError.invalidInput("dealing size out of range") }
        let boxes = try (0..<n).map { _ in try ShareBox(bytes: r.fixed(ShareBox.length)) }
        try r.finish()
        try self.init(dealer: dealer, commitments: commitments, proof: proof, boxes: boxes)
    }

    /// What a dealer commits to before seeing anyone else's dealing: BLAKE2b-256("custos/v1/dkg-dealing" ‖ serialized).
    public var digest: [UInt8] { BLAKE2b.hash(Array("custos/v1/dkg-dealing".utf8) + serialized) }

    /// The public part, as a transcript records it.
    var summary: DealingSummary { DealingSummary(dealer: dealer, commitments: commitments, proof: proof, boxCount: boxes.count) }

    /// See `DealingSummary.check`.
    public func check(_ setup: CeremonySetup, previous: FeldmanCommitments?) throws {
        try summary.check(setup, previous: previous)
    }

    /// The dealer's commitments as a Feldman set, for checking the share of participant j.
    func feldman(_ setup: CeremonySetup) throws -> FeldmanCommitments {
        try FeldmanCommitments(epoch: setup.epoch, shareCount: setup.shareCount, points: commitments)
    }

    /// Opens participant j's box with its secret y and checks it against the commitments; nil if it fails either.
    func share(for j: Int, setup: CeremonySetup, secret y: Ristretto255.Scalar) -> Ristretto255.Scalar? {
        guard j >= 1, j <= boxes.count,
              let share = try? boxes[j - 1].open(with: y, recipient: setup.participants[j - 1].encryptionKey,
                                                 context: setup.boxContext(dealer: dealer, recipient: j)),
              let expected = try? feldman(setup).publicShare(for: j),
              let actual = try? Ristretto255.Point.baseMultiple(share), actual == expected else { return nil }
        return share
    }
}

/// What of a dealing can be checked in public: dealer, commitments, proof and how many boxes it has.
struct DealingSummary: Sendable, Equatable {
    var dealer: Int
    var commitments: [Ristretto255.Point]
    var proof: KnowledgeProof
    var boxCount: Int

    /// Everything about a dealing that can be checked without a recipient's secret: its shape, its proof of
    /// knowledge and, in a redistribution, that it deals exactly the dealer's share of the epoch before.
    func check(_ setup: CeremonySetup, previous: FeldmanCommitments?) throws {
        guard commitments.count == setup.threshold else { throw DealingError.shape(dealer, "has \(commitments.count) commitments, not \(setup.threshold)") }
        guard boxCount == setup.shareCount else { throw DealingError.shape(dealer, "has \(boxCount) share boxes, not \(setup.shareCount)") }
        guard proof.verify(c0: commitments[0], setupHash: setup.hash, dealer: dealer) else {
            throw DealingError.proof(dealer)
        }
        switch setup.kind {
        case .newKey:
            guard dealer <= setup.shareCount else { throw DealingError.shape(dealer, "is not a participant") }
        case .redistribution:
            guard let previous else { throw CryptoError.invalidInput("a redistribution is checked against the epoch before") }
            guard let share = try? previous.publicShare(for: dealer), share == commitments[0] else {
                throw DealingError.notItsShare(dealer)
            }
        }
    }
}

/// Why a dealing is refused, naming its dealer.
public enum DealingError: Error, Equatable, Sendable, CustomStringConvertible {
    case shape(Int, String)
    case proof(Int)
    case notItsShare(Int)

    public var dealer: Int {
        switch self {
        case .shape(let d, _), .proof(let d), .notItsShare(let d): d
        }
    }

    public var description: String {
        switch self {
        case .shape(let d, let what): "dealing \(d) \(what)"
        case .proof(let d): "dealing \(d) has no valid proof of knowledge of its constant term"
        case .notItsShare(let d): "dealing \(d) does not deal the dealer's share of the epoch before"
        }
    }
}
