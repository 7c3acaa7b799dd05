import CustosCrypto
import Foundation

/// What an ingest audit entry records of the messages its batch stored.
struct IngestBatch: Sendable {
    var seq: Int64
    var first: Int64
    var last: Int64
    var stored: Int64
    var digest: [UInt8]
    /// Whether the digest covers the messages' seals (scheme 2) or only id, uid and ciphertext hash.
    var sealed: Bool

    enum Parsed {
        case batch(IngestBatch)
        /// The batch stored nothing (every item was a duplicate or was rejected).
        case empty
        case unreadable
    }

    static func parse(_ e: AuditEntry) -> Parsed {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(e.details.utf8)) as? [String: String] else { return .unreadable }
        guard let f = obj["first_id"].flatMap(Int64.init), let l = obj["last_id"].flatMap(Int64.init),
              let n = obj["stored"].flatMap(Int64.init), let d = obj["digest"].flatMap(Hex.decode) else { return .empty }
        return .batch(IngestBatch(seq: e.seq, first: f, last: l, stored: n, digest: d, sealed: obj["digest_scheme"] == ArchiveDigest.sealScheme))
    }

    /// Adds one message to a running digest of this batch's scheme, from its (recomputed) seal or legacy fields.
    func absorb(_ hasher: BLAKE2b.Hasher, id: Int64, uid: String, ciphertextHash: [UInt8], seal: [UInt8]?) -> Bool {
        if sealed {
            guard let seal else { return false }
            ArchiveDigest.absorb(hasher, id: id, seal: seal)
        } else {
            ArchiveDigest.absorbLegacy(hasher, id: id, uid: uid, ciphertextHash: ciphertextHash)
        }
        return true
    }

    var mismatch: String {
        "messages \(first)–\(last) do not match their ingest record (audit entry \(seq)): a message was altered, swapped or removed"
    }
}

/// Checks stored messages against what their audited ingest batch recorded, before an action that trusts the rows:
/// approval (custodians' devices compute partials from the stored ephemeral keys) and disposition (whether a hold
/// covers a message is read from its stored sent time, platform, conversation and participants). A row edited behind
/// the write-once triggers disagrees with its seal, and a seal edited to match disagrees with the audited digest.
/// The audit entry is taken as stored: whether the chain itself was rewritten is what `custos verify` answers.
public struct MessageIntegrity {
    /// Batches already recomputed in this check, by audit sequence number.
    private var checked: [Int64: IngestBatch] = [:]

    public init() {}

    /// Why message `id` must not be trusted, or nil when its row, its seal and its audited batch agree.
    public mutating func problem(messageID id: Int64, in uow: any UnitOfWork) throws -> String? {
        guard let m = try uow.messages.stored(id: id) else { return "message \(id) is not stored" }
        var batch = checked.values.first { $0.first <= id && id <= $0.last }
        if batch == nil {
            guard let entry = try uow.audit.ingestEntry(atOrAfter: id), case .batch(let b) = IngestBatch.parse(entry), b.first <= id else {
                return "message \(id) is not recorded in any audited ingest batch"
            }
            if let problem = try Self.recompute(b, uow) { return problem }
            checked[b.seq] = b
            batch = b
        }
        guard let batch, batch.sealed else { return nil }
        guard let stored = m.seal else { return "message \(id) has lost the seal its ingest record (audit entry \(batch.seq)) covers" }
        return Self.describe(id, MessageSeal.differences(MessageSeal.seal(m.facts, stored: stored), stored))
    }

    /// A message whose row disagrees with its seal in `groups`, named; nil when none.
    static func describe(_ id: Int64, _ groups: [MessageSeal.Group]) -> String? {
        guard !groups.isEmpty else { return nil }
        return "message \(id) no longer matches what was captured: \(groups.map(\.name).joined(separator: "; "))"
    }

    /// Recomputes a batch's digest from the stored seals (or, before seals, ids, uids and ciphertext hashes).
    static func recompute(_ b: IngestBatch, _ uow: any UnitOfWork) throws -> String? {
        let rows = try uow.messages.sealRows(first: b.first, last: b.last)
        let hasher = BLAKE2b.Hasher()
        for r in rows where !b.absorb(hasher, id: r.id, uid: r.uid, ciphertextHash: r.ciphertextHash, seal: r.seal) {
            return "message \(r.id) has lost the seal its ingest record (audit entry \(b.seq)) covers"
        }
        guard Int64(rows.count) == b.stored, Sodium.constantTimeEqual(hasher.finalize(), b.digest) else { return b.mismatch }
        return nil
    }
}
