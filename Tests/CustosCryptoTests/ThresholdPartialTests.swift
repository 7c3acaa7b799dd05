@testable import CustosCrypto
import Foundation
import Testing

/// DLEQ proofs on partial decryptions: corrupted or misdirected partials are caught; serialisation; timing.
@Suite struct ThresholdPartialTests {
    typealias Point = Ristretto255.Point
    typealias Scalar = Ristretto255.Scalar

    struct Setup {
        let commitments: FeldmanCommitments
        let shares: [KeyShare]
        let r: Point
        let partials: [PartialDecryption]
    }

    static func setup(threshold k: Int = 2, shareCount n: Int = 3) throws -> Setup {
        let (commitments, shares) = try ThresholdKey.generate(epoch: 1, threshold: k, shareCount: n)
        let r = try Point.baseMultiple(.random())
        let partials = try shares.map { try $0.partialDecryption(of: r, publicShare: commitments.publicShare(for: $0.index)) }
        return Setup(commitments: commitments, shares: shares, r: r, partials: partials)
    }

    @Test func honestPartialsVerify() throws {
        let s = try Self.setup()
        for partial in s.partials {
            #expect(partial.verify(ephemeralPublic: s.r, commitments: s.commitments))
            #expect(try partial.verify(ephemeralPublic: s.r, publicShare: s.commitments.publicShare(for: partial.index)))
        }
    }

    @Test func corruptedPartialsFailVerification() throws {
        let s = try Self.setup()
        let good = s.partials[0]
        let shiftedPoint = try good.point.adding(.generator)
        let variants: [(String, PartialDecryption)] = [
            ("D_i + G", try PartialDecryption(index: 1, point: shiftedPoint, proof: good.proof)),
            ("D_i of another custodian", try PartialDecryption(index: 1, point: s.partials[1].point, proof: good.proof)),
            ("claims another index", try PartialDecryption(index: 2, point: good.point, proof: good.proof)),
            ("z + 1", try PartialDecryption(index: 1, point: good.point,
                                            proof: DLEQProof(challenge: good.proof.challenge, response: good.proof.response + .one))),
            ("c + 1", try PartialDecryption(index: 1, point: good.point,
                                            proof: DLEQProof(challenge: good.proof.challenge + .one, response: good.proof.response))),
            ("zero proof", try PartialDecryption(index: 1, point: good.point, proof: DLEQProof(challenge: .zero, response: .zero))),
        ]
        for (name, bad) in variants {
            #expect(!bad.verify(ephemeralPublic: s.r, commitments: s.commitments), "\(name)")
            #expect(cryptoErrorKind { try ThresholdDecryption.combine([bad, s.partials[2]], ephemeralPublic: s.r, commitments: s.commitments) }
                    == "invalidInput", "\(name)")
        }
        // A correct D_i' = s_i·R with a forged proof made from a wrong share value does not verify either.
        let wrongShareProof = try s.shares[1].partialDecryption(of: s.r, publicShare: s.commitments.publicShare(for: 1))
        let relabelled = try PartialDecryption(index: 1, point: wrongShareProof.point, proof: wrongShareProof.proof)
        #expect(!relabelled.verify(ephemeralPublic: s.r, commitments: s.commitments))
    }

    @Test func onlyTheCallersOwnPartialsSkipTheProofCheck() throws {
        let s = try Self.setup()
        let forged = try PartialDecryption(index: 1, point: s.partials[0].point.adding(.generator), proof: s.partials[0].proof)
        // Exempting index 2 (the caller's own) still checks index 1: the forged partial is caught.
        #expect(cryptoErrorKind {
            try ThresholdDecryption.combine([forged, s.partials[1]], ephemeralPublic: s.r, commitments: s.commitments, preverified: [2])
        } == "invalidInput")
        // Honest partials give the same Z whether or not the caller's own proof is checked again.
        let checked = try ThresholdDecryption.combine([s.partials[0], s.partials[1]], ephemeralPublic: s.r, commitments: s.commitments)
        let trusted = try ThresholdDecryption.combine([s.partials[0], s.partials[1]], ephemeralPublic: s.r, commitments: s.commitments,
                                                      preverified: [2])
        #expect(checked == trusted)
    }

    @Test func partialForAnotherRFailsVerification() throws {
        let s = try Self.setup()
        let otherR = try Point.baseMultiple(.random())
        for partial in s.partials {
            #expect(!partial.verify(ephemeralPublic: otherR, commitments: s.commitments))
        }
        #expect(cryptoErrorKind { try ThresholdDecryption.combine(Array(s.partials.prefix(2)), ephemeralPublic: otherR,
                                                                  commitments: s.commitments) } == "invalidInput")
        // Honest partials for R' are not valid for R either, even though each proof is genuine.
        let forOther = try s.shares[0].partialDecryption(of: otherR, publicShare: s.commitments.publicShare(for: 1))
        #expect(forOther.verify(ephemeralPublic: otherR, commitments: s.commitments))
        #expect(!forOther.verify(ephemeralPublic: s.r, commitments: s.commitments))
    }

    @Test func partialsAgainstAnotherEpochsCommitmentsFail() throws {
        let s = try Self.setup()
        let (other, _) = try ThresholdKey.generate(epoch: 2, threshold: 2, shareCount: 3)
        for partial in s.partials { #expect(!partial.verify(ephemeralPublic: s.r, commitments: other)) }
    }

    @Test func partialSerialisationIsStableAndStrict() throws {
        let s = try Self.setup()
        let partial = s.partials[2]
        let bytes = partial.serialized
        #expect(bytes.count == 101)
        let decoded = try PartialDecryption(serialized: bytes)
        #expect(decoded == partial && decoded.verify(ephemeralPublic: s.r, commitments: s.commitments))
        let json = try JSONEncoder().encode(partial)
        #expect(try JSONDecoder().decode(PartialDecryption.self, from: json) == partial)
        #expect(cryptoErrorKind { try PartialDecryption(serialized: bytes + [0]) } == "invalidInput")
        #expect(cryptoErrorKind { try PartialDecryption(serialized: Array(bytes.prefix(100))) } == "invalidInput")
        var badPoint = bytes
        badPoint[5...36] = ArraySlice(hexBytes(RistrettoTests.badEncodings[6]))
        #expect(cryptoErrorKind { try PartialDecryption(serialized: badPoint) } == "invalidInput")
        var nonCanonical = bytes
        nonCanonical[69...100] = ArraySlice(RistrettoTests.order)
        #expect(cryptoErrorKind { try PartialDecryption(serialized: nonCanonical) } == "invalidInput")
        var zeroIndex = bytes
        zeroIndex[1...4] = [0, 0, 0, 0]
        #expect(cryptoErrorKind { try PartialDecryption(serialized: zeroIndex) } == "invalidInput")
        #expect(cryptoErrorKind { try PartialDecryption(index: 1, point: .identity, proof: partial.proof) } == "invalidInput")
    }

    @Test func cachedPublicSharesGiveTheSameResult() throws {
        let s = try Self.setup(threshold: 3, shareCount: 5)
        let cache = try s.commitments.publicShares()
        #expect(cache.count == 5)
        for i in 1...5 { #expect(try cache[i] == s.commitments.publicShare(for: i)) }
        let plain = try ThresholdDecryption.combine(Array(s.partials[1...3]), ephemeralPublic: s.r, commitments: s.commitments)
        #expect(try ThresholdDecryption.combine(Array(s.partials[1...3]), ephemeralPublic: s.r, commitments: s.commitments,
                                                publicShares: cache) == plain)
        // A cache from another key cannot make honest partials pass, let alone forged ones.
        let (other, _) = try ThresholdKey.generate(epoch: 1, threshold: 3, shareCount: 5)
        #expect(cryptoErrorKind { try ThresholdDecryption.combine(Array(s.partials[1...3]), ephemeralPublic: s.r,
                                                                  commitments: s.commitments, publicShares: other.publicShares()) }
                == "invalidInput")
    }

    /// Measures the per-message cost of the approval and viewing paths (k = 2, n = 3); prints, never asserts speed.
    @Test func timingPerMessage() throws {
        let (commitments, shares) = try ThresholdKey.generate(epoch: 1, threshold: 2, shareCount: 3)
        let count = 200
        let key = commitments.publicKey
        let clock = ContinuousClock()
        var envelopes: [Envelope] = []
        let sealTime = try clock.measure {
            for i in 0..<count {
                envelopes.append(try Envelope.seal(Array("message \(i)".utf8), header: ThresholdKeyTests.header("t\(i)"), publicKey: key))
            }
        }
        let rs = envelopes.map(\.ephemeralPublic)
        var partials: [[PartialDecryption]] = []
        let partialTime = try clock.measure {
            partials = try shares.prefix(2).map { try $0.partialDecryptions(of: rs, commitments: commitments) }
        }
        let cache = try commitments.publicShares()
        var verified = 0
        let verifyTime = clock.measure {
            for (i, r) in rs.enumerated() where partials[0][i].verify(ephemeralPublic: r, publicShare: cache[1] ?? .generator) {
                verified += 1
            }
        }
        var opened = 0
        let combineTime = try clock.measure {
            for (i, envelope) in envelopes.enumerated() {
                let plaintext = try envelope.open(partials: [partials[0][i], partials[1][i]], commitments: commitments, publicShares: cache)
                if plaintext == Array("message \(i)".utf8) { opened += 1 }
            }
        }
        let lagrangeTime = try clock.measure {
            for (i, envelope) in envelopes.enumerated() {
                let z = try ThresholdDecryption.lagrangeCombine([(1, partials[0][i].point), (2, partials[1][i].point)])
                _ = try envelope.open(combinedKey: z, publicKey: key)
            }
        }
        #expect(verified == count && opened == count)
        func micro(_ d: Duration, per n: Int) -> Int {
            Int((Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12) / Double(n))
        }
        print("threshold timing µs (k=2): seal \(micro(sealTime, per: count)), partial+proof \(micro(partialTime, per: 2 * count)) "
              + "per custodian, verify one partial \(micro(verifyTime, per: count)), verify 2+combine+open \(micro(combineTime, per: count)), "
              + "combine+open of verified partials \(micro(lagrangeTime, per: count)) per message")
    }
}
