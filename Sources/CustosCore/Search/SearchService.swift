import CustosCrypto
import Foundation

/// The auditor's metadata search: validated filters become blind tokens, results come newest
/// first with keyset paging, and every search and export is audited with its filters (sealed, as
/// they can name participants) and its result count. Content never enters this path.
public struct SearchService: Sendable {
    let archive: Archive
    let indexer: MetadataIndexer
    /// Totals and facets of recent searches, until the archive's messages change.
    public let aggregates: SearchAggregates

    public init(archive: Archive, indexer: MetadataIndexer, aggregates: SearchAggregates = SearchAggregates()) {
        self.archive = archive
        self.indexer = indexer
        self.aggregates = aggregates
    }

    /// Results per page.
    public static let pageSize = 50
    /// Most rows one CSV export may hold (stated on the page).
    public static let exportLimit = 10_000

    /// One result row, with display values opened.
    public struct Hit: Sendable {
        public var id: Int64
        public var sentAt: Int64
        public var platform: String
        public var conversation: String
        public var conversationKey: String
        public var size: Int
        public var attachmentCount: Int
        public var mediaTypes: String
        public var senders: [String]
        public var recipients: [String]
        /// When the message was disposed of (only its metadata is left), if it was.
        public var disposedAt: Int64?
    }

    /// A page of results with the total and facet counts.
    public struct Page: Sendable {
        public var hits: [Hit]
        public var total: Int
        public var next: SearchCursor?
        public var platforms: [(String, Int)]
        public var months: [(String, Int)]
    }

    /// What the search page shows beside the results: the platforms to filter by, the archive's size and the
    /// person's saved searches.
    public struct Surroundings: Sendable {
        public var platforms: [String]
        public var archiveTotal: Int
        public var saved: [Saved]
    }

    /// Runs a search and records it in the audit log.
    public func search(_ q: SearchQuery, actor: Actor) throws -> Page {
        try run(q, actor: actor, user: nil).page
    }

    /// A search with everything its page shows, read in one transaction; audited.
    public func searchPage(_ q: SearchQuery, actor: Actor, user: User?) throws -> (page: Page, surroundings: Surroundings) {
        try run(q, actor: actor, user: user)
    }

    /// The search page's surroundings alone (the form before a search, or after a refused one).
    public func surroundings(user: User?) throws -> Surroundings {
        try archive.read { uow in
            try surroundings(user: user, whole: try archiveCounts(uow.search, lastMessageID: try uow.search.lastMessageID()), uow: uow)
        }
    }

    func surroundings(user: User?, whole: SearchAggregates.Counts, uow: any UnitOfWork) throws -> Surroundings {
        Surroundings(platforms: whole.platforms.map(\.0).sorted(), archiveTotal: whole.total,
                     saved: try user.map { try savedSearches(user: $0, uow: uow) } ?? [])
    }

    /// The whole archive's counts by platform and month, from the aggregates kept at ingest (two GROUP BYs, ~0.1 ms,
    /// on every search page), remembered until the newest message changes.
    func archiveCounts(_ repo: any SearchRepository, lastMessageID: Int64) throws -> SearchAggregates.Counts {
        try aggregates.archiveCounts(lastMessageID: lastMessageID) {
            let all = try repo.archiveFacets()
            return SearchAggregates.Counts(total: all.platforms.reduce(0) { $0 + $1.1 }, platforms: all.platforms, months: all.months)
        }
    }

    private func run(_ q: SearchQuery, actor: Actor, user: User?) throws -> (page: Page, surroundings: Surroundings) {
        let base = try criteria(for: q)
        // Reads no audit entries, so it may keep a reader's snapshot across the audit entries of other searches.
        let found = try archive.readRecent { uow -> (page: Page, surroundings: Surroundings) in
            let repo = uow.search
            // The newest message names the set every remembered count was taken over.
            let last = try repo.lastMessageID()
            let whole = try archiveCounts(repo, lastMessageID: last)
            let around = try surroundings(user: user, whole: whole, uow: uow)
            try Self.checkPlatform(q, known: around.platforms)
            let criteria = try withHolds(base, q, uow)
            let rows = try repo.search(criteria, limit: Self.pageSize + 1)
            let shown = Array(rows.prefix(Self.pageSize))
            let counts = q.isUnfiltered ? whole : try aggregates.counts(criteria, lastMessageID: last) {
                let facets = try repo.facets(criteria)
                return SearchAggregates.Counts(total: try repo.count(criteria), platforms: facets.platforms, months: facets.months)
            }
            let next = rows.count > Self.pageSize ? shown.last.map { SearchCursor(sentAt: $0.sentAt, id: $0.id) } : nil
            return (Page(hits: try hits(shown, repo: repo), total: counts.total, next: next, platforms: counts.platforms, months: counts.months),
                    around)
        }
        try archive.record(actor.draft(.searchRun, target: "search", details: try auditDetails(q, results: found.page.total)))
        return found
    }

    /// The metadata of up to `exportLimit` matching messages as CSV; audited with its row count.
    public func exportCSV(_ q: SearchQuery, actor: Actor) throws -> (csv: String, rows: Int, truncated: Bool) {
        try checkPlatform(q)
        var base = try criteria(for: q)
        base.cursor = nil
        let (rows, more) = try archive.read { uow -> ([Hit], Bool) in
            let criteria = try withHolds(base, q, uow)
            let found = try uow.search.search(criteria, limit: Self.exportLimit + 1)
            return (try hits(Array(found.prefix(Self.exportLimit)), repo: uow.search), found.count > Self.exportLimit)
        }
        var csv = "id,sent_at_utc,platform,conversation,from,recipients,size_bytes,attachments,attachment_media_types\r\n"
        for h in rows {
            csv += [String(h.id), ISO8601.format(h.sentAt), h.platform, h.conversation, h.senders.joined(separator: "; "),
                    h.recipients.joined(separator: "; "), String(h.size), String(h.attachmentCount), h.mediaTypes]
                .map(CSV.field).joined(separator: ",") + "\r\n"
        }
        var details = try auditDetails(q, results: rows.count)
        details["truncated"] = more ? "yes" : "no"
        try archive.record(actor.draft(.searchExported, target: "search", details: details))
        return (csv, rows.count, more)
    }

    /// Refuses a platform the archive has never held, naming the ones it has.
    func checkPlatform(_ q: SearchQuery) throws {
        guard q.platform != nil else { return }
        try Self.checkPlatform(q, known: try platforms())
    }

    static func checkPlatform(_ q: SearchQuery, known: [String]) throws {
        guard let p = q.platform else { return }
        guard known.contains(p) else {
            throw DomainError.invalidInput("Unknown platform “\(p)”. The archive holds: \(known.isEmpty ? "no messages yet" : known.joined(separator: ", ")).")
        }
    }

    /// How many messages the archive holds (from the aggregates kept at ingest).
    public func archiveTotal() throws -> Int {
        try archive.read { try $0.search.archiveFacets().platforms.reduce(0) { $0 + $1.1 } }
    }

    /// Platforms present in the archive, for the filter list.
    public func platforms() throws -> [String] { try archive.read { try $0.search.platforms() } }

    /// Turns a query into index criteria: addresses become blind tokens, dates become bounds.
    func criteria(for q: SearchQuery) throws -> SearchCriteria {
        var c = SearchCriteria()
        c.participantToken = q.participant.map(indexer.participantToken)
        c.part = q.participant != nil && q.part != .any ? q.part.rawValue : nil
        c.domainToken = q.domain.map(indexer.domainToken)
        if let conv = q.conversation {
            c.conversationToken = conv.count == 64 ? Hex.decode(conv) ?? indexer.conversationToken(conv) : indexer.conversationToken(conv)
        }
        c.platform = q.platform
        c.from = q.afterSeconds
        c.until = q.beforeSeconds
        c.attachments = q.attachments
        c.retentionClass = q.retentionClass
        c.cursor = q.cursor
        return c
    }

    /// Adds the scopes a hold or matter filter stands for. Unknown numbers are refused by name.
    func withHolds(_ base: SearchCriteria, _ q: SearchQuery, _ uow: any UnitOfWork) throws -> SearchCriteria {
        var c = base
        var scopes: [ScopeTokens]?
        func active(_ holds: [HoldRecord]) throws -> [ScopeTokens] {
            try holds.filter(\.active).map { HoldService.tokens(try uow.holds.terms(holdID: $0.id), $0) }
        }
        switch q.hold {
        case .any?: scopes = try active(try uow.holds.activeHolds())
        case .id(let id)?:
            guard let h = try uow.holds.hold(id: id) else { throw DomainError.invalidInput("There is no legal hold number \(id).") }
            scopes = [HoldService.tokens(try uow.holds.terms(holdID: id), h)]
        case nil: break
        }
        if let matter = q.matter {
            guard try uow.holds.matter(id: matter) != nil else { throw DomainError.invalidInput("There is no matter number \(matter).") }
            let inMatter = try active(try uow.holds.holds(matterID: matter))
            // Both filters: messages in the hold's scope that the matter's active holds cover too — kept simple by
            // intersecting on the hold when it belongs to the matter, else nothing.
            if let chosen = scopes, q.hold != nil {
                if case .id(let id)? = q.hold, (try uow.holds.hold(id: id))?.matterID == matter {
                    scopes = chosen
                } else if case .any? = q.hold {
                    scopes = inMatter
                } else {
                    scopes = []
                }
            } else {
                scopes = inMatter
            }
        }
        c.holdScopes = scopes
        return c
    }

    /// Opens display values and groups participants per message.
    func hits(_ rows: [IndexedMessage], repo: any SearchRepository) throws -> [Hit] {
        let people = Dictionary(grouping: try repo.participants(of: rows.map(\.id)), by: \.messageID)
        return rows.map { m in
            let parts = people[m.id] ?? []
            let open = { (p: IndexedParticipant) in (try? indexer.open(p.display, purpose: "participant")) ?? "(unreadable)" }
            return Hit(id: m.id, sentAt: m.sentAt, platform: m.platform,
                       conversation: (try? indexer.open(m.conversationDisplay, purpose: "conversation")) ?? "(unreadable)",
                       conversationKey: Hex.encode(m.conversationToken), size: m.size, attachmentCount: m.attachmentCount,
                       mediaTypes: m.mediaTypes, senders: parts.filter { $0.part == "from" }.map(open),
                       recipients: parts.filter { $0.part != "from" }.map { "\($0.part): \(open($0))" }, disposedAt: m.disposedAt)
        }
    }

    /// Audit details: filters that can name people are sealed; the rest is in clear for review.
    func auditDetails(_ q: SearchQuery, results: Int) throws -> [String: String] {
        var d: [String: String] = ["results": String(results), "page": q.cursor == nil ? "first" : "next"]
        let named = q.parameters.filter { ["participant", "domain", "conversation"].contains($0.0) }
        if !named.isEmpty {
            let text = named.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
            d["named_filters_sealed"] = Hex.encode(try indexer.seal(text, purpose: "audit-filters"))
        }
        for (k, v) in q.parameters where !["participant", "domain", "conversation"].contains(k) { d[k] = v }
        return d
    }
}

/// RFC 4180 fields, with spreadsheet formula injection neutralised.
enum CSV {
    static func field(_ s: String) -> String {
        var v = s
        if let first = v.first, "=+-@\t\r".contains(first) { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }
}

/// UTC timestamps for exports.
public enum ISO8601 {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rem = seconds - days * 86_400
        let (y, m, d) = civil(days)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
    }

    /// `YYYY-MM-DD` of a time, UTC.
    public static func day(_ seconds: Int64) -> String {
        let (y, m, d) = civil(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// The date of a day count since 1970-01-01 (H. Hinnant's algorithm).
    public static func civil(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
