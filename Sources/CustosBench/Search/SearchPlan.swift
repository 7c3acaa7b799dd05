import CustosCore
import Foundation

/// The searches of the search benchmark, picked from the corpus (the busiest participant, a median one,
/// a partner domain with a platform, a month), with what each must find: `SyntheticCorpus` computes
/// message i from i alone, so one pass over the generator gives every expected count, the sent times
/// of every match in result order, and the whole-archive facet counts, without reading the archive.
struct SearchPlan: Sendable {
    /// One search and what the archive must answer to it.
    struct Case: Sendable {
        /// Short name used in the table, e.g. "(a) busiest participant + 1 month".
        let name: String
        /// The query as the web app parses it from `/search?…`.
        let query: SearchQuery
        /// Results skipped before the measured page (a keyset page this deep), 0 for the first page.
        let depth: Int
        /// The exact filter, applied to the corpus.
        let filter: CorpusFilter
        /// `sent_at` of every matching message, newest first (the order of the results).
        var times: [Int64] = []

        /// How many messages match.
        var expectedCount: Int { times.count }
        /// The `sent_at` values the measured page must show, in order.
        var expectedPage: ArraySlice<Int64> { times.dropFirst(depth).prefix(SearchService.pageSize) }
    }

    var cases: [Case]
    /// Messages per platform over the whole archive.
    var platformCounts: [String: Int] = [:]
    /// Messages per month (YYYY-MM of sent_at, UTC) over the whole archive.
    var monthCounts: [String: Int] = [:]
    /// The busiest person's address and the months searched over HTTP, for the search page's load.
    let busyAddress: String
    /// The months of 2023 as (after, before) days, each a search of the busiest person over HTTP.
    let months: [(after: String, before: String)]

    /// Picks the searches for `corpus` and computes their answers on `workers` tasks.
    static func make(corpus: SyntheticCorpus, workers: Int) async -> SearchPlan {
        let busy = corpus.people[0]
        let median = corpus.people[corpus.people.count / 2]
        let partner = corpus.domains[1]
        let months = (1...12).map { m -> (after: String, before: String) in
            let mm = m < 10 ? "0\(m)" : "\(m)"
            let last = m == 2 ? 28 : [4, 6, 9, 11].contains(m) ? 30 : 31  // 2023 is not a leap year
            return ("2023-" + mm + "-01", "2023-" + mm + "-" + String(last))
        }
        var monthQuery = SearchQuery()
        monthQuery.participant = busy.email
        monthQuery.after = months[6].after
        monthQuery.before = months[6].before
        var fromQuery = monthQuery
        fromQuery.part = .from
        var medianQuery = SearchQuery()
        medianQuery.participant = median.email
        medianQuery.after = "2023-01-01"
        medianQuery.before = "2023-12-31"
        var everything = SearchQuery()
        everything.participant = busy.email
        var domainQuery = SearchQuery()
        domainQuery.domain = partner
        domainQuery.platform = "teams"
        var plan = SearchPlan(cases: [
            Case(name: "(a) busiest participant + 1 month, first page", query: monthQuery, depth: 0, filter: CorpusFilter(monthQuery)),
            Case(name: "(a) busiest participant as sender + 1 month, first page", query: fromQuery, depth: 0,
                 filter: CorpusFilter(fromQuery)),
            Case(name: "(a) median participant + 1 year, first page", query: medianQuery, depth: 0, filter: CorpusFilter(medianQuery)),
            Case(name: "(b) busiest participant, all time, deep keyset page", query: everything, depth: -1,
                 filter: CorpusFilter(everything)),
            Case(name: "(c) partner domain + teams, first page", query: domainQuery, depth: 0, filter: CorpusFilter(domainQuery)),
        ], busyAddress: busy.email, months: months)
        await plan.computeAnswers(corpus: corpus, workers: max(1, workers))
        return plan
    }

    /// One pass over the corpus: the matches of every case and the facet counts.
    private mutating func computeAnswers(corpus: SyntheticCorpus, workers: Int) async {
        let filters = cases.map(\.filter)
        let parts = await withTaskGroup(of: Tally.self) { group in
            for w in 0..<workers {
                group.addTask {
                    var tally = Tally(cases: filters.count)
                    for i in stride(from: w, to: corpus.count, by: workers) {
                        let m = corpus.message(i)
                        tally.platforms[m.platform, default: 0] += 1
                        tally.months[Self.month(m.sentAt), default: 0] += 1
                        for (c, filter) in filters.enumerated() where filter.matches(m) { tally.times[c].append(m.sentAt) }
                    }
                    return tally
                }
            }
            return await group.reduce(into: [Tally]()) { $0.append($1) }
        }
        for part in parts {
            platformCounts.merge(part.platforms, uniquingKeysWith: +)
            monthCounts.merge(part.months, uniquingKeysWith: +)
            for c in cases.indices { cases[c].times += part.times[c] }
        }
        for c in cases.indices {
            cases[c].times.sort(by: >)
            if cases[c].depth < 0 {
                // About halfway into the results, on a page boundary: page ≈ n / 100 of a keyset walk.
                let pages = cases[c].times.count / SearchService.pageSize
                cases[c] = Case(name: cases[c].name, query: cases[c].query, depth: pages / 2 * SearchService.pageSize,
                                filter: cases[c].filter, times: cases[c].times)
            }
        }
    }

    /// YYYY-MM of a unix time, UTC, as the aggregates and facets name months.
    static func month(_ seconds: Int64) -> String {
        let (y, m, _) = ISO8601.civil(seconds / 86_400)
        return String(y) + (m < 10 ? "-0" : "-") + String(m)
    }

    private struct Tally: Sendable {
        var times: [[Int64]]
        var platforms: [String: Int] = [:]
        var months: [String: Int] = [:]
        init(cases: Int) { times = Array(repeating: [], count: cases) }
    }
}

/// A search's filters applied to a synthetic message exactly as the index applies them to the archive:
/// addresses and domains compared after Custos's normalisation, dates as [after, before + 1 day).
struct CorpusFilter: Sendable {
    let address: String?
    let part: String?
    let domain: String?
    let platform: String?
    let from: Int64?
    let until: Int64?

    init(_ q: SearchQuery) {
        address = q.participant.map(MetadataIndexer.normalize)
        part = q.part == .any ? nil : q.part.rawValue
        domain = q.domain.map(MetadataIndexer.normalize)
        platform = q.platform
        from = q.afterSeconds
        until = q.beforeSeconds
    }

    func matches(_ m: SyntheticMessage) -> Bool {
        if let platform, m.platform != platform { return false }
        if let from, m.sentAt < from { return false }
        if let until, m.sentAt >= until { return false }
        if let address {
            guard m.participants.contains(where: { MetadataIndexer.normalize($0.address) == address && (part == nil || $0.part == part) })
            else { return false }
        }
        if let domain {
            guard m.participants.contains(where: { MetadataIndexer.domain(of: MetadataIndexer.normalize($0.address)) == domain })
            else { return false }
        }
        return true
    }
}
