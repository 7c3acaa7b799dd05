import CustosCrypto
import Synchronization

/// Appends chained entries and signed checkpoints. Used only inside a write transaction, so an
/// entry commits with the change it records, and a failed append aborts that change (P7).
public struct AuditLog: Sendable {
    private let signingKey: Ed25519.KeyPair
    private let clock: any Clock
    private let anchor: AuditHeadAnchor?

    public init(signingKey: Ed25519.KeyPair, clock: any Clock, anchor: AuditHeadAnchor?) {
        self.signingKey = signingKey
        self.clock = clock
        self.anchor = anchor
    }

    /// The public half of the signing key, for verification.
    public var publicKey: [UInt8] { signingKey.publicKey }

    /// Chains `draft` after the current head. Any failure becomes `DomainError.auditUnavailable`,
    /// which the caller lets propagate so the surrounding transaction rolls back.
    public func append(_ draft: AuditDraft, in uow: any UnitOfWork) throws -> AuditEntry {
        do {
            let last = try uow.audit.last()
            let seq = (last?.seq ?? 0) + 1
            let prev = last?.hash ?? AuditChain.genesis
            let at = clock.now()
            let hash = AuditChain.hash(prevHash: prev, seq: seq, at: at, actor: draft.actor, role: draft.role,
                                       action: draft.action.rawValue, target: draft.target,
                                       details: draft.details, client: draft.client)
            let entry = AuditEntry(seq: seq, at: at, actor: draft.actor, role: draft.role,
                                   action: draft.action.rawValue, target: draft.target, details: draft.details,
                                   client: draft.client, prevHash: prev, hash: hash)
            try uow.audit.append(entry)
            if seq % AuditChain.checkpointInterval == 0 {
                try uow.audit.appendCheckpoint(sign(entry))
            }
            return entry
        } catch {
            throw DomainError.auditUnavailable
        }
    }

    /// A signed checkpoint for `entry`.
    public func sign(_ entry: AuditEntry) throws -> AuditCheckpoint {
        let message = AuditChain.checkpointMessage(seq: entry.seq, hash: entry.hash, at: entry.at)
        return AuditCheckpoint(seq: entry.seq, at: entry.at, hash: entry.hash,
                               signature: try Ed25519.sign(message, secretKey: signingKey.secretKey))
    }

    /// Records the committed head outside the database (see `AuditHeadAnchor`).
    func anchorCommitted(_ entry: AuditEntry) {
        guard let anchor, let checkpoint = try? sign(entry) else { return }
        anchor.advance(to: checkpoint)
    }
}

/// The latest signed head, kept in a file beside the database. Rows cut from the end of the log
/// leave the database shorter than this file says, which `custos verify` reports as truncation.
public final class AuditHeadAnchor: Sendable {
    private let path: String
    private let written = Mutex<Int64>(0)

    public init(path: String) { self.path = path }

    /// Writes `checkpoint` unless a later one is already there (commits can finish out of order).
    public func advance(to checkpoint: AuditCheckpoint) {
        written.withLock { current in
            guard checkpoint.seq > current else { return }
            if (try? AuditHeadFile.write(checkpoint, to: path)) != nil { current = checkpoint.seq }
        }
    }
}
