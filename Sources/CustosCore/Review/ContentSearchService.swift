import CustosCrypto

/// Searching the text of a live grant's messages. The first search decrypts the grant's messages into an in-memory
/// index (`GrantTextIndexes`), which nothing writes to disk and which goes when the grant ends; every search is
/// audited, its query sealed, with its hit count, before results are returned (P7).
public struct ContentSearchService: Sendable {
    /// Turns a decrypted message into what is searched: its sender and its text as a reader sees it.
    public typealias Extractor = @Sendable (_ platform: String, _ content: [UInt8]) -> (sender: String, text: String)

    let archive: Archive
    let decryption: DecryptionService
    let indexer: MetadataIndexer
    let extract: Extractor

    public init(archive: Archive, decryption: DecryptionService, indexer: MetadataIndexer, extract: @escaping Extractor) {
        self.archive = archive
        self.decryption = decryption
        self.indexer = indexer
        self.extract = extract
    }

    /// What a reviewer searches for: words and "quoted phrases" (all must occur), a sender, a span of days.
    public struct Query: Sendable {
        public var text: String
        public var phrases: [String]
        public var sender: String?
        public var after: String?
        public var before: String?
        var from: Int64?
        var until: Int64?

        public var isEmpty: Bool { phrases.isEmpty && sender == nil && from == nil && until == nil }

        /// Parses the search form; `after` and `before` are days (YYYY-MM-DD, UTC), both included.
        public static func parse(text raw: String, sender rawSender: String = "", after: String = "", before: String = "") throws -> Query {
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count <= 500 else { throw DomainError.invalidInput("Keep the search under 500 characters.") }
            var phrases: [String] = []
            for (i, part) in text.split(separator: "\"", omittingEmptySubsequences: false).enumerated() {
                if i % 2 == 1 {
                    if !GrantTextIndex.words(String(part)).isEmpty { phrases.append(String(part)) }
                } else {
                    phrases += GrantTextIndex.words(String(part)).map(\.key)
                }
            }
            let sender = rawSender.trimmingCharacters(in: .whitespaces)
            guard sender.count <= 200 else { throw DomainError.invalidInput("Keep the sender under 200 characters.") }
            let a = after.trimmingCharacters(in: .whitespaces), b = before.trimmingCharacters(in: .whitespaces)
            let from = a.isEmpty ? nil : try SearchQuery.day(a, "From date")
            let until = b.isEmpty ? nil : try SearchQuery.day(b, "To date") + 86_400
            if let from, let until, from >= until { throw DomainError.invalidInput("The from date is after the to date.") }
            return Query(text: text, phrases: phrases, sender: sender.isEmpty ? nil : sender, after: a.isEmpty ? nil : a,
                         before: b.isEmpty ? nil : b, from: from, until: until)
        }
    }

    /// What one search found.
    public struct Result: Sendable {
        public var hits: [GrantTextIndex.Hit]
        public var searched: Int
        public var expiresAt: Int64
        /// Whether this search built the index (the grant's first search, or the first after it was let go).
        public var built: Bool
    }

    /// Searches grant `requestID`, the viewer's own and live.
    public func search(requestID: Int64, query: Query, user: User, actor: Actor) throws -> Result {
        try ReviewService.requireReviewer(user, actor)
        try decryption.expireDue()
        let indexes = decryption.textIndexes
        let now = archive.clock.now()
        indexes.sweep(now: now)
        var built = false
        var expiresAt: Int64
        let index: GrantTextIndex
        let record = try archive.read { try $0.decryption.find(id: requestID) }
        guard let record, record.requesterID == user.id else { throw DomainError.notFound("There is no grant with that number of yours.") }
        if record.status == .granted, let expires = record.expiresAt, expires > now, let held = indexes.index(grant: requestID, now: now) {
            index = held
            expiresAt = expires
        } else {
            indexes.drop(grant: requestID)
            let opened = try decryption.openGrant(requestID: requestID, user: user, actor: actor)
            index = GrantTextIndex(opened.messages.map { m in
                let readable = extract(m.platform, m.content)
                return SearchableMessage(messageID: m.messageID, sentAt: m.sentAt, sender: readable.sender, text: readable.text)
            })
            indexes.keep(index, grant: requestID, expiresAt: opened.expiresAt, now: now)
            expiresAt = opened.expiresAt
            built = true
        }
        let hits = query.isEmpty ? [] : index.search(phrases: query.phrases, sender: query.sender, from: query.from, until: query.until)
        var described = "q=\(query.text)"
        if let s = query.sender { described += "&from=\(s)" }
        if let a = query.after { described += "&after=\(a)" }
        if let b = query.before { described += "&before=\(b)" }
        try archive.record(actor.draft(.contentSearched, target: "request:\(requestID)", details: [
            "query_sealed": Hex.encode(try indexer.seal(described, purpose: "audit-content-query")), "hits": "\(hits.count)",
            "searched": "\(index.messageCount)", "index": built ? "built" : "held",
        ]))
        return Result(hits: hits, searched: index.messageCount, expiresAt: expiresAt, built: built)
    }
}
