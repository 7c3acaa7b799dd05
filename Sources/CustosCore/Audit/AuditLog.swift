import CustosCrypto
import Foundation
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
///
/// Replacing the file costs milliseconds on ext4 (rename over a file flushes the new one's data), far more
/// than the audited action: with one write per commit under a lock, concurrent searches queued behind the disk.
/// So a caller writes its head itself only when no write is in progress (a command-line run, an idle server:
/// its head is on disk when `advance` returns); otherwise it leaves the head to the writer in progress, and a
/// background writer keeps replacing the file with the newest head until none is waiting. The file then trails
/// the log by at most the commits of one write, as it may after a crash anyway.
public final class AuditHeadAnchor: Sendable {
    private struct State {
        /// The newest head taken: written, being written or waiting.
        var newest: Int64 = 0
        var pending: AuditCheckpoint?
        var writing = false
    }

    private let path: String
    private let state = Mutex(State())
    private let background = DispatchQueue(label: "custos.audit-head")

    public init(path: String) { self.path = path }

    /// Records `checkpoint` as the head unless a later one is already there (commits can finish out of order).
    public func advance(to checkpoint: AuditCheckpoint) {
        let writeNow = state.withLock { s -> Bool in
            guard checkpoint.seq > s.newest else { return false }
            s.newest = checkpoint.seq
            if s.writing {
                s.pending = checkpoint
                return false
            }
            s.writing = true
            return true
        }
        guard writeNow else { return }
        write(checkpoint)
        let more = state.withLock { s -> Bool in
            if s.pending == nil { s.writing = false }
            return s.pending != nil
        }
        if more { background.async { self.drain() } }
    }

    /// Writes the newest waiting head until none is left, then lets callers write again.
    private func drain() {
        while let next = state.withLock({ s -> AuditCheckpoint? in
            guard let p = s.pending else {
                s.writing = false
                return nil
            }
            s.pending = nil
            return p
        }) {
            write(next)
        }
    }

    /// A failed write leaves the older head in place; the next commit's head replaces it.
    private func write(_ checkpoint: AuditCheckpoint) {
        _ = try? AuditHeadFile.write(checkpoint, to: path)
    }
}
