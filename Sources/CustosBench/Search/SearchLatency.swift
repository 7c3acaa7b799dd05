import CustosCore
import CustosRuntime
import CustosWeb

/// Search latency in-process, on the loaded archive: each search through the repository layer exactly as
/// `SearchService` calls it (the store's `read` → `SearchRepository`, a read transaction on a pooled connection,
/// rows decoded into `IndexedMessage`) beside the same SQL run directly on a connection of its own (`DirectSQL`:
/// SQLite's C API, or a plain PostgreSQL connection), interleaved call by call so a slow moment hits both. Every
/// answer is checked against the corpus.
enum SearchLatency {
    /// One measured figure: seconds per call through Custos and directly.
    struct Figure: Sendable {
        let name: String
        var custos: [Double] = []
        var direct: [Double] = []
        /// The p99 target in seconds and the ratio target (Custos ÷ direct), where the issue sets them.
        var p99Target: Double?
        var ratioTarget: Double?
    }

    /// Everything the stage measured and checked.
    struct Result: Sendable {
        var figures: [Figure] = []
        var checks = ArchiveChecks()
        /// The engine's plan of each search's page query.
        var plans: [String] = []
        /// Seconds the measuring thread ran, and waited for a CPU another process held.
        var running = 0.0
        var waiting = 0.0
        var wall = 0.0
        /// Where the whole page's time goes, step by step.
        var stages: [PageStages.Stage] = []
    }

    static let page = SearchService.pageSize
    /// The web app asks for one row more than a page, to know whether there is a next page.
    static let limit = SearchService.pageSize + 1

    /// Measures (a)–(d) with `samples` calls each; with `full`, also the whole page (a quarter as many calls: each
    /// is audited), its steps, and the facets by scanning every message.
    static func run(system: CustosSystem, plan: SearchPlan, auditor: Actor, samples: Int, full: Bool = true) throws -> Result {
        switch system.database {
        case .sqlite:
            return try run(system: system, plan: plan, auditor: auditor, samples: samples, full: full,
                           raw: try RawSQLite(path: CustosSystem.databasePath(system.dataDirectory)))
        case .postgres(let endpoint):
            return try run(system: system, plan: plan, auditor: auditor, samples: samples, full: full, raw: try RawPostgres(endpoint: endpoint))
        }
    }

    private static func run<D: DirectSQL>(system: CustosSystem, plan: SearchPlan, auditor: Actor, samples: Int, full: Bool,
                                          raw: D) throws -> Result {
        var result = Result()
        let sched = Measure.threadScheduling()
        let start = Measure.now()
        for c in plan.cases {
            result.figures.append(try measure(c, system: system, raw: raw, samples: samples, into: &result))
        }
        if full {
            result.figures.append(try wholePage(plan.cases[0], system: system, raw: raw, auditor: auditor, samples: max(20, samples / 4),
                                                into: &result))
        }
        result.figures += try archiveFacets(plan, system: system, raw: raw, samples: samples, scan: full, into: &result)
        if full { result.stages = try PageStages.run(plan.cases[0], system: system, auditor: auditor, samples: max(20, samples / 4)) }
        let after = Measure.threadScheduling()
        (result.running, result.waiting, result.wall) = (after.running - sched.running, after.waiting - sched.waiting, Measure.now() - start)
        return result
    }

    /// The index criteria the web app derives from `q` (blind tokens, day bounds), as `SearchService` builds them.
    static func criteria(_ q: SearchQuery, indexer: MetadataIndexer) -> SearchCriteria {
        var c = SearchCriteria()
        c.participantToken = q.participant.map(indexer.participantToken)
        c.part = q.participant != nil && q.part != .any ? q.part.rawValue : nil
        c.domainToken = q.domain.map(indexer.domainToken)
        c.platform = q.platform
        c.from = q.afterSeconds
        c.until = q.beforeSeconds
        c.cursor = q.cursor
        return c
    }

    private static func measure<D: DirectSQL>(_ c: SearchPlan.Case, system: CustosSystem, raw: D, samples: Int,
                                              into result: inout Result) throws -> Figure {
        var criteria = criteria(c.query, indexer: system.indexer)
        if c.depth > 0 {
            // The keyset position after `depth` results, found once (untimed) as a client paging through would have it.
            let sql = try RepositorySQL(criteria, cursor: false)
            var found: [SearchCursor] = []
            try raw.run("SELECT DISTINCT d.sent_at AS st, d.message_id AS mid " + sql.from + " ORDER BY st DESC, mid DESC LIMIT 1 OFFSET ?",
                        sql.values + [.integer(Int64(c.depth - 1))]) { found.append(SearchCursor(sentAt: try D.int($0, 0), id: try D.int($0, 1))) }
            criteria.cursor = found.first
            result.checks.add(found.first?.sentAt == c.times[c.depth - 1], "\(c.name): the cursor after \(Measure.grouped(c.depth)) results "
                              + "is at the time the corpus predicts")
        }
        let sql = try RepositorySQL(criteria, cursor: true)
        let values = sql.values + [.integer(Int64(limit))]
        let rows = try system.store.read { try $0.search.search(criteria, limit: limit) }
        var directIDs: [Int64] = []
        try raw.run(sql.page, values) { directIDs.append(try D.int($0, 0)) }
        let wanted = min(limit, c.expectedCount - c.depth)
        result.checks.add(rows.count == wanted && Array(rows.prefix(page).map(\.sentAt)) == Array(c.expectedPage) && rows.map(\.id) == directIDs,
                          "\(c.name): \(rows.count) rows in the order the corpus predicts, the same through the repository and directly")
        let total = try system.store.read { try $0.search.count(criteria) }
        var directTotal: Int64 = -1
        let counting = try RepositorySQL(criteria, cursor: false)
        try raw.run(counting.count, counting.values) { directTotal = try D.int($0, 0) }
        result.checks.add(total == c.expectedCount && directTotal == Int64(c.expectedCount),
                          "\(c.name): \(Measure.grouped(total)) matching (corpus: \(Measure.grouped(c.expectedCount)), direct SQL: "
                          + "\(Measure.grouped(Int(directTotal))))")
        result.plans.append(c.name + ": " + (try raw.plan(sql.page, values)).joined(separator: "; "))
        var sink: Int64 = 0
        var figure = try compare(c.name, samples: samples) {
            sink &+= Int64(try system.store.read { try $0.search.search(criteria, limit: limit) }.count)
        } direct: {
            try raw.run(sql.page, values) { sink &+= D.touch($0) }
        }
        (figure.p99Target, figure.ratioTarget) = (0.005, 3)
        return figure
    }

    /// The whole first page as the web app builds it: `SearchService.search` (rows, total, facets, display values
    /// opened, the audit entry written) beside the four statements it needs, run directly.
    private static func wholePage<D: DirectSQL>(_ c: SearchPlan.Case, system: CustosSystem, raw: D, auditor: Actor, samples: Int,
                                                into result: inout Result) throws -> Figure {
        let criteria = criteria(c.query, indexer: system.indexer)
        let sql = try RepositorySQL(criteria, cursor: false)
        let page = try system.search.search(c.query, actor: auditor)
        let monthSum = page.months.reduce(0) { $0 + $1.1 }
        result.checks.add(page.total == c.expectedCount && page.hits.map(\.sentAt) == Array(c.expectedPage) && monthSum == c.expectedCount,
                          "whole page of \(c.name): total \(Measure.grouped(page.total)), \(page.hits.count) rows and month facets "
                          + "as the corpus predicts")
        var sink: Int64 = 0
        return try compare("whole search page in-process: SearchService.search, \(c.name.dropFirst(4))", samples: samples) {
            sink &+= Int64(try system.search.search(c.query, actor: auditor).total)
        } direct: {
            try raw.run(sql.page, sql.values + [.integer(Int64(limit))]) { sink &+= D.touch($0) }
            for statement in [sql.count] + sql.facets(raw.dialect) { try raw.run(statement, sql.values) { sink &+= D.touch($0) } }
        }
    }

    /// (d): platform and month counts over the whole archive from the aggregates, and with `scan` the same by scanning.
    private static func archiveFacets<D: DirectSQL>(_ plan: SearchPlan, system: CustosSystem, raw: D, samples: Int, scan withScan: Bool,
                                                    into result: inout Result) throws -> [Figure] {
        let facets = try system.store.read { try $0.search.archiveFacets() }
        result.checks.add(Dictionary(uniqueKeysWithValues: facets.platforms) == plan.platformCounts
                          && Dictionary(uniqueKeysWithValues: facets.months) == plan.monthCounts,
                          "(d) facet counts: \(facets.platforms.count) platforms and \(facets.months.count) months, every count as the corpus predicts")
        var sink: Int64 = 0
        var figure = try compare("(d) facet counts by platform and month, whole archive", samples: samples) {
            sink &+= Int64(try system.store.read { try $0.search.archiveFacets() }.months.count)
        } direct: {
            for statement in RepositorySQL.archiveFacets { try raw.run(statement, []) { sink &+= D.touch($0) } }
        }
        figure.p99Target = 0.020
        guard withScan else { return [figure] }
        // What keeping aggregates saves: the same counts by scanning every message (a few runs: it is slow).
        var scanned: [String: Int] = [:]
        let statements = RepositorySQL.scanFacets(raw.dialect)
        try raw.run(statements[1], []) { scanned[try D.text($0, 0)] = Int(try D.int($0, 1)) }
        result.checks.add(scanned == plan.monthCounts, "(d) a full scan of messages gives the same month counts")
        var scan = Figure(name: "(d) the same counts by scanning every message (no aggregates)")
        for _ in 0..<5 {
            scan.direct.append(try Measure.time {
                for statement in statements { try raw.run(statement, []) { sink &+= D.touch($0) } }
            }.1)
        }
        return [figure, scan]
    }

    /// `samples` calls of each side, alternating which goes first, after a warm-up of both.
    private static func compare(_ name: String, samples: Int, custos: () throws -> Void, direct: () throws -> Void) throws -> Figure {
        for _ in 0..<min(20, samples) {
            try custos()
            try direct()
        }
        var figure = Figure(name: name)
        figure.custos.reserveCapacity(samples)
        figure.direct.reserveCapacity(samples)
        for i in 0..<samples {
            if i % 2 == 0 {
                figure.custos.append(try Measure.time(custos).1)
                figure.direct.append(try Measure.time(direct).1)
            } else {
                figure.direct.append(try Measure.time(direct).1)
                figure.custos.append(try Measure.time(custos).1)
            }
        }
        return figure
    }
}
