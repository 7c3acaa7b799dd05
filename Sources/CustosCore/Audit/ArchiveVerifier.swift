import CustosCrypto
import Foundation

/// Checks the message store against the audit chain: every stored ciphertext still hashes to its
/// recorded hash, every message's index row, participants and envelope still agree with its seal (the
/// group that disagrees is named), and every message belongs to exactly one audited ingest batch whose
/// digest over the seals matches — so altering, swapping, removing or slipping in a message, or moving
/// its sent time, participants or class out of a hold's reach, is detected. A disposed message
/// (tombstone) has no ciphertext left: it passes only with its disposal recorded and audited, and its
/// recorded hash still counts in its batch's digest, so the chain stays whole.
public struct ArchiveVerifier: Sendable {
    /// The outcome: how many messages were checked and the first problem, if any.
    public struct Report: Sendable, Equatable {
        public var ok: Bool
        public var messages: Int64
        public var failure: String?
        /// Of `messages`, how many were stored before seals and are covered only for id, uid and ciphertext.
        public var unsealed: Int64 = 0
    }

    public init() {}

    /// Verifies the store. Run after the audit chain itself verified, so the batch entries can be trusted.
    public func verify(_ uow: any UnitOfWork) throws -> Report {
        if let failure = try Self.verifyEpochs(uow) { return Report(ok: false, messages: 0, failure: failure) }
        var batches: [IngestBatch] = []
        for e in try uow.audit.entries(action: AuditAction.messagesIngested.rawValue) {
            switch IngestBatch.parse(e) {
            case .batch(let b): batches.append(b)
            case .empty: continue
            case .unreadable: return Report(ok: false, messages: 0, failure: "audit entry \(e.seq) (messages.ingested) has unreadable details")
            }
        }
        batches.sort { $0.first < $1.first }
        var auditedDisposals: Set<Int64> = []
        for e in try uow.audit.entries(action: AuditAction.messageDisposed.rawValue) {
            if e.target.hasPrefix("message:"), let id = Int64(e.target.dropFirst("message:".count)) { auditedDisposals.insert(id) }
        }
        var report = Report(ok: true, messages: 0, failure: nil)
        var index = 0
        var hasher = BLAKE2b.Hasher()
        var inBatch: Int64 = 0
        struct Stop: Error {}
        func fail(_ message: String) throws -> Never {
            report.ok = false
            report.failure = message
            throw Stop()
        }
        func closeBatch() throws {
            let b = batches[index]
            guard inBatch == b.stored, Sodium.constantTimeEqual(hasher.finalize(), b.digest) else { try fail(b.mismatch) }
            index += 1
            inBatch = 0
            hasher = BLAKE2b.Hasher()
        }
        // A hold can be released only through its audited step: a release the log does not record was made behind it.
        var auditedReleases: Set<Int64> = []
        for e in try uow.audit.entries(action: AuditAction.holdReleased.rawValue) {
            if e.target.hasPrefix("hold:"), let id = Int64(e.target.dropFirst("hold:".count)) { auditedReleases.insert(id) }
        }
        if let unaudited = try uow.holds.releasedHoldIDs().first(where: { !auditedReleases.contains($0) }) {
            return Report(ok: false, messages: 0, failure: "legal hold \(unaudited) was released without an audited release")
        }
        do {
            try uow.messages.forEachForVerification(withCiphertext: true) { m in
                report.messages += 1
                if m.disposed {
                    guard m.ciphertext == nil else { try fail("message \(m.id) is recorded as disposed but its ciphertext is still stored") }
                    guard auditedDisposals.contains(m.id) else {
                        try fail("message \(m.id) was disposed of without an audited disposal")
                    }
                } else if m.ciphertext == nil {
                    try fail("message \(m.id): its ciphertext is missing and no disposal is recorded")
                }
                guard m.disposed || m.ciphertext.map({ Sodium.constantTimeEqual(BLAKE2b.hash($0), m.facts.ciphertextHash) }) == true else {
                    try fail("message \(m.id): its ciphertext does not match its recorded hash")
                }
                while index < batches.count && m.id > batches[index].last { try closeBatch() }
                guard index < batches.count, m.id >= batches[index].first else {
                    try fail("message \(m.id) is not recorded in any audited ingest batch")
                }
                let batch = batches[index]
                var seal: [UInt8]?
                if batch.sealed {
                    guard let stored = m.seal else {
                        try fail("message \(m.id) has lost the seal its ingest record (audit entry \(batch.seq)) covers")
                    }
                    // Recomputed from the row: an edited field shows here by name; an edited seal, in the batch digest.
                    let recomputed = MessageSeal.seal(m.facts, stored: stored)
                    if let problem = MessageIntegrity.describe(m.id, MessageSeal.differences(recomputed, stored)) { try fail(problem) }
                    seal = recomputed
                } else {
                    report.unsealed += 1
                }
                _ = batch.absorb(hasher, id: m.id, uid: m.facts.uid, ciphertextHash: m.facts.ciphertextHash, seal: seal)
                inBatch += 1
            }
            while index < batches.count { try closeBatch() }
        } catch is Stop {
            return report
        }
        return report
    }

    /// Every device-made epoch row agrees with its transcript, the chain of transcripts and signatures verifies,
    /// and each epoch came into force through an audited activation naming its transcript hash: a row slipped
    /// into the table, or edited, is named.
    static func verifyEpochs(_ uow: any UnitOfWork) throws -> String? {
        let (chain, problem) = try EpochRegistry().verifiedPrefix(uow)
        if let problem { return problem.description }
        var activated: [String: String] = [:]
        for e in try uow.audit.entries(action: AuditAction.keyEpochActivated.rawValue) {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(e.details.utf8)) as? [String: String] else { continue }
            activated[e.target] = obj["transcript_hash"]
        }
        for epoch in chain where activated["epoch:\(epoch.epoch)"] != Hex.encode(epoch.transcript.hash) {
            return "key epoch \(epoch.epoch) has no audited activation with its transcript hash"
        }
        return nil
    }
}
