import CustosCore
import CustosViews

/// One message of a review set on the grant's page.
struct ReviewRow: Sendable {
    var id: Int64
    var sentAt: String
    var platform: String
    var senders: String
    var readPath: String
    var reviewed: Bool
    /// The coding in the layout's labels ("Responsive · None · tags: Hot"), or "Not reviewed".
    var state: String
    var reviewer: String?
}

/// A count of one choice in the review set.
struct TallyRow: Sendable { var field: String; var choice: String; var count: Int }

/// A grant's page as its review screen: the messages in review order with their state, and progress.
struct ReviewSetView: Sendable {
    var requestID: Int64
    var searchPath: String
    var rows: [ReviewRow]
    var reviewed: Int
    var total: Int
    var percent: Int
    var tally: [TallyRow]
    var scope: String
    var startPath: String?
    var complete: Bool

    init(_ set: ReviewService.ReviewSet, hits: [SearchService.Hit]) {
        requestID = set.requestID
        searchPath = Paths.with(Paths.requestSearch, id: set.requestID)
        let byID = Dictionary(hits.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        rows = set.items.map { item in
            let hit = byID[item.messageID]
            return ReviewRow(id: item.messageID, sentAt: TimeFormat.utc(item.sentAt), platform: hit?.platform ?? "",
                             senders: hit?.senders.joined(separator: ", ") ?? "",
                             readPath: Paths.with(Paths.messageContent, id: item.messageID), reviewed: item.decision != nil,
                             state: item.decision.map { Self.describe($0, layout: set.layout) } ?? "Not reviewed",
                             reviewer: item.decision?.reviewer)
        }
        reviewed = set.reviewed
        total = set.items.count
        percent = total == 0 ? 0 : reviewed * 100 / total
        tally = set.tally.map { TallyRow(field: $0.field, choice: $0.choice, count: $0.count) }
        scope = Self.scopeName(set.scope)
        let first = set.items.first { $0.decision == nil } ?? set.items.first
        startPath = first.map { Paths.with(Paths.messageContent, id: $0.messageID) }
        complete = total > 0 && reviewed == total
    }

    static func describe(_ d: ReviewDecisionRecord, layout: CodingLayout) -> String {
        var parts = layout.fields.compactMap { f in d.codes[f.key].map { layout.label(field: f.key, value: $0) } }
        if !d.tags.isEmpty {
            parts.append("tags: " + d.tags.map { t in layout.tags.first { $0.key == t }?.label ?? t }.joined(separator: ", "))
        }
        return parts.joined(separator: " · ")
    }

    static func scopeName(_ scope: ReviewScope) -> String {
        switch scope {
        case .archive: "the archive's coding layout (the request names no matter)"
        case .matter(let id): "the coding layout of matter \(id)"
        }
    }
}

/// One choice on the coding form.
struct ChoiceRow: Sendable { var field: String; var value: String; var label: String; var checked: Bool; var inputID: String }
/// One field of the coding form.
struct FieldRow: Sendable { var key: String; var label: String; var choices: [ChoiceRow] }

/// The coding form and the way through the review set, on a content page.
struct CodingPanel: Sendable {
    var action: String
    var fields: [FieldRow]
    var tags: [ChoiceRow]
    var hasTags: Bool
    var basis: String
    var basisLimit: Int
    var position: Int
    var total: Int
    var reviewed: Int
    var state: String
    var codedBy: String?
    var previousPath: String?
    var nextPath: String?
    var nextUnreviewedPath: String?
    var scope: String
    var notes: [NoteRow]
    var noteAction: String
    var note: String
    var noteLimit: Int

    init(_ p: ReviewService.Position, messageID: Int64, typed: CodingForm?, typedNote: String) {
        let layout = p.set.layout
        let current = typed?.codes ?? p.decision?.codes ?? [:]
        let currentTags = Set(typed?.tags ?? p.decision?.tags ?? [])
        action = Paths.with(Paths.messageCoding, id: messageID)
        fields = layout.fields.map { f in
            FieldRow(key: f.key, label: f.label, choices: f.choices.map { c in
                ChoiceRow(field: f.key, value: c.key, label: c.label, checked: current[f.key] == c.key, inputID: "code-\(f.key)-\(c.key)")
            })
        }
        tags = layout.tags.map { ChoiceRow(field: "tag", value: $0.key, label: $0.label, checked: currentTags.contains($0.key),
                                           inputID: "tag-\($0.key)") }
        hasTags = !tags.isEmpty
        basis = typed?.basis ?? p.basis ?? ""
        basisLimit = ReviewService.basisLimit
        position = p.index + 1
        total = p.set.items.count
        reviewed = p.set.reviewed
        state = p.decision.map { ReviewSetView.describe($0, layout: layout) } ?? "Not reviewed yet"
        codedBy = p.decision.map { "\($0.reviewer) at \(TimeFormat.utc($0.codedAt))" }
        let link = { (id: Int64?) in id.map { Paths.with(Paths.messageContent, id: $0) } }
        previousPath = link(p.previous)
        nextPath = link(p.next)
        nextUnreviewedPath = p.nextUnreviewed == messageID ? nil : link(p.nextUnreviewed)
        scope = ReviewSetView.scopeName(p.set.scope)
        notes = p.notes.map(NoteRow.init)
        noteAction = Paths.with(Paths.messageNotes, id: messageID)
        note = typedNote
        noteLimit = ReviewService.noteLimit
    }
}

/// A note on the content page or legal's list of a matter's notes.
struct NoteRow: Sendable {
    var id: Int64
    var messageID: Int64
    var messagePath: String
    var author: String
    var writtenAt: String
    var text: String
    var escalated: Bool
    var open: Bool
    var resolved: String?
    var resolution: String?
    var canResolve: Bool
    var resolveAction: String

    init(_ n: ReviewService.Note) {
        id = n.id
        messageID = n.messageID
        messagePath = Paths.with(Paths.message, id: n.messageID)
        author = n.author
        writtenAt = TimeFormat.utc(n.writtenAt)
        text = n.text
        escalated = n.escalated
        open = n.escalated && n.resolvedAt == nil
        resolved = n.resolvedAt.map { "\(n.resolver ?? "?") at \(TimeFormat.utc($0))" }
        resolution = n.resolution
        canResolve = n.canResolve
        resolveAction = Paths.with(Paths.noteResolve, id: n.id)
    }
}

/// What a reviewer sent in the coding form, kept when the form comes back with an error.
struct CodingForm: Sendable {
    var codes: [String: String]
    var tags: [String]
    var basis: String
}
