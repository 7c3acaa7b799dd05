/// Turning a search into the messages of a decryption request.
extension SearchService {
    /// What a search selects for a request: up to `limit` ids, newest first, and the total it matches.
    public struct Selection: Sendable {
        public var ids: [Int64]
        public var total: Int
    }

    /// The messages `q` matches, at most `limit`; audited as a search made to scope a request.
    public func select(_ q: SearchQuery, limit: Int, actor: Actor) throws -> Selection {
        try checkPlatform(q)
        var base = try criteria(for: q)
        base.cursor = nil
        let selection = try archive.read { uow -> Selection in
            let criteria = try withHolds(base, q, uow)
            let rows = try uow.search.search(criteria, limit: limit)
            let total = q.isUnfiltered ? try uow.search.archiveFacets().platforms.reduce(0) { $0 + $1.1 } : try uow.search.count(criteria)
            // Tombstones have nothing left to decrypt.
            return Selection(ids: rows.filter { $0.disposedAt == nil }.map(\.id), total: total)
        }
        var details = try auditDetails(q, results: selection.total)
        details["for"] = "decryption request"
        try archive.record(actor.draft(.searchRun, target: "search", details: details))
        return selection
    }

    /// Metadata rows of the given messages (for showing what a request covers), in the order given. Audited as a
    /// search of those ids, with `purpose`, before they are returned: naming ids must not list metadata unseen.
    public func hits(ids: [Int64], purpose: String, actor: Actor) throws -> [Hit] {
        let found = try archive.read { uow in
            let rows = try uow.search.messages(ids: ids)
            return try hits(rows, repo: uow.search)
        }
        try archive.record(actor.draft(.searchRun, target: "search", details: [
            "for": purpose, "message_ids": ids.map(String.init).joined(separator: ","), "results": "\(found.count)",
        ]))
        return found
    }
}
