import CustosCrypto
import Foundation

/// A message's metadata page, its conversation, and saved searches — all metadata only, all audited.
extension SearchService {
    /// A message with its participants and the conversation around it.
    public struct MessageDetail: Sendable {
        public var hit: Hit
        public var direction: String
        public var capturedAt: Int64
        public var retentionClass: String
        /// When the message's retention period ends (it is disposed of then, unless a hold covers it).
        public var retentionEndsAt: Int64?
        public var epoch: Int
        public var ciphertextHash: String
        public var participants: [(part: String, display: String)]
        public var neighbours: [Hit]
    }

    /// One message's metadata; the view is audited. Reads no audit entries, so it may keep a reader's snapshot.
    public func message(id: Int64, actor: Actor) throws -> MessageDetail {
        let detail = try archive.readRecent { uow -> MessageDetail? in
            guard let m = try uow.search.message(id: id) else { return nil }
            let around = try uow.search.neighbours(conversation: m.conversationToken, sentAt: m.sentAt, id: m.id, before: 5, after: 5)
            let people = try uow.search.participants(of: [m.id]).map {
                (part: $0.part, display: (try? indexer.open($0.display, purpose: "participant")) ?? "(unreadable)")
            }
            guard let hit = try hits([m], repo: uow.search).first else { return nil }
            return MessageDetail(hit: hit, direction: m.direction, capturedAt: m.capturedAt, retentionClass: m.retentionClass,
                                 retentionEndsAt: try uow.retention.policy(name: m.retentionClass).map { m.sentAt + Int64($0.periodDays) * 86_400 },
                                 epoch: m.epoch, ciphertextHash: Hex.encode(m.ciphertextHash), participants: people,
                                 neighbours: try hits(around, repo: uow.search))
        }
        guard let detail else { throw DomainError.notFound("There is no message with that number.") }
        try archive.record(actor.draft(.messageViewed, target: "message:\(id)"))
        return detail
    }

    /// A saved search as shown to its owner.
    public struct Saved: Sendable {
        public var id: Int64
        public var name: String
        public var query: String
    }

    /// Saves the filters of `q` under `name` for `user`; name and query are sealed at rest.
    public func save(_ q: SearchQuery, name rawName: String, user: User, actor: Actor) throws {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...120).contains(name.count) else { throw DomainError.invalidInput("Give the saved search a name of 1 to 120 characters.") }
        guard !q.isUnfiltered else { throw DomainError.invalidInput("Set at least one filter before saving a search.") }
        let query = Self.encode(q.parameters)
        _ = try archive.transaction { tx in
            let id = try tx.uow.search.saveSearch(userID: user.id, name: try indexer.seal(name, purpose: "saved-name-\(user.id)"),
                                                  query: try indexer.seal(query, purpose: "saved-query-\(user.id)"), at: archive.clock.now())
            try tx.record(actor.draft(.searchSaved, target: "saved_search:\(id)"))
        }
    }

    /// The person's saved searches, newest first.
    public func savedSearches(user: User) throws -> [Saved] {
        try archive.read { uow in try savedSearches(user: user, uow: uow) }
    }

    func savedSearches(user: User, uow: any UnitOfWork) throws -> [Saved] {
        try uow.search.savedSearches(userID: user.id).map {
            Saved(id: $0.id, name: (try? indexer.open($0.name, purpose: "saved-name-\(user.id)")) ?? "(unreadable)",
                  query: (try? indexer.open($0.query, purpose: "saved-query-\(user.id)")) ?? "")
        }
    }

    /// Deletes one of the person's own saved searches.
    public func deleteSaved(id: Int64, user: User, actor: Actor) throws {
        _ = try archive.transaction { tx in
            guard try tx.uow.search.deleteSavedSearch(id: id, userID: user.id) else { throw DomainError.notFound("No such saved search.") }
            try tx.record(actor.draft(.searchDeleted, target: "saved_search:\(id)"))
        }
    }

    /// URL query encoding of parameters (RFC 3986 unreserved characters kept).
    public static func encode(_ params: [(String, String)]) -> String {
        params.map { "\($0.0)=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    /// Every UTF-8 byte outside ASCII letters, digits and `-._~` as `%XX` (a pass over the bytes:
    /// pages build several of these per request).
    static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
