@testable import CustosCrypto
import Foundation
import Testing

/// What a capture client checks before sealing: the chain of epochs from its trust root. Each test is
/// one way a server, root on it, or the network could try to put another key in front of the client.
@Suite struct EpochChainTests {
    let c: [CustodianDevice]

    init() throws { c = try (0..<5).map { _ in try CeremonyHarness.device() } }

    @Test func aGenuineChainVerifiesToItsNewestKey() throws {
        let first = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let second = try CeremonyHarness.newKey([c[2], c[3], c[4]], k: 2, epoch: 2, previous: first, endorsers: [c[0], c[1]])
        let (key, hash) = try EpochChain.verify(root: first.transcript.hash, chain: [first, second])
        #expect(key == second.transcript.publicKey && hash == second.transcript.hash)
        #expect(try EpochChain.parseRoot(EpochChain.root(of: first.transcript)) == first.transcript.hash)
        // Round trip through the wire form.
        let json = try JSONEncoder().encode([first, second])
        #expect(try JSONDecoder().decode([SignedEpoch].self, from: json) == [first, second])
    }

    @Test func aSwappedFirstEpochIsNotTheRoot() throws {
        let genuine = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let puppet = try CeremonyHarness.newKey([c[3], c[4]], k: 2)
        #expect(throws: EpochChainError.self) { try EpochChain.verify(root: genuine.transcript.hash, chain: [puppet]) }
    }

    @Test func aTranscriptAlteredAfterSigningIsRefused() throws {
        let first = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let second = try CeremonyHarness.newKey([c[2], c[3]], k: 2, epoch: 2, previous: first, endorsers: [c[0], c[1]])
        // Replace epoch 2's key by a key of the attacker's, keeping every signature.
        let attacker = [c[4], try CeremonyHarness.device()]
        let swapped = try CeremonyHarness.newKey(attacker, k: 2, epoch: 2, previous: first)
        let forged = SignedEpoch(transcript: swapped.transcript, signatures: second.signatures)
        #expect(throws: EpochChainError.self) { try EpochChain.verify(root: first.transcript.hash, chain: [first, forged]) }
        // Flip one bit of a serialised transcript: it no longer parses, or it no longer matches its signatures.
        var bytes = second.transcript.serialized
        bytes[bytes.count - 5] ^= 1
        if let altered = try? EpochTranscript(serialized: bytes) {
            #expect(throws: EpochChainError.self) {
                try EpochChain.verify(root: first.transcript.hash, chain: [first, SignedEpoch(transcript: altered, signatures: second.signatures)])
            }
        }
    }

    @Test func aMissingSignatureIsRefused() throws {
        let first = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let unsigned = SignedEpoch(transcript: first.transcript, signatures: Array(first.signatures.dropLast()))
        #expect(throws: EpochChainError.self) { try EpochChain.verify(root: first.transcript.hash, chain: [unsigned]) }
        // A new epoch signed by its own (puppet) custodians and only one custodian of the epoch before.
        let second = try CeremonyHarness.newKey([c[3], c[4]], k: 2, epoch: 2, previous: first, endorsers: [c[0]])
        do {
            _ = try EpochChain.verify(root: first.transcript.hash, chain: [first, second])
            Issue.record("an epoch endorsed by 1 of 2 needed custodians was accepted")
        } catch let e as EpochChainError {
            #expect(e.description.contains("1 custodians of epoch 1; 2 are needed"))
        }
        // Signatures by strangers do not count as the old set's.
        let strangers = SignedEpoch(transcript: second.transcript,
                                    signatures: second.signatures + [try c[3].endorse(second.transcript), try c[4].endorse(second.transcript)])
        #expect(throws: EpochChainError.self) { try EpochChain.verify(root: first.transcript.hash, chain: [first, strangers]) }
    }

    @Test func anEpochThatDoesNotFollowItsPredecessorIsRefused() throws {
        let first = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let other = try CeremonyHarness.newKey([c[0], c[1], c[2]], k: 2)
        let second = try CeremonyHarness.newKey([c[3], c[4]], k: 2, epoch: 2, previous: other, endorsers: [c[0], c[1]])
        #expect(throws: EpochChainError.self) { try EpochChain.verify(root: first.transcript.hash, chain: [first, second]) }
        #expect(throws: EpochChainError.self) { try EpochChain.verify(root: first.transcript.hash, chain: []) }
        #expect(throws: EpochChainError.self) { try EpochChain.parseRoot("abc") }
    }
}
