import Foundation

/// Produces the quarterly access report for the security role (web) or the command line, and audits it.
public struct AccessReportService: Sendable {
    let archive: Archive
    let indexer: MetadataIndexer
    public let settings: AccessReportSettings

    public init(archive: Archive, indexer: MetadataIndexer, settings: AccessReportSettings = AccessReportSettings()) {
        self.archive = archive
        self.indexer = indexer
        self.settings = settings
    }

    /// The report for `quarter`. Security only (or the system, for the command line); a quarter that has
    /// not begun is refused. Producing it is audited.
    public func generate(_ quarter: Quarter, format: String, actor: Actor) throws -> AccessReport {
        guard actor.role == .security || actor.userID == nil else {
            throw DomainError.forbidden("Access reports are for the security role.")
        }
        let now = archive.clock.now()
        guard quarter.start <= now else { throw DomainError.invalidInput("\(quarter) has not begun yet.") }
        let report = try archive.read { uow -> AccessReport in
            let entries = try uow.audit.entries(from: quarter.start - AccessReportBuilder.lookback, until: quarter.end)
            var requests: [Int64: AccessReportBuilder.RequestInfo] = [:]
            let named = Set(entries.compactMap { e -> Int64? in
                let target = e.action == AuditAction.contentViewed.rawValue ? AccessReportBuilder.detail(e, "grant") ?? "" : e.target
                return target.hasPrefix("request:") ? Int64(target.dropFirst(8)) : nil
            })
            for id in named {
                guard let r = try uow.decryption.find(id: id) else { continue }
                requests[id] = .init(requester: r.requesterName,
                                     reference: (try? indexer.open(r.reference, purpose: "request-reference")) ?? "(unreadable)",
                                     filedAt: r.createdAt)
            }
            return AccessReportBuilder.build(quarter: quarter, settings: settings, entries: entries, requests: requests,
                                             users: try uow.users.all(), now: now)
        }
        try archive.record(actor.draft(.reportGenerated, target: "report:access:\(quarter)",
                                       details: ["format": format, "flags": "\(report.flags.count)"]))
        return report
    }
}
