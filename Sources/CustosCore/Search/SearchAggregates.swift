import Synchronization

/// The total and facet counts of recent searches, kept until the archive's messages change.
///
/// Every page of one search (keyset pages, a refresh, the way back) shows the same total and facets; at 1 M
/// messages counting a busy person's month and its platforms reads ~1,000 random `messages` rows each time.
/// The archive only grows (messages are write-once; a disposal leaves the row and its metadata, so counts
/// do not change), so the newest message id names the set of messages a count was taken over: an entry
/// counts only while it matches. Hold and matter filters are part of the key as the scopes they stood for
/// when the search ran, so a released hold or a new one is a different key. Counts only: no display value,
/// no content, nothing a person typed in clear (participant, domain and conversation are blind tokens).
public final class SearchAggregates: Sendable {
    struct Key: Hashable {
        var participantToken: [UInt8]?
        var part: String?
        var domainToken: [UInt8]?
        var conversationToken: [UInt8]?
        var platform: String?
        var from: Int64?
        var until: Int64?
        var attachments: Bool?
        var retentionClass: String?
        var holdScopes: [ScopeTokens]?

        init(_ c: SearchCriteria) {
            participantToken = c.participantToken
            part = c.part
            domainToken = c.domainToken
            conversationToken = c.conversationToken
            platform = c.platform
            from = c.from
            until = c.until
            attachments = c.attachments
            retentionClass = c.retentionClass
            holdScopes = c.holdScopes
        }
    }

    struct Counts: Sendable {
        var total: Int
        var platforms: [(String, Int)]
        var months: [(String, Int)]
    }

    private struct Entry {
        var lastMessageID: Int64
        var counts: Counts
        var used: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    /// Most searches remembered; the least recently used goes first.
    let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 512) {
        self.capacity = capacity
    }

    /// The counts for `criteria` over the archive whose newest message is `lastMessageID`, computed by `count`
    /// unless remembered for exactly that archive.
    func counts(_ criteria: SearchCriteria, lastMessageID: Int64, count: () throws -> Counts) rethrows -> Counts {
        let key = Key(criteria)
        let found = state.withLock { s -> Counts? in
            s.clock &+= 1
            guard var e = s.entries[key], e.lastMessageID == lastMessageID else {
                s.misses += 1
                return nil
            }
            e.used = s.clock
            s.entries[key] = e
            s.hits += 1
            return e.counts
        }
        if let found { return found }
        let counted = try count()
        state.withLock { s in
            if s.entries[key] == nil && s.entries.count >= capacity,
               let oldest = s.entries.min(by: { $0.value.used < $1.value.used })?.key {
                s.entries[oldest] = nil
            }
            s.entries[key] = Entry(lastMessageID: lastMessageID, counts: counted, used: s.clock)
        }
        return counted
    }

    /// The whole archive's counts (what the search page shows beside every search: the platforms and the total),
    /// kept apart from the searches' entries for the same reason and on the same terms.
    private let archive = Mutex<(lastMessageID: Int64, counts: Counts)?>(nil)

    func archiveCounts(lastMessageID: Int64, count: () throws -> Counts) rethrows -> Counts {
        if let kept = archive.withLock({ $0 }), kept.lastMessageID == lastMessageID { return kept.counts }
        let counted = try count()
        archive.withLock { $0 = (lastMessageID, counted) }
        return counted
    }

    /// Searches answered from memory and counted afresh (tests, the benchmark's notes).
    public var statistics: (hits: Int, misses: Int, entries: Int) {
        state.withLock { ($0.hits, $0.misses, $0.entries.count) }
    }
}
