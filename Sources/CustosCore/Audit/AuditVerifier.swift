import CustosCrypto

/// Recomputes the audit chain, checks every checkpoint signature and the signed head file.
/// It stops at the first break and names it, so `custos verify` can say exactly what was tampered.
public struct AuditVerifier: Sendable {
    /// The outcome of a verification run.
    public struct Report: Sendable, Equatable {
        public var ok: Bool
        public var entries: Int64
        public var checkpoints: Int
        public var headSeq: Int64?
        /// The first problem found, in words; nil when everything holds.
        public var failure: String?
        /// The sequence number of the entry where the first problem lies.
        public var failedSeq: Int64?
    }

    private let publicKey: [UInt8]

    public init(publicKey: [UInt8]) { self.publicKey = publicKey }

    /// Verifies the log held by `uow` against `head` (the signed head file, if any) and against `anchors`:
    /// signed heads copied out earlier (printed, mailed, timestamped). An anchor catches what the head file
    /// alone cannot: a truncated log served with an older, genuinely signed head put back in place (a replay).
    public func verify(_ uow: any UnitOfWork, head: AuditCheckpoint?, anchors: [(label: String, head: AuditCheckpoint)] = []) throws -> Report {
        var report = Report(ok: true, entries: 0, checkpoints: 0, headSeq: head?.seq, failure: nil, failedSeq: nil)
        var expectedSeq: Int64 = 1
        var prevHash = AuditChain.genesis
        var hashes: [Int64: [UInt8]] = [:]
        let checkpoints = try uow.audit.checkpoints()
        let wanted = Set(checkpoints.map(\.seq) + (head.map { [$0.seq] } ?? []) + anchors.map(\.head.seq))

        struct Stop: Error {}
        func fail(_ seq: Int64, _ message: String) throws -> Never {
            report.ok = false
            report.failedSeq = seq
            report.failure = message
            throw Stop()
        }

        do {
            try uow.audit.forEachEntry { e in
                if e.seq != expectedSeq {
                    if e.seq > expectedSeq {
                        try fail(expectedSeq, "audit entry \(expectedSeq) is missing (the log jumps from \(expectedSeq - 1) to \(e.seq))")
                    }
                    try fail(e.seq, "audit entry \(e.seq) is out of order")
                }
                if !Sodium.constantTimeEqual(e.prevHash, prevHash) {
                    try fail(e.seq, "audit entry \(e.seq) does not link to entry \(e.seq - 1) (entries deleted, reordered or altered)")
                }
                if !Sodium.constantTimeEqual(AuditChain.recompute(e), e.hash) {
                    try fail(e.seq, "audit entry \(e.seq) was altered (its hash does not match its contents)")
                }
                if wanted.contains(e.seq) { hashes[e.seq] = e.hash }
                prevHash = e.hash
                expectedSeq += 1
                report.entries += 1
            }
            let lastSeq = expectedSeq - 1
            // A checkpoint is written with every N-th entry; one that is missing was removed.
            let present = Set(checkpoints.map(\.seq))
            var due = AuditChain.checkpointInterval
            while due <= lastSeq {
                if !present.contains(due) { try fail(due, "the signed checkpoint at entry \(due) is missing (deleted)") }
                due += AuditChain.checkpointInterval
            }
            for c in checkpoints {
                try check(c, label: "checkpoint at entry \(c.seq)", head: false, lastSeq: lastSeq, hashes: hashes, fail: fail)
                report.checkpoints += 1
            }
            if let head {
                try check(head, label: "signed head (audit-head.json) at entry \(head.seq)", head: true, lastSeq: lastSeq,
                          hashes: hashes, fail: fail)
            } else if lastSeq > 0 {
                try fail(lastSeq, "the signed head (audit-head.json) is missing; without it a truncated log cannot be ruled out")
            }
            for a in anchors {
                try check(a.head, label: "anchored head \(a.label) at entry \(a.head.seq)", head: true, lastSeq: lastSeq, hashes: hashes,
                          fail: fail)
            }
        } catch is Stop {
            return report
        }
        return report
    }

    /// One signature over (seq, hash, time): a head's under its own tag, a checkpoint's under the checkpoint tag.
    private func check(_ c: AuditCheckpoint, label: String, head: Bool, lastSeq: Int64, hashes: [Int64: [UInt8]],
                       fail: (Int64, String) throws -> Never) throws {
        let message = head ? AuditChain.headMessage(seq: c.seq, hash: c.hash, at: c.at)
                           : AuditChain.checkpointMessage(seq: c.seq, hash: c.hash, at: c.at)
        guard Ed25519.verify(signature: c.signature, message: message, publicKey: publicKey) else {
            try fail(c.seq, "\(label) has an invalid signature (forged or altered)")
        }
        guard c.seq <= lastSeq else {
            try fail(lastSeq + 1, "audit log truncated: \(label) is signed, but the log ends at entry \(lastSeq); entries \(lastSeq + 1)–\(c.seq) are missing")
        }
        guard let h = hashes[c.seq], Sodium.constantTimeEqual(h, c.hash) else {
            try fail(c.seq, "\(label) does not match audit entry \(c.seq) (the log was rewritten)")
        }
    }
}
