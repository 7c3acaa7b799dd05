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

    /// A signed head for `entry`, under the head's own domain tag.
    public func signHead(_ entry: AuditEntry) throws -> AuditCheckpoint {
        let message = AuditChain.headMessage(seq: entry.seq, hash: entry.hash, at: entry.at)
        return AuditCheckpoint(seq: entry.seq, at: entry.at, hash: entry.hash,
                               signature: try Ed25519.sign(message, secretKey: signingKey.secretKey))
    }

    /// Records the committed head outside the database (see `AuditHeadAnchor`); the anchor signs it when it
    /// writes it, so heads replaced before their turn are never signed.
    func anchorCommitted(_ entry: AuditEntry) {
        guard let anchor else { return }
        anchor.advance(seq: entry.seq) { [self] in try? signHead(entry) }
    }

    /// Waits until the newest committed head is in the head file (a server stopping calls this).
    public func flushHead() { anchor?.flush() }
}

/// The latest signed head, kept in a file beside the database. Rows cut from the end of the log
/// leave the database shorter than this file says, which `custos verify` reports as truncation.
///
/// Replacing the file costs milliseconds on ext4 (rename over a file flushes the new one's data), far more
/// than the audited action. Two modes:
/// - `immediate` (command-line runs): a caller writes its head itself when no write is in progress, so its head
///   is on disk when `advance` returns; otherwise it leaves the head to the writer in progress.
/// - `background` (`custos serve`): callers only note their head; one background writer signs and writes the
///   newest noted head until none is waiting, at most once per `interval`. A profile of the search page under
///   load found the synchronous write and signature on the request's own thread (half of an audited search's
///   time alone, and stalls of tens of milliseconds when the disk was busy); a later one found the background
///   writer, replacing the file after every commit, at 7.6 % of the server's CPU. `flush()` waits for the
///   writer; the server calls it when it stops.
/// The file trails the log by at most the commits of one write (`immediate`) or of one `interval` (`background`),
/// as it may after a crash anyway.
public final class AuditHeadAnchor: Sendable {
    public enum Mode: Sendable { case immediate, background }

    /// A head waiting to be written: its sequence number and how to sign it.
    private struct Pending: Sendable {
        let seq: Int64
        let make: @Sendable () -> AuditCheckpoint?
    }

    private struct State {
        /// The newest head taken: written, being written or waiting.
        var newest: Int64 = 0
        var pending: Pending?
        var writing = false
    }

    private enum Step { case nothing, writeHere, startWriter }

    private let path: String
    private let mode: Mode
    private let interval: Duration
    private let state = Mutex(State())
    private let background = DispatchQueue(label: "custos.audit-head")

    /// The background writer's shortest time between two writes of the file.
    public static let backgroundInterval = Duration.milliseconds(50)

    public init(path: String, mode: Mode = .immediate, interval: Duration = AuditHeadAnchor.backgroundInterval) {
        self.path = path
        self.mode = mode
        self.interval = mode == .background ? interval : .zero
    }

    /// Records `checkpoint` as the head unless a later one is already there (commits can finish out of order).
    public func advance(to checkpoint: AuditCheckpoint) {
        advance(seq: checkpoint.seq) { checkpoint }
    }

    /// Records head `seq` unless a later one is already there; `make` signs it, called only if it is written.
    public func advance(seq: Int64, make: @escaping @Sendable () -> AuditCheckpoint?) {
        let step = state.withLock { s -> Step in
            guard seq > s.newest else { return .nothing }
            s.newest = seq
            if s.writing {
                s.pending = Pending(seq: seq, make: make)
                return .nothing
            }
            s.writing = true
            if mode == .background {
                s.pending = Pending(seq: seq, make: make)
                return .startWriter
            }
            return .writeHere
        }
        switch step {
        case .nothing: return
        case .startWriter: background.async { self.drain() }
        case .writeHere:
            write(make())
            let more = state.withLock { s -> Bool in
                if s.pending == nil { s.writing = false }
                return s.pending != nil
            }
            if more { background.async { self.drain() } }
        }
    }

    /// Returns once every head noted before the call is written or superseded by a written one (in `immediate`
    /// mode, a caller writing its own head at that moment is not waited for: its `advance` returns after).
    public func flush() {
        background.sync {}
    }

    /// Writes the newest waiting head until none is left, then lets callers write again. In background mode it
    /// waits `interval` after each write, so the heads noted meanwhile cost one signature and one file between them.
    private func drain() {
        while let next = state.withLock({ s -> Pending? in
            guard let p = s.pending else {
                s.writing = false
                return nil
            }
            s.pending = nil
            return p
        }) {
            write(next.make())
            if interval > .zero {
                let (seconds, attoseconds) = interval.components
                Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
            }
        }
    }

    /// A failed write leaves the older head in place; the next commit's head replaces it.
    private func write(_ checkpoint: AuditCheckpoint?) {
        guard let checkpoint else { return }
        _ = try? AuditHeadFile.write(checkpoint, to: path)
    }
}
