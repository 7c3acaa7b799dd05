import Foundation

/// What a legal hold covers, as legal typed it: any combination of participants, domains,
/// conversations, platforms and a date range. A message is covered when it matches every kind the
/// scope sets (any one value within a kind) and falls in the range.
public struct HoldScope: Sendable, Equatable {
    public var participants: [String] = []
    public var domains: [String] = []
    public var conversations: [String] = []
    public var platforms: [String] = []
    /// First day covered (YYYY-MM-DD, UTC), as typed.
    public var after: String?
    /// Last day covered (YYYY-MM-DD, UTC, included), as typed.
    public var before: String?

    public init() {}

    /// Most values one kind may list.
    public static let maximumValues = 50

    /// Parses the hold form: each field may carry several values, one per line or separated by commas or
    /// semicolons. Throws `DomainError.invalidInput` naming the problem; refuses an empty scope.
    public static func parse(participant: [String], domain: [String], conversation: [String], platform: [String],
                             after: String?, before: String?) throws -> HoldScope {
        var s = HoldScope()
        s.participants = try values(participant, "participants", separators: ",;\n\r")
            .map { MetadataIndexer.normalize($0) }
        s.domains = try values(domain, "domains", separators: ",;\n\r").map { v in
            MetadataIndexer.normalize(v.hasPrefix("@") ? String(v.dropFirst()) : v)
        }
        // A conversation id may itself contain commas (a Message-ID cannot; a chat channel id can), so one per line.
        s.conversations = try values(conversation, "conversations", separators: "\n\r")
        s.platforms = try values(platform, "platforms", separators: ",;\n\r").map { $0.lowercased() }
        for p in s.platforms where !(1...32).contains(p.count) || !p.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
            throw DomainError.invalidInput("“\(p)” is not a platform name (letters, digits, '_' or '-').")
        }
        for p in s.participants where !p.contains("@") && p.count < 3 {
            throw DomainError.invalidInput("“\(p)” is too short to name a participant.")
        }
        let a = after?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let b = before?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !a.isEmpty {
            _ = try SearchQuery.day(a, "From date")
            s.after = a
        }
        if !b.isEmpty {
            _ = try SearchQuery.day(b, "To date")
            s.before = b
        }
        if let x = s.afterSeconds, let y = s.beforeSeconds, x >= y {
            throw DomainError.invalidInput("The From date is after the To date.")
        }
        guard !s.isEmpty else {
            throw DomainError.invalidInput("Give the hold a scope: at least one participant, domain, conversation, platform or date.")
        }
        return s
    }

    private static func values(_ fields: [String], _ label: String, separators: String) throws -> [String] {
        let seps = Set(separators)
        var out: [String] = []
        for field in fields {
            for piece in field.split(whereSeparator: { seps.contains($0) }) {
                let v = piece.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !v.isEmpty else { continue }
                guard v.utf8.count <= 512 else { throw DomainError.invalidInput("One of the \(label) is too long (512 bytes at most).") }
                if !out.contains(v) { out.append(v) }
            }
        }
        guard out.count <= maximumValues else {
            throw DomainError.invalidInput("A hold can list at most \(maximumValues) \(label); split it into several holds.")
        }
        return out
    }

    public var isEmpty: Bool {
        participants.isEmpty && domains.isEmpty && conversations.isEmpty && platforms.isEmpty && after == nil && before == nil
    }

    /// Start of the `after` day, UTC.
    public var afterSeconds: Int64? { after.flatMap { try? SearchQuery.day($0, "") } }
    /// End of the `before` day (exclusive), UTC.
    public var beforeSeconds: Int64? { before.flatMap { try? SearchQuery.day($0, "") }.map { $0 + 86_400 } }

    /// The fields as form pairs, to carry a previewed scope into the form that places it.
    public var formFields: [(String, String)] {
        var f: [(String, String)] = []
        if !participants.isEmpty { f.append(("participant", participants.joined(separator: "\n"))) }
        if !domains.isEmpty { f.append(("domain", domains.joined(separator: "\n"))) }
        if !conversations.isEmpty { f.append(("conversation", conversations.joined(separator: "\n"))) }
        if !platforms.isEmpty { f.append(("platform", platforms.joined(separator: "\n"))) }
        if let after { f.append(("after", after)) }
        if let before { f.append(("before", before)) }
        return f
    }
}

/// A scope as the index matches it: blind tokens, platform names and time bounds. An empty kind
/// does not restrict; a scope with nothing set covers every message.
public struct ScopeTokens: Sendable, Hashable {
    public var participants: [[UInt8]] = []
    public var domains: [[UInt8]] = []
    public var conversations: [[UInt8]] = []
    public var platforms: [String] = []
    public var after: Int64?
    public var before: Int64?

    public init() {}
}

/// The kinds of term a hold's scope is made of.
public enum HoldTermKind: String, Sendable, CaseIterable {
    case participant, domain, conversation, platform
}

/// One stored term of a hold's scope: a blind token (or platform name) and its sealed display value.
public struct HoldTerm: Sendable, Equatable {
    public var kind: HoldTermKind
    /// The token for participants, domains and conversations; nil for a platform.
    public var token: [UInt8]?
    /// The platform name; nil otherwise.
    public var platform: String?
    /// The value as typed, sealed; nil for a platform.
    public var display: [UInt8]?

    public init(kind: HoldTermKind, token: [UInt8]?, platform: String?, display: [UInt8]?) {
        self.kind = kind
        self.token = token
        self.platform = platform
        self.display = display
    }
}

/// A matter as stored (name and description sealed).
public struct MatterRecord: Sendable {
    public enum Status: String, Sendable { case open, closed }
    public var id: Int64
    public var name: [UInt8]
    public var description: [UInt8]
    public var status: Status
    public var createdAt: Int64
    public var createdBy: String
    public var updatedAt: Int64
    public var activeHolds: Int

    public init(id: Int64, name: [UInt8], description: [UInt8], status: Status, createdAt: Int64, createdBy: String,
                updatedAt: Int64, activeHolds: Int) {
        self.id = id
        self.name = name
        self.description = description
        self.status = status
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.updatedAt = updatedAt
        self.activeHolds = activeHolds
    }
}

/// A person working on a matter.
public struct MatterMember: Sendable, Equatable {
    public var userID: Int64
    public var username: String
    public var addedAt: Int64

    public init(userID: Int64, username: String, addedAt: Int64) {
        self.userID = userID
        self.username = username
        self.addedAt = addedAt
    }
}

/// A legal hold as stored.
public struct HoldRecord: Sendable {
    public var id: Int64
    public var matterID: Int64
    public var after: Int64?
    public var before: Int64?
    public var placedAt: Int64
    public var placedBy: String
    public var releasedAt: Int64?
    public var releasedBy: String?
    public var releaseReason: [UInt8]?

    public var active: Bool { releasedAt == nil }

    public init(id: Int64, matterID: Int64, after: Int64?, before: Int64?, placedAt: Int64, placedBy: String,
                releasedAt: Int64?, releasedBy: String?, releaseReason: [UInt8]?) {
        self.id = id
        self.matterID = matterID
        self.after = after
        self.before = before
        self.placedAt = placedAt
        self.placedBy = placedBy
        self.releasedAt = releasedAt
        self.releasedBy = releasedBy
        self.releaseReason = releaseReason
    }
}

/// A person told to preserve what a hold covers (name or address sealed).
public struct HoldNoticeRecord: Sendable {
    public var id: Int64
    public var holdID: Int64
    public var person: [UInt8]
    public var notifiedAt: Int64
    public var notifiedBy: String
    public var acknowledgedAt: Int64?

    public init(id: Int64, holdID: Int64, person: [UInt8], notifiedAt: Int64, notifiedBy: String, acknowledgedAt: Int64?) {
        self.id = id
        self.holdID = holdID
        self.person = person
        self.notifiedAt = notifiedAt
        self.notifiedBy = notifiedBy
        self.acknowledgedAt = acknowledgedAt
    }
}

/// Matters, holds and notices in storage.
public protocol HoldRepository {
    func createMatter(name: [UInt8], description: [UInt8], by userID: Int64, at: Int64) throws -> Int64
    func matter(id: Int64) throws -> MatterRecord?
    func matters() throws -> [MatterRecord]
    func updateMatter(id: Int64, name: [UInt8], description: [UInt8], status: MatterRecord.Status, at: Int64) throws
    func members(matterID: Int64) throws -> [MatterMember]
    func addMember(matterID: Int64, userID: Int64, by: Int64, at: Int64) throws

    func createHold(matterID: Int64, terms: [HoldTerm], after: Int64?, before: Int64?, by userID: Int64, at: Int64) throws -> Int64
    func hold(id: Int64) throws -> HoldRecord?
    func holds(matterID: Int64) throws -> [HoldRecord]
    func activeHolds() throws -> [HoldRecord]
    func terms(holdID: Int64) throws -> [HoldTerm]
    func release(holdID: Int64, by userID: Int64, at: Int64, reason: [UInt8]) throws
    /// Every released hold's id (for verification against the audit log).
    func releasedHoldIDs() throws -> [Int64]

    /// How many messages match `scope` now (the preview, and the count a hold covers).
    func countMatching(_ scope: ScopeTokens) throws -> Int
    /// The holds (active or released) whose scope covers a message, from the schema's own definition.
    func holdsCovering(messageID: Int64) throws -> [(holdID: Int64, matterID: Int64, active: Bool)]

    func addNotice(holdID: Int64, person: [UInt8], by userID: Int64, at: Int64) throws -> Int64
    func notices(holdID: Int64) throws -> [HoldNoticeRecord]
    func acknowledgeNotice(id: Int64, holdID: Int64, at: Int64) throws -> Bool
}
