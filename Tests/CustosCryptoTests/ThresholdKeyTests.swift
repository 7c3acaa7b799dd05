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

    @Test func shareBoxesOpenOnlyForTheirRecipientAndContext() throws {
        let y = Ristretto255.Scalar.random(), other = Ristretto255.Scalar.random()
        let recipient = try Point.baseMultiple(y)
        let share = Ristretto255.Scalar.random()
        let box = try ShareBox.seal(share, to: recipient, context: [1, 2, 3])
        #expect(try box.open(with: y, recipient: recipient, context: [1, 2, 3]) == share)
        #expect(cryptoErrorKind { try box.open(with: other, recipient: recipient, context: [1, 2, 3]) } == "authenticationFailed")
        #expect(cryptoErrorKind { try box.open(with: y, recipient: recipient, context: [1, 2, 4]) } == "authenticationFailed")
        for byte in [0, 40, ShareBox.length - 1] {
            var bytes = box.bytes
            bytes[byte] ^= 1
            if let flipped = try? ShareBox(bytes: bytes) {
                #expect(cryptoErrorKind { try flipped.open(with: y, recipient: recipient, context: [1, 2, 3]) } != "no error")
            }
        }
        // A proven opening shows anyone the share, and only for the recipient's own key.
        let opening = try box.reveal(with: y, recipientIndex: 4, recipient: recipient)
        #expect(box.open(revealed: opening, recipientIndex: 4, recipient: recipient, context: [1, 2, 3]) == .share(share))
        #expect(box.open(revealed: opening, recipientIndex: 5, recipient: recipient, context: [1, 2, 3]) == nil)
        let lie = try box.reveal(with: other, recipientIndex: 4, recipient: recipient)
        #expect(box.open(revealed: lie, recipientIndex: 4, recipient: recipient, context: [1, 2, 3]) == nil)
        #expect(cryptoErrorKind { try ShareBox(bytes: Array(box.bytes.dropLast())) } == "invalidInput")
    }

    @Test func ceremonyInputValidation() throws {
        let ids = try (0..<3).map { _ in try DeviceIdentity(encryptionKey: Point.baseMultiple(.random()), signingKey: Ed25519.generateKeyPair().publicKey) }
        func setup(_ p: [DeviceIdentity], kind: CeremonySetup.Kind = .newKey, epoch: Int = 1, k: Int = 2, previous: [UInt8] = CeremonySetup.noPrevious) -> String {
            cryptoErrorKind { try CeremonySetup(kind: kind, epoch: epoch, threshold: k, participants: p, previousHash: previous) }
        }
        #expect(setup(ids) == "no error")
        #expect(setup([ids[0]], k: 1) == "no error")
        #expect(setup(ids, k: 0) == "invalidInput")
        #expect(setup(ids, k: 4) == "invalidInput")
        #expect(setup(ids, epoch: 0) == "invalidInput")
        #expect(setup([ids[0], ids[1], ids[0]]) == "invalidInput")
        #expect(setup(ids, kind: .redistribution) == "invalidInput", "a redistribution must name the epoch it redistributes")
        #expect(setup(ids, previous: [1]) == "invalidInput")
        #expect(cryptoErrorKind { try DeviceIdentity(encryptionKey: .identity, signingKey: ids[0].signingKey) } == "invalidKey")
        let parsed = try CeremonySetup(serialized: CeremonySetup(kind: .newKey, epoch: 3, threshold: 2, participants: ids,
                                                                 previousHash: CeremonySetup.noPrevious).serialized)
        #expect(parsed.epoch == 3 && parsed.participants == ids)
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
