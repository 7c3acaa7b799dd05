// Key generation with no dealer (Pedersen's DKG with Feldman commitments, as drand and dedis/kyber
// run it), and redistribution of an existing key to a new set of holders (Desmedt–Jajodia, with the
// verifiability of Wong–Wang–Wing), over ristretto255.
//
// New key, n participants, threshold k. Each participant i picks f_i of degree k−1, publishes
// C_im = a_im·G with a proof of knowledge of a_i0, and seals f_i(j) to each participant j. Every j
// checks f_i(j)·G == Σ_m C_im·j^m for every i. Then s_j = Σ_i f_i(j), C_m = Σ_i C_im, P = C_0.
// s = Σ_i a_i0 is never formed: each device only ever holds its own polynomial and its share.
//
// Redistribution from an epoch with threshold k to n' new participants with threshold k'. A set D of
// at least k old holders each deals g_i of degree k'−1 with g_i(0) = s_i (so C'_i0 must equal the
// old public share P_i, which everyone checks). With λ_i the Lagrange coefficients of D at 0, new
// share s'_j = Σ_{i∈D} λ_i·g_i(j) and C'_m = Σ λ_i·C'_im; C'_0 = Σ λ_i·P_i = P, so the key is
// unchanged and old envelopes open with the new shares. No step interpolates the shares to s.

/// A dealer's secret state during one ceremony: its polynomial, until the dealing is made and wiped.
public final class DKGDealer {
    let setup: CeremonySetup
    let dealer: Int
    private let polynomial: SecretPolynomial

    /// A new-key dealer: participant `dealer` with a fresh random polynomial.
    public convenience init(setup: CeremonySetup, dealer: Int) throws {
        guard setup.kind == .newKey else { throw CryptoError.invalidInput("a redistribution dealer deals its own share") }
        guard dealer >= 1, dealer <= setup.shareCount else { throw CryptoError.invalidInput("the dealer is not a participant") }
        self.init(setup: setup, dealer: dealer, constant: nil)
    }

    /// A redistribution dealer holding `share` (index `dealer` of the epoch before).
    init(setup: CeremonySetup, dealer: Int, constant: Ristretto255.Scalar?) {
        self.setup = setup
        self.dealer = dealer
        polynomial = SecretPolynomial(degree: setup.threshold - 1, constant: constant)
    }

    deinit { polynomial.wipe() }

    /// Commitments, proof of knowledge and one share box per participant.
    public func dealing() throws -> Dealing {
        let commitments = try polynomial.commitments()
        var a0 = polynomial.constant
        defer { a0.wipe() }
        let proof = try KnowledgeProof.prove(a0, c0: commitments[0], setupHash: setup.hash, dealer: dealer)
        let boxes = try setup.participants.enumerated().map { offset, participant in
            var share = polynomial.evaluate(at: offset + 1)
            defer { share.wipe() }
            return try ShareBox.seal(share, to: participant.encryptionKey,
                                     context: setup.boxContext(dealer: dealer, recipient: offset + 1))
        }
        return try Dealing(dealer: dealer, commitments: commitments, proof: proof, boxes: boxes)
    }

    /// Zeroes the polynomial now.
    public func wipe() { polynomial.wipe() }
}

/// A participant's claim, with proof, that a dealer's box for it is bad.
public struct Complaint: Sendable, Equatable {
    public let dealer: Int
    /// The complaining participant's number.
    public let recipient: Int
    public let opening: ShareBoxOpening

    public init(dealer: Int, recipient: Int, opening: ShareBoxOpening) {
        self.dealer = dealer
        self.recipient = recipient
        self.opening = opening
    }

    /// What anyone can conclude from the complaint: true — the dealer is at fault (its box does not open,
    /// or holds a share its commitments do not vouch for); false — the complaint is false or unproven.
    public func isUpheld(setup: CeremonySetup, dealing: Dealing) -> Bool {
        guard dealing.dealer == dealer, recipient >= 1, recipient <= setup.shareCount, dealing.boxes.count == setup.shareCount else {
            return false
        }
        let revealed = dealing.boxes[recipient - 1].open(revealed: opening, recipientIndex: recipient,
                                                         recipient: setup.participants[recipient - 1].encryptionKey,
                                                         context: setup.boxContext(dealer: dealer, recipient: recipient))
        switch revealed {
        case nil: return false
        case .undecryptable: return true
        case .share(var share):
            defer { share.wipe() }
            guard let expected = try? dealing.feldman(setup).publicShare(for: recipient),
                  let actual = try? Ristretto255.Point.baseMultiple(share) else { return true }
            return actual != expected
        }
    }
}

/// The public algebra of a ceremony, and a participant's handling of what it receives.
public enum DistributedKeyGeneration {
    /// Checks the set of dealings as a whole: new key — every participant deals once; redistribution — at
    /// least k distinct holders of the epoch before. Each dealing is checked too. Returns them sorted by dealer.
    public static func checkDealings(_ dealings: [Dealing], setup: CeremonySetup, previous: FeldmanCommitments?) throws -> [Dealing] {
        let sorted = dealings.sorted { $0.dealer < $1.dealer }
        try checkSet(sorted.map(\.summary), setup: setup, previous: previous)
        return sorted
    }

    /// `checkDealings` on public summaries (sorted by dealer).
    static func checkSet(_ sorted: [DealingSummary], setup: CeremonySetup, previous: FeldmanCommitments?) throws {
        guard Set(sorted.map(\.dealer)).count == sorted.count else { throw CryptoError.invalidInput("a dealer dealt twice") }
        for d in sorted { try d.check(setup, previous: previous) }
        switch setup.kind {
        case .newKey:
            guard sorted.map(\.dealer) == Array(1...setup.shareCount) else {
                throw CryptoError.invalidInput("every participant must deal exactly once")
            }
        case .redistribution:
            guard let previous, sorted.count >= previous.threshold else {
                throw CryptoError.invalidInput("a redistribution needs dealings from at least k holders of the epoch before")
            }
        }
    }

    /// The weight of each dealer: 1 for a new key, the Lagrange coefficient at 0 over the dealers for a redistribution.
    static func weights(_ dealers: [Int], setup: CeremonySetup) throws -> [Ristretto255.Scalar] {
        switch setup.kind {
        case .newKey: return dealers.map { _ in .one }
        case .redistribution: return try ThresholdDecryption.lagrangeCoefficients(at: dealers)
        }
    }

    /// C_m = Σ_i w_i·C_im for m = 0…k−1 over checked dealings, sorted by dealer.
    static func groupCommitments(_ dealings: [DealingSummary], setup: CeremonySetup) throws -> [Ristretto255.Point] {
        let w = try weights(dealings.map(\.dealer), setup: setup)
        return try (0..<setup.threshold).map { m in
            var sum = Ristretto255.Point.identity
            for (d, weight) in zip(dealings, w) { sum = try sum.adding(d.commitments[m].multiplied(by: weight)) }
            guard !sum.isIdentity else { throw CryptoError.invalidInput("a group commitment is the identity element") }
            return sum
        }
    }

    /// Participant j's side: opens and checks its box in every dealing. Either the combined share s_j, or a
    /// proven complaint against each dealer whose box failed.
    static func receive(_ dealings: [Dealing], setup: CeremonySetup, participant j: Int,
                               secret y: Ristretto255.Scalar) throws -> Received {
        var shares: [Ristretto255.Scalar] = []
        defer { for i in shares.indices { shares[i].wipe() } }
        var complaints: [Complaint] = []
        for d in dealings {
            if let share = d.share(for: j, setup: setup, secret: y) {
                shares.append(share)
            } else {
                let opening = try d.boxes[j - 1].reveal(with: y, recipientIndex: j, recipient: setup.participants[j - 1].encryptionKey)
                complaints.append(Complaint(dealer: d.dealer, recipient: j, opening: opening))
            }
        }
        guard complaints.isEmpty else { return .complaints(complaints) }
        var sum = Ristretto255.Scalar.zero
        for (share, weight) in zip(shares, try weights(dealings.map(\.dealer), setup: setup)) {
            var term = share * weight
            let next = sum + term
            sum.wipe()
            term.wipe()
            sum = next
        }
        return .share(KeyShare(index: j, secret: sum))
    }

    /// What a participant got from the dealings.
    enum Received {
        /// Its share of the new epoch (checked against the group commitments by the caller's transcript).
        case share(KeyShare)
        /// Proven complaints about the dealers whose boxes failed.
        case complaints([Complaint])
    }
}
