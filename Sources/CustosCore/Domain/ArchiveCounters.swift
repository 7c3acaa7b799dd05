import Metrics

/// The archive's own counters for the operator's monitoring (swift-metrics; `GET /metrics` exposes them).
/// They count outcomes only: no user, message, token, address or other name is ever a dimension.
public enum ArchiveCounters {
    /// Messages a capture client sent, by outcome (`stored`, `duplicate`, `rejected`).
    public static let ingestedMessages = "custos_ingest_messages_total"
    /// Audit entries committed to the chain.
    public static let auditAppends = "custos_audit_appends_total"

    /// Counts the outcome of each item of a committed ingest batch. Counters are looked up at use rather than
    /// kept, so they reach whatever backend was bootstrapped, even one bootstrapped after this archive opened.
    static func ingested(_ results: [IngestResult]) {
        var byStatus: [IngestResult.Status: Int] = [:]
        for result in results { byStatus[result.status, default: 0] += 1 }
        for (status, count) in byStatus {
            Counter(label: ingestedMessages, dimensions: [("outcome", status.rawValue)]).increment(by: count)
        }
    }

    /// Counts audit entries once the transaction that appended them has committed.
    static func auditAppended(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: auditAppends).increment(by: count)
    }
}
