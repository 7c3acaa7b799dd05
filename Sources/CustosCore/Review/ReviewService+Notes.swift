/// Notes on a message and escalations to a second reviewer. Writing a note, like coding, needs a live grant over the
/// message; resolving an escalation needs a grant of the resolver's own over it, and the resolver is never the
/// note's author. Texts are sealed at rest; each step is audited in the transaction that makes it.
extension ReviewService {
    /// A note as its reader sees it.
    public struct Note: Sendable {
        public var id: Int64
        public var messageID: Int64
        public var author: String
        public var writtenAt: Int64
        public var text: String
        public var escalated: Bool
        public var resolvedAt: Int64?
        public var resolver: String?
        public var resolution: String?
        /// Whether the reader may resolve it now: an open escalation somebody else raised.
        public var canResolve: Bool
    }

    /// Longest note or resolution.
    public static let noteLimit = 4_000

    /// Writes a note on `messageID` under the writer's live grant, escalating it for a second review if asked.
    @discardableResult
    public func addNote(messageID: Int64, text raw: String, escalate: Bool, user: User, actor: Actor) throws -> Int64 {
        try Self.requireReviewer(user, actor)
        let text = try Self.noteText(raw, what: "note")
        let sealed = try indexer.seal(text, purpose: "review-note")
        let now = archive.clock.now()
        let id = try archive.transaction { tx -> Int64? in
            guard try tx.uow.search.message(id: messageID) != nil else { throw DomainError.notFound("There is no message with that number.") }
            guard let grant = try tx.uow.decryption.liveGrant(requesterID: user.id, messageID: messageID, now: now) else {
                try tx.record(actor.draft(.reviewRefused, target: "message:\(messageID)", details: ["reason": "no live grant", "for": "note"]))
                return nil
            }
            let scope = try Self.scope(of: grant, uow: tx.uow)
            let id = try tx.uow.notes.add(scope: scope, messageID: messageID, authorID: user.id, requestID: grant, at: now, body: sealed,
                                          escalated: escalate)
            try tx.record(actor.draft(.reviewNoted, target: "message:\(messageID)", details: [
                "note": "\(id)", "grant": "request:\(grant)", "scope": scope.description, "escalated": escalate ? "yes" : "no",
            ]))
            return id
        }
        guard let id else { throw DomainError.forbidden("You have no live grant for this message, so you cannot write a note on it.") }
        return id
    }

    /// Resolves escalation `noteID` as a second reviewer; answers the message it is on.
    @discardableResult
    public func resolve(noteID: Int64, resolution raw: String, user: User, actor: Actor) throws -> Int64 {
        try Self.requireReviewer(user, actor)
        let text = try Self.noteText(raw, what: "resolution")
        let sealed = try indexer.seal(text, purpose: "review-resolution")
        let now = archive.clock.now()
        let outcome = try archive.transaction { tx -> Int64? in
            guard let note = try tx.uow.notes.note(id: noteID) else { throw DomainError.notFound("There is no note with that number.") }
            guard let grant = try tx.uow.decryption.liveGrant(requesterID: user.id, messageID: note.messageID, now: now) else {
                try tx.record(actor.draft(.reviewRefused, target: "message:\(note.messageID)",
                                          details: ["reason": "no live grant", "for": "resolution", "note": "\(noteID)"]))
                return nil
            }
            guard note.escalated else { throw DomainError.conflict("That note asks for no second review.") }
            guard note.resolvedAt == nil else { throw DomainError.conflict("That escalation is resolved already.") }
            guard note.authorID != user.id else {
                throw DomainError.forbidden("A second reviewer resolves an escalation, not the person who raised it.")
            }
            guard try tx.uow.notes.resolve(id: noteID, by: user.id, at: now, resolution: sealed) else {
                throw DomainError.conflict("That escalation is resolved already.")
            }
            try tx.record(actor.draft(.escalationResolved, target: "message:\(note.messageID)", details: [
                "note": "\(noteID)", "grant": "request:\(grant)", "raised_by": note.author, "open_seconds": "\(now - note.writtenAt)",
            ]))
            return note.messageID
        }
        guard let outcome else { throw DomainError.forbidden("You have no live grant for this message, so you cannot resolve its escalation.") }
        return outcome
    }

    /// The notes of matter `matterID`, for legal on the matter; the reading is audited.
    public func matterNotes(matterID: Int64, user: User, actor: Actor) throws -> [Note] {
        try HoldService.requireLegal(actor, user)
        let records = try archive.read { uow -> [ReviewNoteRecord] in
            guard try uow.holds.matter(id: matterID) != nil else { throw DomainError.notFound("There is no matter with that number.") }
            guard try uow.holds.members(matterID: matterID).contains(where: { $0.userID == user.id }) else {
                throw DomainError.forbidden("Only members of the matter read its review notes.")
            }
            return try uow.notes.notes(scope: .matter(matterID))
        }
        try archive.record(actor.draft(.reviewNotesViewed, target: "matter:\(matterID)", details: ["notes": "\(records.count)"]))
        return try records.map { try open($0, reader: nil) }
    }

    /// The notes on a message the reader may read under a live grant (the caller checked the grant).
    func notes(messageID: Int64, reader: User, uow: any UnitOfWork) throws -> [Note] {
        try uow.notes.notes(messageID: messageID).map { try open($0, reader: reader) }
    }

    private func open(_ r: ReviewNoteRecord, reader: User?) throws -> Note {
        Note(id: r.id, messageID: r.messageID, author: r.author, writtenAt: r.writtenAt, text: try indexer.open(r.body, purpose: "review-note"),
             escalated: r.escalated, resolvedAt: r.resolvedAt, resolver: r.resolver,
             resolution: try r.resolution.map { try indexer.open($0, purpose: "review-resolution") },
             canResolve: r.escalated && r.resolvedAt == nil && reader.map { $0.id != r.authorID } == true)
    }

    private static func noteText(_ raw: String, what: String) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...noteLimit).contains(text.count) else {
            throw DomainError.invalidInput("Write the \(what) (1 to \(noteLimit) characters).")
        }
        return text
    }
}
