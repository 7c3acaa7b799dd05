import CustosCrypto
import Foundation

/// Matters and legal holds (P5), for the legal role. Any legal user sees every matter; only the people
/// working on a matter change it, place holds in it or release them. Every change is audited; names,
/// descriptions, scopes and reasons are sealed at rest, and audit details never carry them.
public struct HoldService: Sendable {
    let archive: Archive
    let indexer: MetadataIndexer

    public init(archive: Archive, indexer: MetadataIndexer) {
        self.archive = archive
        self.indexer = indexer
    }

    // MARK: Matters

    /// A matter with its display values opened.
    public struct Matter: Sendable {
        public var record: MatterRecord
        public var name: String
        public var description: String
    }

    /// One matter's page: who works on it and its holds.
    public struct MatterDetail: Sendable {
        public var matter: Matter
        public var members: [MatterMember]
        public var holds: [HoldSummary]
        /// Whether the viewer works on the matter (and so may change it).
        public var isMember: Bool
    }

    /// A hold in a list: its scope in words and how many messages it covers now.
    public struct HoldSummary: Sendable {
        public var record: HoldRecord
        public var scope: [String]
        public var covered: Int
    }

    /// Opens a matter; its creator works on it. Legal only.
    public func createMatter(name rawName: String, description rawDescription: String, user: User, actor: Actor) throws -> Int64 {
        try Self.requireLegal(actor, user)
        let (name, description) = try Self.checkMatterText(rawName, rawDescription)
        let now = archive.clock.now()
        return try archive.transaction { tx in
            let id = try tx.uow.holds.createMatter(name: try indexer.seal(name, purpose: "matter-name"),
                                                   description: try indexer.seal(description, purpose: "matter-description"),
                                                   by: user.id, at: now)
            try tx.uow.holds.addMember(matterID: id, userID: user.id, by: user.id, at: now)
            try tx.record(actor.draft(.matterOpened, target: "matter:\(id)"))
            return id
        }
    }

    /// Renames, redescribes, closes or reopens a matter. A matter with active holds stays open.
    public func updateMatter(id: Int64, name rawName: String, description rawDescription: String, status: MatterRecord.Status,
                             user: User, actor: Actor) throws {
        try Self.requireLegal(actor, user)
        let (name, description) = try Self.checkMatterText(rawName, rawDescription)
        let now = archive.clock.now()
        try archive.transaction { tx in
            let m = try requireMember(matterID: id, user: user, uow: tx.uow)
            if status == .closed && m.activeHolds > 0 {
                throw DomainError.conflict("The matter has \(m.activeHolds) active legal hold\(m.activeHolds == 1 ? "" : "s"). Release them before closing it.")
            }
            try tx.uow.holds.updateMatter(id: id, name: try indexer.seal(name, purpose: "matter-name"),
                                          description: try indexer.seal(description, purpose: "matter-description"),
                                          status: status, at: now)
            var details = ["status": status.rawValue]
            if status != m.status { details["status_was"] = m.status.rawValue }
            try tx.record(actor.draft(.matterUpdated, target: "matter:\(id)", details: details))
        }
    }

    /// Adds a person holding the legal role to the people working on a matter.
    public func addMember(matterID: Int64, username rawUsername: String, user: User, actor: Actor) throws {
        try Self.requireLegal(actor, user)
        let username = rawUsername.trimmingCharacters(in: .whitespacesAndNewlines)
        let now = archive.clock.now()
        try archive.transaction { tx in
            _ = try requireMember(matterID: matterID, user: user, uow: tx.uow)
            guard let other = try tx.uow.users.find(username: username), !other.disabled, other.roles.contains(.legal) else {
                throw DomainError.invalidInput("“\(username)” is not an enabled user with the legal role.")
            }
            guard !(try tx.uow.holds.members(matterID: matterID).contains { $0.userID == other.id }) else {
                throw DomainError.conflict("\(other.username) already works on this matter.")
            }
            try tx.uow.holds.addMember(matterID: matterID, userID: other.id, by: user.id, at: now)
            try tx.record(actor.draft(.matterMemberAdded, target: "matter:\(matterID)", details: ["member": other.username]))
        }
    }

    /// Every matter, newest first, for the legal role.
    public func matters(actor: Actor) throws -> [Matter] {
        try Self.requireLegalRole(actor)
        return try archive.read { uow in try uow.holds.matters().map(open) }
    }

    /// One matter's detail, for the legal role.
    public func matter(id: Int64, user: User, actor: Actor) throws -> MatterDetail {
        try Self.requireLegalRole(actor)
        return try archive.read { uow in
            guard let m = try uow.holds.matter(id: id) else { throw DomainError.notFound("There is no matter with that number.") }
            let members = try uow.holds.members(matterID: id)
            let holds = try uow.holds.holds(matterID: id).map { h in
                HoldSummary(record: h, scope: describe(try uow.holds.terms(holdID: h.id), h),
                            covered: try uow.holds.countMatching(Self.tokens(try uow.holds.terms(holdID: h.id), h)))
            }
            return MatterDetail(matter: try open(m), members: members, holds: holds, isMember: members.contains { $0.userID == user.id })
        }
    }

    // MARK: Holds

    /// How many messages `scope` covers now; audited like a search (the scope itself sealed).
    public func preview(matterID: Int64, scope: HoldScope, user: User, actor: Actor) throws -> Int {
        try Self.requireLegal(actor, user)
        let tokens = tokens(scope)
        let count = try archive.read { uow -> Int in
            _ = try requireMember(matterID: matterID, user: user, uow: uow)
            return try uow.holds.countMatching(tokens)
        }
        try archive.record(actor.draft(.holdPreviewed, target: "matter:\(matterID)", details: try scopeDetails(scope, covered: count)))
        return count
    }

    /// Places a hold in an open matter; returns its id. It covers matching messages at once and every
    /// matching message captured later, until released.
    public func place(matterID: Int64, scope: HoldScope, user: User, actor: Actor) throws -> Int64 {
        try Self.requireLegal(actor, user)
        guard !scope.isEmpty else { throw DomainError.invalidInput("Give the hold a scope.") }
        var terms: [HoldTerm] = []
        for p in scope.participants {
            terms.append(HoldTerm(kind: .participant, token: indexer.participantToken(p), platform: nil,
                                  display: try indexer.seal(p, purpose: "hold-term")))
        }
        for d in scope.domains {
            terms.append(HoldTerm(kind: .domain, token: indexer.domainToken(d), platform: nil, display: try indexer.seal(d, purpose: "hold-term")))
        }
        for c in scope.conversations {
            terms.append(HoldTerm(kind: .conversation, token: indexer.conversationToken(c), platform: nil,
                                  display: try indexer.seal(c, purpose: "hold-term")))
        }
        for p in scope.platforms { terms.append(HoldTerm(kind: .platform, token: nil, platform: p, display: nil)) }
        let now = archive.clock.now()
        let tokens = tokens(scope)
        return try archive.transaction { tx in
            let m = try requireMember(matterID: matterID, user: user, uow: tx.uow)
            guard m.status == .open else { throw DomainError.conflict("The matter is closed; reopen it to place a hold.") }
            let id = try tx.uow.holds.createHold(matterID: matterID, terms: terms, after: scope.afterSeconds, before: scope.beforeSeconds,
                                                 by: user.id, at: now)
            let covered = try tx.uow.holds.countMatching(tokens)
            try tx.record(actor.draft(.holdPlaced, target: "hold:\(id)",
                                      details: try scopeDetails(scope, covered: covered).merging(["matter": "\(matterID)"]) { a, _ in a }))
            return id
        }
    }

    /// A hold's page.
    public struct HoldDetail: Sendable {
        public var record: HoldRecord
        public var matter: Matter
        public var scope: [String]
        public var covered: Int
        public var releaseReason: String?
        public var notices: [Notice]
        public var isMember: Bool
    }

    /// A person notified of a hold.
    public struct Notice: Sendable {
        public var record: HoldNoticeRecord
        public var person: String
    }

    public func hold(id: Int64, user: User, actor: Actor) throws -> HoldDetail {
        try Self.requireLegalRole(actor)
        return try archive.read { uow in
            guard let h = try uow.holds.hold(id: id), let m = try uow.holds.matter(id: h.matterID) else {
                throw DomainError.notFound("There is no legal hold with that number.")
            }
            let terms = try uow.holds.terms(holdID: id)
            return HoldDetail(
                record: h, matter: try open(m), scope: describe(terms, h), covered: try uow.holds.countMatching(Self.tokens(terms, h)),
                releaseReason: h.releaseReason.map { (try? indexer.open($0, purpose: "hold-release")) ?? "(unreadable)" },
                notices: try uow.holds.notices(holdID: id).map {
                    Notice(record: $0, person: (try? indexer.open($0.person, purpose: "hold-notice")) ?? "(unreadable)")
                },
                isMember: try uow.holds.members(matterID: h.matterID).contains { $0.userID == user.id })
        }
    }

    /// Releases an active hold, with a reason. Messages it alone kept become disposable when their
    /// retention ends.
    public func release(id: Int64, reason rawReason: String, user: User, actor: Actor) throws {
        try Self.requireLegal(actor, user)
        let reason = rawReason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (10...2_000).contains(reason.count) else {
            throw DomainError.invalidInput("Say why the hold is released (10 to 2,000 characters); the reason is kept with the hold.")
        }
        let now = archive.clock.now()
        try archive.transaction { tx in
            guard let h = try tx.uow.holds.hold(id: id) else { throw DomainError.notFound("There is no legal hold with that number.") }
            _ = try requireMember(matterID: h.matterID, user: user, uow: tx.uow)
            guard h.active else { throw DomainError.conflict("This hold was already released.") }
            let covered = try tx.uow.holds.countMatching(Self.tokens(try tx.uow.holds.terms(holdID: id), h))
            try tx.uow.holds.release(holdID: id, by: user.id, at: now, reason: try indexer.seal(reason, purpose: "hold-release"))
            try tx.record(actor.draft(.holdReleased, target: "hold:\(id)", details: ["matter": "\(h.matterID)", "covered": "\(covered)"]))
        }
    }

    /// Records that a person was told to preserve what the hold covers.
    public func addNotice(holdID: Int64, person rawPerson: String, user: User, actor: Actor) throws {
        try Self.requireLegal(actor, user)
        let person = rawPerson.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...300).contains(person.count) else { throw DomainError.invalidInput("Name the person notified (1 to 300 characters).") }
        let now = archive.clock.now()
        try archive.transaction { tx in
            guard let h = try tx.uow.holds.hold(id: holdID) else { throw DomainError.notFound("There is no legal hold with that number.") }
            _ = try requireMember(matterID: h.matterID, user: user, uow: tx.uow)
            guard h.active else { throw DomainError.conflict("The hold is released; notices go with active holds.") }
            let id = try tx.uow.holds.addNotice(holdID: holdID, person: try indexer.seal(person, purpose: "hold-notice"), by: user.id, at: now)
            try tx.record(actor.draft(.holdNoticeSent, target: "hold:\(holdID)", details: ["notice": "\(id)"]))
        }
    }

    /// Marks a notice acknowledged.
    public func acknowledge(noticeID: Int64, holdID: Int64, user: User, actor: Actor) throws {
        try Self.requireLegal(actor, user)
        let now = archive.clock.now()
        try archive.transaction { tx in
            guard let h = try tx.uow.holds.hold(id: holdID) else { throw DomainError.notFound("There is no legal hold with that number.") }
            _ = try requireMember(matterID: h.matterID, user: user, uow: tx.uow)
            guard try tx.uow.holds.acknowledgeNotice(id: noticeID, holdID: holdID, at: now) else {
                throw DomainError.conflict("That notice is not waiting for an acknowledgement.")
            }
            try tx.record(actor.draft(.holdNoticeAcknowledged, target: "hold:\(holdID)", details: ["notice": "\(noticeID)"]))
        }
    }

    // MARK: For search and message pages

    /// A hold covering a message, for the message page.
    public struct Coverage: Sendable {
        public var holdID: Int64
        public var matterID: Int64
        public var matterName: String
        public var active: Bool
    }

    /// The holds covering a message, active first.
    public func covering(messageID: Int64) throws -> [Coverage] {
        try archive.read { uow in
            try uow.holds.holdsCovering(messageID: messageID).map { c in
                let name = try uow.holds.matter(id: c.matterID).map { (try? indexer.open($0.name, purpose: "matter-name")) ?? "(unreadable)" }
                return Coverage(holdID: c.holdID, matterID: c.matterID, matterName: name ?? "", active: c.active)
            }.sorted { ($0.active ? 0 : 1, $0.holdID) < ($1.active ? 0 : 1, $1.holdID) }
        }
    }

    /// The scope of a stored hold as the index matches it.
    static func tokens(_ terms: [HoldTerm], _ h: HoldRecord) -> ScopeTokens {
        var s = ScopeTokens()
        for t in terms {
            switch t.kind {
            case .participant: s.participants.append(t.token ?? [])
            case .domain: s.domains.append(t.token ?? [])
            case .conversation: s.conversations.append(t.token ?? [])
            case .platform: s.platforms.append(t.platform ?? "")
            }
        }
        s.after = h.after
        s.before = h.before
        return s
    }

    func tokens(_ scope: HoldScope) -> ScopeTokens {
        var s = ScopeTokens()
        s.participants = scope.participants.map(indexer.participantToken)
        s.domains = scope.domains.map(indexer.domainToken)
        s.conversations = scope.conversations.map(indexer.conversationToken)
        s.platforms = scope.platforms
        s.after = scope.afterSeconds
        s.before = scope.beforeSeconds
        return s
    }

    // MARK: Helpers

    /// The scope in words, one line per kind.
    func describe(_ terms: [HoldTerm], _ h: HoldRecord) -> [String] {
        var lines: [String] = []
        for kind in HoldTermKind.allCases {
            let values = terms.filter { $0.kind == kind }.map { t in
                t.platform ?? t.display.map { (try? indexer.open($0, purpose: "hold-term")) ?? "(unreadable)" } ?? ""
            }
            guard !values.isEmpty else { continue }
            let label = switch kind {
            case .participant: values.count == 1 ? "Participant" : "Participants (any of)"
            case .domain: values.count == 1 ? "Domain" : "Domains (any of)"
            case .conversation: values.count == 1 ? "Conversation" : "Conversations (any of)"
            case .platform: values.count == 1 ? "Platform" : "Platforms (any of)"
            }
            lines.append("\(label): \(values.joined(separator: ", "))")
        }
        switch (h.after, h.before) {
        case let (a?, b?): lines.append("Sent from \(ISO8601.day(a)) to \(ISO8601.day(b - 86_400))")
        case let (a?, nil): lines.append("Sent on or after \(ISO8601.day(a))")
        case let (nil, b?): lines.append("Sent on or before \(ISO8601.day(b - 86_400))")
        case (nil, nil): lines.append("Any date, including messages captured from now on")
        }
        return lines
    }

    private func open(_ m: MatterRecord) throws -> Matter {
        Matter(record: m, name: (try? indexer.open(m.name, purpose: "matter-name")) ?? "(unreadable)",
               description: (try? indexer.open(m.description, purpose: "matter-description")) ?? "(unreadable)")
    }

    private func requireMember(matterID: Int64, user: User, uow: any UnitOfWork) throws -> MatterRecord {
        guard let m = try uow.holds.matter(id: matterID) else { throw DomainError.notFound("There is no matter with that number.") }
        guard try uow.holds.members(matterID: matterID).contains(where: { $0.userID == user.id }) else {
            throw DomainError.forbidden("Only the people working on this matter can change it. Ask one of them to add you.")
        }
        return m
    }

    /// Audit details of a scope: counts per kind and the dates in clear, the values sealed.
    private func scopeDetails(_ scope: HoldScope, covered: Int) throws -> [String: String] {
        var d = ["covered": "\(covered)", "participants": "\(scope.participants.count)", "domains": "\(scope.domains.count)",
                 "conversations": "\(scope.conversations.count)"]
        if !scope.platforms.isEmpty { d["platforms"] = scope.platforms.joined(separator: ",") }
        if let a = scope.after { d["after"] = a }
        if let b = scope.before { d["before"] = b }
        let named = scope.participants + scope.domains + scope.conversations
        if !named.isEmpty { d["scope_sealed"] = Hex.encode(try indexer.seal(named.joined(separator: "\n"), purpose: "audit-filters")) }
        return d
    }

    static func checkMatterText(_ rawName: String, _ rawDescription: String) throws -> (String, String) {
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        let description = rawDescription.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (3...200).contains(name.count) else { throw DomainError.invalidInput("Give the matter a name (3 to 200 characters).") }
        guard description.count <= 4_000 else { throw DomainError.invalidInput("Keep the description under 4,000 characters.") }
        return (name, description)
    }

    static func requireLegalRole(_ actor: Actor) throws {
        guard actor.role == .legal else { throw DomainError.forbidden("Matters and legal holds are for the legal role.") }
    }

    static func requireLegal(_ actor: Actor, _ user: User) throws {
        guard actor.role == .legal, user.roles.contains(.legal), actor.userID == user.id else {
            throw DomainError.forbidden("Matters and legal holds are for the legal role.")
        }
    }
}
