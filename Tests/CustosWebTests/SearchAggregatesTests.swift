import CustosCore
import CustosWeb
import Testing

/// Totals and facets are remembered per search until the archive's messages change, and never outlive a change:
/// a new message, or a hold placed, gives the right counts at once.
@Suite struct SearchAggregatesTests {
    @Test func countsComeFromMemoryUntilTheArchiveOrTheHoldsChange() async throws {
        let w = try await HoldWorld.make()
        let search = w.system.search
        let actor = Actor.system("test")
        func run(_ params: [(String, String)]) throws -> SearchService.Page {
            try search.search(try SearchQuery.parse(params), actor: actor)
        }
        let alice = [("participant", "alice@example.com")]
        let start = search.aggregates.statistics
        let first = try run(alice)
        #expect(first.total == 2 && first.months.map(\.1).reduce(0, +) == 2)
        #expect(search.aggregates.statistics.misses == start.misses + 1)
        // The same search again, and its second page: counted once.
        #expect(try run(alice).total == 2)
        #expect(try run(alice + [("cursor", first.hits[0].cursorText)]).total == 2)
        #expect(search.aggregates.statistics.hits == start.hits + 2)
        #expect(search.aggregates.statistics.misses == start.misses + 1)

        // A new message of hers: counted afresh, not the remembered 2.
        _ = try w.capture([("alice@example.com", "zoe@example.net", "slack", 5)])
        let after = try run(alice)
        #expect(after.total == 3)
        #expect(after.platforms.first { $0.0 == "slack" }?.1 == 1)

        // The whole archive's counts beside every search (platform list, total, an unfiltered search) follow too.
        let before = try search.searchPage(SearchQuery(), actor: actor, user: nil)
        _ = try w.capture([("yves@example.com", "zoe@example.net", "teams", 6)])
        let grown = try search.searchPage(SearchQuery(), actor: actor, user: nil)
        #expect(grown.surroundings.archiveTotal == before.surroundings.archiveTotal + 1)
        #expect(grown.page.total == before.page.total + 1)
        #expect(grown.surroundings.platforms.contains("teams") && !before.surroundings.platforms.contains("teams"))
        #expect(grown.page.platforms.first { $0.0 == "teams" }?.1 == 1)

        // Filtering by every active hold: none yet, then one covering Alice.
        #expect(try run([("hold", "any")]).total == 0)
        _ = try w.place(try w.scope(participant: "alice@example.com"))
        #expect(try run([("hold", "any")]).total == 3)
    }
}

extension SearchService.Hit {
    /// The cursor a page ending at this hit hands on, as the query parameter carries it.
    var cursorText: String { SearchCursor(sentAt: sentAt, id: id).encoded }
}
