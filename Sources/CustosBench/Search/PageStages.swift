import CustosCore
import CustosRuntime
import CustosWeb
import Foundation

/// Where the time of one audited search page goes in-process: each step `SearchService.search` takes, run
/// on its own through the same public ports (a read per step, so each figure includes its read transaction),
/// median of `samples` calls. A guide for the next optimisation, not a target.
enum PageStages {
    struct Stage: Sendable {
        var name: String
        var seconds: [Double] = []
        var median: Double { Measure.percentile(seconds, 50) }
    }

    static func run(_ c: SearchPlan.Case, system: CustosSystem, auditor: Actor, samples: Int) throws -> [Stage] {
        let criteria = SearchLatency.criteria(c.query, indexer: system.indexer)
        let rows = try system.store.read { try $0.search.search(criteria, limit: SearchService.pageSize + 1) }
        let ids = rows.prefix(SearchService.pageSize).map(\.id)
        let people = try system.store.read { try $0.search.participants(of: ids) }
        var sink = 0
        let steps: [(String, () throws -> Void)] = [
            ("an empty read transaction", { try system.store.read { _ in sink &+= 1 } }),
            ("page rows", { sink &+= try system.store.read { try $0.search.search(criteria, limit: SearchService.pageSize + 1) }.count }),
            ("total", { sink &+= try system.store.read { try $0.search.count(criteria) } }),
            ("facets", { sink &+= try system.store.read { try $0.search.facets(criteria) }.months.count }),
            ("participants of the page", { sink &+= try system.store.read { try $0.search.participants(of: ids) }.count }),
            ("opening \(people.count + rows.count) display values", {
                for p in people { sink &+= try system.indexer.open(p.display, purpose: "participant").utf8.count }
                for m in rows { sink &+= try system.indexer.open(m.conversationDisplay, purpose: "conversation").utf8.count }
            }),
            ("the audit entry (a write transaction)", {
                _ = try system.archive.transaction { tx in
                    try tx.record(auditor.draft(.searchRun, target: "search", details: ["results": String(sink & 0xff), "page": "first"]))
                }
            }),
        ]
        var stages = steps.map { Stage(name: $0.0) }
        for _ in 0..<min(20, samples) { for s in steps { try s.1() } }
        for _ in 0..<samples {
            for (i, s) in steps.enumerated() { stages[i].seconds.append(try Measure.time(s.1).1) }
        }
        return stages
    }
}
