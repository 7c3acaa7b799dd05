import CustosCrypto
import Synchronization

/// An epoch whose row agrees with its transcript and whose transcript the chain vouches for.
public struct VerifiedEpoch: Sendable {
    public let record: KeyEpochRecord
    public let signed: SignedEpoch

    public var epoch: Int { record.epoch }
    public var transcript: EpochTranscript { signed.transcript }
    public var commitments: FeldmanCommitments { signed.transcript.feldman }
    public var publicKey: ArchivePublicKey { signed.transcript.publicKey }
}

/// Why an epoch row cannot be trusted, naming it.
public struct EpochIntegrityError: Error, Sendable, Equatable, CustomStringConvertible {
    public let epoch: Int
    public let reason: String
    public var description: String { "key epoch \(epoch): \(reason)" }
}

/// The archive's chain of key epochs, each checked against its transcript and signatures before the
/// server serves it to capture clients, accepts envelopes sealed to it, or asks custodians to decrypt
/// under it. A row inserted or edited behind the application's back fails here (P3): the server itself
/// never trusts a key that its custodians did not sign.
public final class EpochRegistry: Sendable {
    /// Verified chains by the transcript hashes they were built from: each check costs a few group
    /// operations per epoch, and every ingest batch asks.
    private let verified = Mutex<(hashes: [[UInt8]], chain: [VerifiedEpoch])?>(nil)

    public init() {}

    /// The chain of device-made epochs, oldest first, every one verified. Legacy (dealer-made) epochs are
    /// not in it. Throws naming the first epoch that does not verify.
    public func chain(_ uow: any UnitOfWork) throws -> [VerifiedEpoch] {
        let (chain, problem) = try verifiedPrefix(uow)
        if let problem { throw problem }
        return chain
    }

    /// The verified epochs up to the first that does not verify, and what is wrong with that one.
    public func verifiedPrefix(_ uow: any UnitOfWork) throws -> (chain: [VerifiedEpoch], problem: EpochIntegrityError?) {
        let rows = try uow.keys.epochs().filter { $0.kind != "legacy" }.sorted { $0.epoch < $1.epoch }
        let hashes = rows.map { $0.transcriptHash ?? [] }
        if let cached = verified.withLock({ $0 }), cached.hashes == hashes, cached.chain.count == rows.count,
           zip(cached.chain, rows).allSatisfy({ $0.record == $1 }) {
            return (cached.chain, nil)
        }
        var chain: [VerifiedEpoch] = []
        for row in rows {
            do {
                let next = try Self.verify(row, after: chain.last, signatures: uow.keys.signatures(epoch: row.epoch))
                try EpochChain.verifyLink(next.signed, after: chain.last?.signed)
                chain.append(next)
            } catch let e as EpochIntegrityError {
                return (chain, e)
            } catch let e as EpochChainError {
                return (chain, EpochIntegrityError(epoch: row.epoch, reason: e.description))
            }
        }
        let result = chain
        verified.withLock { $0 = (hashes, result) }
        return (result, nil)
    }

    /// The newest verified epoch, which capture clients seal to.
    public func current(_ uow: any UnitOfWork) throws -> VerifiedEpoch? { try chain(uow).last }

    /// The epoch whose holders decrypt messages sealed to `epoch`: itself, or the newest redistribution of it.
    public static func holding(_ epoch: Int, in chain: [VerifiedEpoch]) -> VerifiedEpoch? {
        guard var at = chain.firstIndex(where: { $0.epoch == epoch }) else { return nil }
        while at + 1 < chain.count, chain[at + 1].record.kind == "redistribution" { at += 1 }
        return chain[at]
    }

    /// One row against its transcript: every stored field must be what the transcript says.
    static func verify(_ row: KeyEpochRecord, after previous: VerifiedEpoch?, signatures: [EpochSignature]) throws -> VerifiedEpoch {
        func fail(_ reason: String) -> EpochIntegrityError { EpochIntegrityError(epoch: row.epoch, reason: reason) }
        guard let bytes = row.transcript, let transcript = try? EpochTranscript(serialized: bytes) else {
            throw fail("it has no readable transcript")
        }
        guard row.transcriptHash == transcript.hash else { throw fail("its transcript hash does not match its transcript") }
        let setup = transcript.setup
        guard setup.epoch == row.epoch, setup.threshold == row.threshold, setup.shareCount == row.shareCount,
              setup.kind.name == row.kind else { throw fail("its number, kind, threshold or size disagree with its transcript") }
        guard row.publicKey == transcript.publicKey.serialized else { throw fail("its public key is not the key its transcript made") }
        guard row.commitments == transcript.feldman.serialized else { throw fail("its commitments are not its transcript's") }
        guard row.previousEpoch == previous?.epoch else { throw fail("it does not follow the epoch before it") }
        // The transcript's own proofs and signatures are EpochChain.verifyLink's, which the caller runs next.
        return VerifiedEpoch(record: row, signed: SignedEpoch(transcript: transcript, signatures: signatures))
    }
}
