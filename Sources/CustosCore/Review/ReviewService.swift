import Foundation

/// Review inside a grant: a live grant is a review set, worked through message by message and coded under the
/// layout of the request's matter (or the archive's). Coding needs the same live grant as reading the message,
/// checked in the transaction that stores the decision and audits it with the value it replaced (P4, P7).
/// Decisions are metadata about a message: they stay when the grant ends and reveal no content.
public struct ReviewService: Sendable {
    let archive: Archive
    let indexer: MetadataIndexer

    public init(archive: Archive, indexer: MetadataIndexer) {
        self.archive = archive
        self.indexer = indexer
    }

    /// Longest free-text basis a reviewer may give with a coding.
    public static let basisLimit = 2_000

    /// One message of a review set, in review order.
    public struct Item: Sendable {
        public var messageID: Int64
        public var sentAt: Int64
        public var conversation: [UInt8]
        public var decision: ReviewDecisionRecord?
    }

    /// A live grant seen as a review set.
    public struct ReviewSet: Sendable {
        public var requestID: Int64
        public var scope: ReviewScope
        public var layout: CodingLayout
        /// By conversation (conversations in the order of their first message), then time.
        public var items: [Item]
        public var reviewed: Int { items.filter { $0.decision != nil }.count }
        /// Per field and choice, how many messages of the set carry it.
        public var tally: [(field: String, choice: String, count: Int)] {
            layout.fields.flatMap { f in
                f.choices.map { c in (f.label, c.label, items.filter { $0.decision?.codes[f.key] == c.key }.count) }
            }
        }
    }

    /// Where one message stands in its review set: the neighbours a reviewer moves to and its current coding.
    public struct Position: Sendable {
        public var set: ReviewSet
        public var index: Int
        public var previous: Int64?
        public var next: Int64?
        /// The first message after this one (wrapping round) that nobody has coded yet.
        public var nextUnreviewed: Int64?
        public var decision: ReviewDecisionRecord?
        /// The decision's basis, opened for the reviewer who may read the message.
        public var basis: String?
        /// Every note on the message, oldest first.
        public var notes: [Note]
    }

    /// The review set of grant `requestID`, for its requester while it is live.
    public func reviewSet(requestID: Int64, user: User, actor: Actor) throws -> ReviewSet {
        let now = archive.clock.now()
        return try archive.read { uow in try Self.liveSet(requestID, user: user, actor: actor, now: now, uow: uow) }
    }

    /// Where `messageID` stands in grant `requestID`.
    public func position(messageID: Int64, requestID: Int64, user: User, actor: Actor) throws -> Position {
        let now = archive.clock.now()
        let (set, notes) = try archive.read { uow in
            (try Self.liveSet(requestID, user: user, actor: actor, now: now, uow: uow), try self.notes(messageID: messageID, reader: user, uow: uow))
        }
        guard let index = set.items.firstIndex(where: { $0.messageID == messageID }) else {
            throw DomainError.notFound("Message \(messageID) is not in grant \(requestID).")
        }
        let items = set.items
        let later = items[(index + 1)...] + items[..<index]
        let decision = items[index].decision
        return Position(set: set, index: index, previous: index > 0 ? items[index - 1].messageID : nil,
                        next: index + 1 < items.count ? items[index + 1].messageID : nil,
                        nextUnreviewed: later.first { $0.decision == nil }?.messageID, decision: decision,
                        basis: try decision?.basis.map { try indexer.open($0, purpose: "review-basis") }, notes: notes)
    }

    /// Codes `messageID` under the viewer's live grant over it; answers the grant, so the page can move on.
    @discardableResult
    public func code(messageID: Int64, codes: [String: String], tags: [String], basis rawBasis: String, user: User,
                     actor: Actor) throws -> Int64 {
        try Self.requireReviewer(user, actor)
        let basis = rawBasis.trimmingCharacters(in: .whitespacesAndNewlines)
        guard basis.count <= Self.basisLimit else {
            throw DomainError.invalidInput("Keep the basis under \(Self.basisLimit) characters.")
        }
        let sealed = basis.isEmpty ? nil : try indexer.seal(basis, purpose: "review-basis")
        let now = archive.clock.now()
        let outcome = try archive.transaction { tx -> Int64? in
            guard try tx.uow.search.message(id: messageID) != nil else { throw DomainError.notFound("There is no message with that number.") }
            guard let grant = try tx.uow.decryption.liveGrant(requesterID: user.id, messageID: messageID, now: now) else {
                try tx.record(actor.draft(.reviewRefused, target: "message:\(messageID)", details: ["reason": "no live grant"]))
                return nil
            }
            let scope = try Self.scope(of: grant, uow: tx.uow)
            let layout = try Self.layout(scope, uow: tx.uow)
            let valid = try layout.validate(codes: codes, tags: tags)
            let previous = try tx.uow.review.decision(scope: scope, messageID: messageID)
            // Sending the same coding again is not a new decision: nothing is stored and nothing counted as a change.
            let previousBasis = try previous?.basis.map { try indexer.open($0, purpose: "review-basis") } ?? ""
            if let previous, previous.codes == valid.codes, previous.tags == valid.tags, previousBasis == basis { return grant }
            try tx.uow.review.save(ReviewDecisionRecord(
                scope: scope, messageID: messageID, codes: valid.codes, tags: valid.tags, basis: sealed, reviewerID: user.id,
                reviewer: user.username, requestID: grant, firstCodedAt: previous?.firstCodedAt ?? now,
                firstReviewerID: previous?.firstReviewerID ?? user.id, codedAt: now, changes: (previous?.changes ?? -1) + 1))
            var details = ["scope": scope.description, "grant": "request:\(grant)", "codes": Self.describe(valid.codes),
                           "tags": valid.tags.joined(separator: ","), "previous": previous.map { Self.describe($0.codes) } ?? "none"]
            if let previous, previous.tags != valid.tags { details["previous_tags"] = previous.tags.joined(separator: ",") }
            if sealed != nil { details["basis"] = "given (sealed at rest)" }
            try tx.record(actor.draft(.reviewCoded, target: "message:\(messageID)", details: details))
            return grant
        }
        guard let outcome else {
            throw DomainError.forbidden("You have no live grant for this message, so you cannot code it.")
        }
        return outcome
    }

    /// The layout reviewers in `scope` code with: legal's, or the standard one.
    public func layout(scope: ReviewScope) throws -> (layout: CodingLayout, defined: Bool) {
        try archive.read { uow in
            let text = try uow.review.layout(scope: scope)
            return (try text.map(CodingLayout.parse) ?? .standard, text != nil)
        }
    }

    /// Legal defines the layout of a matter it is a member of (or of the archive, with `matterID` nil).
    public func defineLayout(matterID: Int64?, text: String, user: User, actor: Actor) throws {
        guard actor.role == .legal, user.roles.contains(.legal), actor.userID == user.id else {
            throw DomainError.forbidden("Coding layouts are defined by the legal role.")
        }
        let layout = try CodingLayout.parse(text)
        let scope: ReviewScope = matterID.map { .matter($0) } ?? .archive
        try archive.transaction { tx in
            if let matterID {
                guard try tx.uow.holds.matter(id: matterID) != nil else { throw DomainError.notFound("There is no matter with that number.") }
                guard try tx.uow.holds.members(matterID: matterID).contains(where: { $0.userID == user.id }) else {
                    throw DomainError.forbidden("Only members of the matter define its coding layout.")
                }
            }
            try tx.uow.review.saveLayout(scope: scope, text: layout.text, by: user.id, at: archive.clock.now())
            try tx.record(actor.draft(.codingLayoutDefined, target: scope.description, details: [
                "fields": layout.fields.map(\.key).joined(separator: ","), "tags": "\(layout.tags.count)",
            ]))
        }
    }

    // MARK: Shared

    static func requireReviewer(_ user: User, _ actor: Actor) throws {
        guard actor.role == .auditor, user.roles.contains(.auditor), actor.userID == user.id else {
            throw DomainError.forbidden("Only the auditor who holds a grant reviews its messages.")
        }
    }

    static func scope(of requestID: Int64, uow: any UnitOfWork) throws -> ReviewScope {
        try uow.review.matter(requestID: requestID).map { .matter($0) } ?? .archive
    }

    static func layout(_ scope: ReviewScope, uow: any UnitOfWork) throws -> CodingLayout {
        try uow.review.layout(scope: scope).map(CodingLayout.parse) ?? .standard
    }

    /// `privilege=none;responsiveness=responsive`: fields in name order, for the audit log.
    static func describe(_ codes: [String: String]) -> String {
        codes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    private static func liveSet(_ requestID: Int64, user: User, actor: Actor, now: Int64, uow: any UnitOfWork) throws -> ReviewSet {
        try requireReviewer(user, actor)
        guard let r = try uow.decryption.find(id: requestID), r.requesterID == user.id else {
            throw DomainError.notFound("There is no grant with that number of yours.")
        }
        guard r.status == .granted, let expires = r.expiresAt, expires > now else {
            throw DomainError.forbidden("This grant is not live, so its messages cannot be reviewed.")
        }
        let scope = try scope(of: requestID, uow: uow)
        let ids = try uow.decryption.messageIDs(requestID: requestID)
        let decisions = Dictionary(uniqueKeysWithValues: try uow.review.decisions(scope: scope, requestID: requestID).map { ($0.messageID, $0) })
        let rows = try uow.search.messages(ids: ids)
        var firstSent: [[UInt8]: Int64] = [:]
        for m in rows { firstSent[m.conversationToken] = min(firstSent[m.conversationToken] ?? .max, m.sentAt) }
        let ordered = rows.sorted {
            let a = firstSent[$0.conversationToken] ?? 0, b = firstSent[$1.conversationToken] ?? 0
            if a != b { return a < b }
            if $0.conversationToken != $1.conversationToken { return $0.conversationToken.lexicographicallyPrecedes($1.conversationToken) }
            return ($0.sentAt, $0.id) < ($1.sentAt, $1.id)
        }
        return ReviewSet(requestID: requestID, scope: scope, layout: try layout(scope, uow: uow),
                         items: ordered.map { Item(messageID: $0.id, sentAt: $0.sentAt, conversation: $0.conversationToken,
                                                   decision: decisions[$0.id]) })
    }
}
