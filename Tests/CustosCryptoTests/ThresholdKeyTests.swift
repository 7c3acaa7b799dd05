@testable import CustosCrypto
import Foundation
import Testing

/// All size-`size` subsets of `items`, in lexicographic order.
func subsets<T>(of items: [T], size: Int) -> [[T]] {
    guard size > 0 else { return [[]] }
    guard items.count >= size else { return [] }
    let head = items[0], tail = Array(items.dropFirst())
    return subsets(of: tail, size: size - 1).map { [head] + $0 } + subsets(of: tail, size: size)
}

/// Key ceremony, Feldman verification and the k-of-n property of threshold decryption.
@Suite struct ThresholdKeyTests {
    typealias Point = Ristretto255.Point

    static let plaintext = Array("Quarterly numbers attached; do not forward.".utf8)

    static func header(_ uid: String, epoch: Int = 1) -> EnvelopeHeader {
        EnvelopeHeader(uid: uid, epoch: epoch, platform: "email", sentAt: 1_700_000_000)
    }

    @Test(arguments: [(5, 3), (3, 2)])
    func everyKSubsetOpensAndNoKMinusOneSubsetDoes(n: Int, k: Int) throws {
        let (commitments, shares) = try ThresholdKey.generate(epoch: 1, threshold: k, shareCount: n)
        let envelope = try Envelope.seal(Self.plaintext, header: Self.header("m-\(n)-\(k)"), publicKey: commitments.publicKey)
        let r = envelope.ephemeralPublic
        let partials = try shares.map { try $0.partialDecryption(of: r, publicShare: commitments.publicShare(for: $0.index)) }

        let full = subsets(of: partials, size: k)
        #expect(full.count == (n == 5 ? 10 : 3))
        var combined: Set<Point> = []
        for subset in full {
            let z = try ThresholdDecryption.combine(subset, ephemeralPublic: r, commitments: commitments)
            combined.insert(z)
            #expect(try envelope.open(combinedKey: z, publicKey: commitments.publicKey) == Self.plaintext)
            #expect(try envelope.open(partials: subset.reversed(), commitments: commitments) == Self.plaintext)
        }
        #expect(combined.count == 1, "every k-subset must give the same Z")
        let z = try #require(combined.first)

        let short = subsets(of: partials, size: k - 1)
        #expect(short.count == (n == 5 ? 10 : 3))
        for subset in short {
            let wrong = try ThresholdDecryption.lagrangeCombine(subset.map { ($0.index, $0.point) })
            #expect(wrong != z)
            #expect(cryptoErrorKind { try envelope.open(combinedKey: wrong, publicKey: commitments.publicKey) } == "authenticationFailed")
            #expect(cryptoErrorKind { try ThresholdDecryption.combine(subset, ephemeralPublic: r, commitments: commitments) }
                    == "invalidInput")
        }
    }

    @Test func publicKeyIsC0AndSharesMatchTheirCommitments() throws {
        let (commitments, shares) = try ThresholdKey.generate(epoch: 4, threshold: 3, shareCount: 5)
        #expect(commitments.publicKey.point == commitments.points[0])
        #expect(commitments.publicKey.epoch == 4)
        #expect(commitments.threshold == 3 && commitments.shareCount == 5)
        for share in shares { #expect(share.matches(commitments)) }
        // The same shares against another polynomial's commitments do not verify.
        let (other, _) = try ThresholdKey.generate(epoch: 4, threshold: 3, shareCount: 5)
        for share in shares { #expect(!share.matches(other)) }
        // A wiped share is unusable rather than silently zero.
        shares[0].wipe()
        #expect(!shares[0].matches(commitments))
        #expect(cryptoErrorKind { try shares[0].partialDecryption(of: .generator, publicShare: .generator) } == "invalidKey")
    }

    @Test func publicSharesInterpolateToThePublicKey() throws {
        // P_i = s_i·G are points on the committed polynomial "in the exponent": any k of them give P at 0.
        let (commitments, _) = try ThresholdKey.generate(epoch: 1, threshold: 3, shareCount: 5)
        let publicShares = try (1...5).map { (index: $0, point: try commitments.publicShare(for: $0)) }
        for subset in subsets(of: publicShares, size: 3) {
            #expect(try ThresholdDecryption.lagrangeCombine(subset) == commitments.publicKey.point)
        }
        #expect(try ThresholdDecryption.lagrangeCombine(Array(publicShares.prefix(2))) != commitments.publicKey.point)
    }

    @Test func ceremonySealsOneShareToEachCustodian() throws {
        let custodians = (0..<3).map { _ in X25519KeyPair() }
        let ceremony = try ThresholdKey.ceremony(epoch: 2, threshold: 2, custodianPublicKeys: custodians.map(\.publicKey))
        #expect(ceremony.sealedShares.map(\.index) == [1, 2, 3])
        #expect(ceremony.publicKey == ceremony.commitments.publicKey)
        for (custodian, sealed) in zip(custodians, ceremony.sealedShares) {
            #expect(sealed.custodianPublicKey == custodian.publicKey && sealed.epoch == 2)
            let share = try KeyShare(opening: sealed, with: custodian)
            #expect(share.index == sealed.index && share.matches(ceremony.commitments))
        }
        // Another custodian's key does not open the share.
        #expect(cryptoErrorKind { try KeyShare(opening: ceremony.sealedShares[0], with: custodians[1]) } == "invalidKey")
    }

    @Test func sealedSharesSerialiseStably() throws {
        let custodians = (0..<2).map { _ in X25519KeyPair() }
        let ceremony = try ThresholdKey.ceremony(epoch: 5, threshold: 2, custodianPublicKeys: custodians.map(\.publicKey))
        let sealed = ceremony.sealedShares[1]
        let bytes = sealed.serialized
        #expect(bytes.count == 1 + 8 + 4 + 32 + 93)
        #expect(try SealedShare(serialized: bytes) == sealed)
        #expect(try JSONDecoder().decode(SealedShare.self, from: JSONEncoder().encode(sealed)) == sealed)
        #expect(try KeyShare(opening: SealedShare(serialized: bytes), with: custodians[1]).matches(ceremony.commitments))
        #expect(cryptoErrorKind { try SealedShare(serialized: bytes + [0]) } == "invalidInput")
        #expect(cryptoErrorKind { try SealedShare(serialized: Array(bytes.dropLast())) } == "invalidInput")
        #expect(cryptoErrorKind { try SealedShare(epoch: 5, index: 0, custodianPublicKey: sealed.custodianPublicKey, sealed: sealed.sealed) }
                == "invalidInput")
        // Relabelling a sealed share (index 2 as index 1) is caught when it is opened.
        let relabelled = try SealedShare(epoch: 5, index: 1, custodianPublicKey: sealed.custodianPublicKey, sealed: sealed.sealed)
        #expect(cryptoErrorKind { try KeyShare(opening: relabelled, with: custodians[1]) } == "invalidInput")
    }

    @Test func corruptedSharesFailVerification() throws {
        let custodians = (0..<3).map { _ in X25519KeyPair() }
        let ceremony = try ThresholdKey.ceremony(epoch: 3, threshold: 2, custodianPublicKeys: custodians.map(\.publicKey))
        // The sealed plaintext is version 1 ‖ i64 epoch ‖ u32 index ‖ s_i (45 bytes).
        let raw = try SealedBox.open(ceremony.sealedShares[0].sealed, with: custodians[0])
        #expect(raw.count == 45 && raw[0] == 1 && raw[12] == 1)
        func reseal(_ plaintext: [UInt8], index: Int = 1) throws -> KeyShare {
            let sealed = try SealedShare(epoch: 3, index: index, custodianPublicKey: custodians[0].publicKey,
                                         sealed: SealedBox.seal(plaintext, to: custodians[0].publicKey))
            return try KeyShare(opening: sealed, with: custodians[0])
        }
        #expect(try reseal(raw).matches(ceremony.commitments), "an unmodified share still verifies")
        for byte in [13, 20, 40] {
            var flipped = raw
            flipped[byte] ^= 0x01  // low bits only, so the scalar stays below ℓ
            #expect(try !reseal(flipped).matches(ceremony.commitments), "bit flip in byte \(byte)")
        }
        // Custodian 2's genuine share presented as share 1 does not verify at x = 1.
        var other = try SealedBox.open(ceremony.sealedShares[1].sealed, with: custodians[1])
        other[12] = 1
        #expect(try !reseal(other).matches(ceremony.commitments))
        // A label that disagrees with the sealed contents is refused outright.
        #expect(cryptoErrorKind { try reseal(raw, index: 2) } == "invalidInput")
        var badVersion = raw
        badVersion[0] = 9
        #expect(cryptoErrorKind { try reseal(badVersion) } == "invalidInput")
        #expect(cryptoErrorKind { try reseal(Array(raw.dropLast())) } == "invalidInput")
    }

    @Test func ceremonyInputValidation() {
        let keys = (0..<3).map { _ in X25519KeyPair().publicKey }
        #expect(cryptoErrorKind { try ThresholdKey.ceremony(epoch: 1, threshold: 1, custodianPublicKeys: keys) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdKey.ceremony(epoch: 1, threshold: 4, custodianPublicKeys: keys) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdKey.ceremony(epoch: -1, threshold: 2, custodianPublicKeys: keys) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdKey.ceremony(epoch: 1, threshold: 2, custodianPublicKeys: [keys[0], keys[1], keys[0]]) }
                == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdKey.ceremony(epoch: 1, threshold: 2, custodianPublicKeys: [keys[0], [1, 2]]) }
                == "invalidKey")
        // A low-order custodian key (all zero) cannot be sealed to.
        #expect(cryptoErrorKind {
            try ThresholdKey.ceremony(epoch: 1, threshold: 2, custodianPublicKeys: [keys[0], [UInt8](repeating: 0, count: 32)])
        } == "invalidKey")
        #expect(cryptoErrorKind { try ThresholdKey.generate(epoch: 1, threshold: 2, shareCount: 256) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdKey.generate(epoch: 1, threshold: 0, shareCount: 0) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdKey.generate(epoch: 1, threshold: 2, shareCount: 2) } == "no error")
    }

    @Test func lagrangeRejectsZeroDuplicateAndOutOfRangeIndices() throws {
        let d = try Point.baseMultiple(.random())
        #expect(cryptoErrorKind { try ThresholdDecryption.lagrangeCombine([(1, d), (1, d)]) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdDecryption.lagrangeCombine([(0, d), (1, d)]) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdDecryption.lagrangeCombine([(-3, d), (1, d)]) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdDecryption.lagrangeCombine([(256, d), (1, d)]) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdDecryption.lagrangeCombine([]) } == "invalidInput")
        // λ for {1, 2} at 0 is (2, −1): 2·D_1 − D_2.
        let lambdas = try ThresholdDecryption.lagrangeCoefficients(at: [1, 2])
        #expect(lambdas == [Ristretto255.Scalar(2), -Ristretto255.Scalar.one])
    }

    @Test func combineRejectsDuplicateAndUnknownIndices() throws {
        let (commitments, shares) = try ThresholdKey.generate(epoch: 1, threshold: 2, shareCount: 3)
        let r = try Point.baseMultiple(.random())
        let p1 = try shares[0].partialDecryption(of: r, publicShare: commitments.publicShare(for: 1))
        #expect(cryptoErrorKind { try ThresholdDecryption.combine([p1, p1], ephemeralPublic: r, commitments: commitments) }
                == "invalidInput")
        #expect(cryptoErrorKind { try commitments.publicShare(for: 4) } == "invalidInput")
        #expect(cryptoErrorKind { try commitments.publicShare(for: 0) } == "invalidInput")
        #expect(cryptoErrorKind { try ThresholdDecryption.combine([p1], ephemeralPublic: .identity, commitments: commitments) }
                == "invalidInput")
        #expect(cryptoErrorKind { try shares[0].partialDecryption(of: .identity, publicShare: .generator) } == "invalidInput")
    }

    @Test func commitmentsSerialiseStably() throws {
        let (commitments, _) = try ThresholdKey.generate(epoch: 9, threshold: 3, shareCount: 5)
        let bytes = commitments.serialized
        #expect(bytes.count == 1 + 8 + 4 + 4 + 3 * 32)
        #expect(try FeldmanCommitments(serialized: bytes) == commitments)
        #expect(try JSONDecoder().decode(FeldmanCommitments.self, from: JSONEncoder().encode(commitments)) == commitments)
        #expect(cryptoErrorKind { try FeldmanCommitments(serialized: bytes + [0]) } == "invalidInput")
        #expect(cryptoErrorKind { try FeldmanCommitments(serialized: Array(bytes.dropLast())) } == "invalidInput")
        var badVersion = bytes
        badVersion[0] = 2
        #expect(cryptoErrorKind { try FeldmanCommitments(serialized: badVersion) } == "invalidInput")
        var kAboveN = bytes
        kAboveN[16] = 6  // k = 6 > n = 5
        #expect(cryptoErrorKind { try FeldmanCommitments(serialized: kAboveN) } == "invalidInput")
        #expect(cryptoErrorKind { try FeldmanCommitments(epoch: 1, shareCount: 3, points: [.generator, .identity]) } == "invalidKey")
        let key = commitments.publicKey
        #expect(try ArchivePublicKey(serialized: key.serialized) == key)
        #expect(try JSONDecoder().decode(ArchivePublicKey.self, from: JSONEncoder().encode(key)) == key)
        #expect(cryptoErrorKind { try ArchivePublicKey(epoch: 1, point: .identity) } == "invalidKey")
    }
}
