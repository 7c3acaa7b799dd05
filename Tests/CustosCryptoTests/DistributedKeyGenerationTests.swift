@testable import CustosCrypto
import Foundation
import Testing

/// The dealerless ceremony: every k-subset of the shares it leaves decrypts, no (k−1)-subset does, a
/// cheating dealer is named by proven complaints, a contribution without its proof is refused, and
/// the secret exists nowhere (no party's state holds it).
@Suite struct DistributedKeyGenerationTests {
    static let plaintext = Array("Board minutes, draft 3: not for distribution.".utf8)

    static func sealed(to epoch: SignedEpoch, uid: String) throws -> Envelope {
        let key = epoch.transcript.publicKey
        return try Envelope.seal(plaintext, header: EnvelopeHeader(uid: uid, epoch: key.epoch, platform: "email", sentAt: 1_700_000_000),
                                 publicKey: key)
    }

    @Test(arguments: [(3, 2), (5, 3), (1, 1)])
    func everyKSubsetOpensAndNoSmallerOneDoes(n: Int, k: Int) throws {
        let devices = try (0..<n).map { _ in try CeremonyHarness.device() }
        let epoch = try CeremonyHarness.newKey(devices, k: k)
        let commitments = epoch.transcript.feldman
        #expect(commitments.threshold == k && commitments.shareCount == n)
        let envelope = try Self.sealed(to: epoch, uid: "dkg-\(n)-\(k)")
        let partials = try devices.map { try $0.partialDecryptions(commitments: commitments, ephemeralKeys: [envelope.ephemeralPublic])[0] }
        for subset in subsets(of: partials, size: k) {
            #expect(try envelope.open(partials: subset, commitments: commitments) == Self.plaintext)
        }
        for subset in subsets(of: partials, size: k - 1) where !subset.isEmpty {
            let wrong = try ThresholdDecryption.lagrangeCombine(subset.map { ($0.index, $0.point) })
            #expect(cryptoErrorKind { try envelope.open(combinedKey: wrong, publicKey: commitments.publicKey) } == "authenticationFailed")
            #expect(cryptoErrorKind { try envelope.open(partials: subset, commitments: commitments) } == "invalidInput")
        }
        // P is the sum of the dealers' constant commitments: no dealer chose it alone.
        let sum = try epoch.transcript.dealers.reduce(Ristretto255.Point.identity) { try $0.adding($1.commitments[0]) }
        #expect(sum == commitments.points[0])
        #expect(epoch.transcript.dealers.allSatisfy { $0.commitments[0] != sum } || n == 1)
        try epoch.transcript.verify(previous: nil)
    }

    @Test func aDealerWhoSendsABadShareIsNamedByAProvenComplaint() throws {
        let devices = try (0..<3).map { _ in try CeremonyHarness.device() }
        let setup = try CeremonySetup(kind: .newKey, epoch: 1, threshold: 2, participants: devices.map(\.identity),
                                      previousHash: CeremonySetup.noPrevious)
        var dealings = try devices.map { try $0.dealer(for: setup, previousEpoch: nil).dealing() }
        // Dealer 2 seals a share that its commitments do not vouch for to participant 3.
        let liar = dealings[1]
        var boxes = liar.boxes
        boxes[2] = try ShareBox.seal(.random(), to: devices[2].identity.encryptionKey, context: setup.boxContext(dealer: 2, recipient: 3))
        dealings[1] = try Dealing(dealer: 2, commitments: liar.commitments, proof: liar.proof, boxes: boxes)
        // The dealing still looks well-formed to everyone who cannot open box 3.
        _ = try DistributedKeyGeneration.checkDealings(dealings, setup: setup, previous: nil)
        #expect(try devices[0].receive(dealings, setup: setup).isEmpty)
        let complaints = try devices[2].receive(dealings, setup: setup)
        #expect(complaints.map(\.dealer) == [2])
        #expect(devices[2].shareIndex(epoch: 1) == nil, "a participant with a bad box keeps no share")
        #expect(complaints[0].isUpheld(setup: setup, dealing: dealings[1]))
        // A box that does not even open is the dealer's fault too.
        boxes[2] = try ShareBox.seal(.random(), to: devices[2].identity.encryptionKey, context: [1, 2, 3])
        let garbled = try Dealing(dealer: 2, commitments: liar.commitments, proof: liar.proof, boxes: boxes)
        let undecryptable = try devices[2].receive([dealings[0], garbled, dealings[2]], setup: setup)
        #expect(undecryptable.count == 1 && undecryptable[0].isUpheld(setup: setup, dealing: garbled))
    }

    @Test func aFalseOrForgedComplaintIsNotUpheld() throws {
        let devices = try (0..<3).map { _ in try CeremonyHarness.device() }
        let setup = try CeremonySetup(kind: .newKey, epoch: 1, threshold: 2, participants: devices.map(\.identity),
                                      previousHash: CeremonySetup.noPrevious)
        let dealings = try devices.map { try $0.dealer(for: setup, previousEpoch: nil).dealing() }
        // Participant 3 complains about an honest dealer: its own proven opening shows the share is good.
        let honest = Complaint(dealer: 1, recipient: 3, opening: try devices[2].reveal(dealings[0].boxes[2], index: 3))
        #expect(!honest.isUpheld(setup: setup, dealing: dealings[0]))
        // Participant 1 forges an opening of participant 3's box: its proof does not hold.
        let forged = Complaint(dealer: 1, recipient: 3, opening: try devices[0].reveal(dealings[0].boxes[2], index: 3))
        #expect(!forged.isUpheld(setup: setup, dealing: dealings[0]))
        // A complaint aimed at another dealing proves nothing about it.
        #expect(!honest.isUpheld(setup: setup, dealing: dealings[1]))
    }

    @Test func aContributionWithoutAValidProofOfKnowledgeIsRefused() throws {
        let devices = try (0..<3).map { _ in try CeremonyHarness.device() }
        let setup = try CeremonySetup(kind: .newKey, epoch: 1, threshold: 2, participants: devices.map(\.identity),
                                      previousHash: CeremonySetup.noPrevious)
        var dealings = try devices.map { try $0.dealer(for: setup, previousEpoch: nil).dealing() }
        // A rogue key: the last dealer sets C_0 = X − (C_10 + C_20) to force P = X, a key it cannot prove it knows.
        let x = try Ristretto255.Point.baseMultiple(.random())
        let rogue = try x.subtracting(dealings[0].commitments[0].adding(dealings[1].commitments[0]))
        let third = dealings[2]
        dealings[2] = try Dealing(dealer: 3, commitments: [rogue] + third.commitments.dropFirst(), proof: third.proof, boxes: third.boxes)
        #expect(throws: DealingError.proof(3)) { try DistributedKeyGeneration.checkDealings(dealings, setup: setup, previous: nil) }
        // A proof made for another ceremony does not carry over either.
        let other = try CeremonySetup(kind: .newKey, epoch: 2, threshold: 2, participants: devices.map(\.identity),
                                      previousHash: CeremonySetup.noPrevious)
        let moved = try devices[0].dealer(for: other, previousEpoch: nil).dealing()
        #expect(throws: DealingError.proof(1)) { try moved.check(setup, previous: nil) }
        // Missing or repeated dealers are refused.
        #expect(cryptoErrorKind { try DistributedKeyGeneration.checkDealings(Array(dealings.prefix(2)), setup: setup, previous: nil) } == "invalidInput")
    }

    @Test func redistributionKeepsTheKeyAndRetiresTheOldSet() throws {
        let c = try (0..<5).map { _ in try CeremonyHarness.device() }  // c1 … c5
        let first = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let old = try Self.sealed(to: first, uid: "before-turnover")
        // c1 and c2 deal their shares to {c2, c4, c5}, 2-of-3.
        let second = try CeremonyHarness.redistribute(from: first, dealers: [c[0], c[1]], to: [c[1], c[3], c[4]], k: 2)
        #expect(second.transcript.publicKey.point == first.transcript.publicKey.point, "the archive key is unchanged")
        try second.transcript.verify(previous: first.transcript)
        let commitments = second.transcript.feldman
        let fresh = try [c[3], c[4]].map { try $0.partialDecryptions(commitments: commitments, ephemeralKeys: [old.ephemeralPublic])[0] }
        #expect(try old.open(partials: fresh, commitments: commitments, sealedTo: first.transcript.publicKey) == Self.plaintext,
                "c4 + c5 open a message sealed before")
        // c1's share is of the old epoch: its partials do not verify against the new commitments.
        let retired = try c[0].partialDecryptions(commitments: first.transcript.feldman, ephemeralKeys: [old.ephemeralPublic])[0]
        #expect(!retired.verify(ephemeralPublic: old.ephemeralPublic, commitments: commitments))
        #expect(cryptoErrorKind { try c[0].partialDecryptions(commitments: commitments, ephemeralKeys: [old.ephemeralPublic]) } == "invalidInput")
        // Chain: c1, c2 endorsed as 2 of the old set, all of the new set signed.
        _ = try EpochChain.verify(root: first.transcript.hash, chain: [first, second])
    }

    @Test func aRedistributionDealerMustDealItsOwnShare() throws {
        let c = try (0..<4).map { _ in try CeremonyHarness.device() }
        let first = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let setup = try CeremonySetup(kind: .redistribution, epoch: 2, threshold: 2, participants: [c[2], c[3]].map(\.identity),
                                      previousHash: first.transcript.hash)
        let honest = try c[0].dealer(for: setup, previousEpoch: 1).dealing()
        // c4 holds no share of epoch 1 and deals a random constant under index 2.
        let forged = try DKGDealer(setup: setup, dealer: 2, constant: .random()).dealing()
        #expect(throws: DealingError.notItsShare(2)) {
            try DistributedKeyGeneration.checkDealings([honest, forged], setup: setup, previous: first.transcript.feldman)
        }
        #expect(cryptoErrorKind { try c[3].dealer(for: setup, previousEpoch: 1) } == "invalidInput")
        // One dealer alone is fewer than the old threshold.
        #expect(cryptoErrorKind { try DistributedKeyGeneration.checkDealings([honest], setup: setup, previous: first.transcript.feldman) } == "invalidInput")
    }
}
