import CustosCore
import CustosViews

/// One result row as the pages show it.
/// A class, not a struct: a results page hands each row to the renderer several times (as an element, as a
/// context, through casts), and copying a struct of ten strings retained every one of them each time.
final class HitRow: Sendable {
    let id: Int64
    let path: String
    let sentAt: String
    let platform: String
    let conversation: String
    let senders: String
    let recipients: String
    let size: String
    let attachments: Int
    let mediaTypes: String
    let current: Bool
    /// The day the message was disposed of; only its metadata is left.
    let disposed: String?

    init(_ h: SearchService.Hit, current: Bool = false) {
        id = h.id
        path = Paths.with(Paths.message, id: h.id)
        sentAt = TimeFormat.utc(h.sentAt)
        platform = h.platform
        conversation = h.conversation
        senders = h.senders.joined(separator: ", ")
        recipients = h.recipients.joined(separator: ", ")
        size = Self.bytes(h.size)
        attachments = h.attachmentCount
        mediaTypes = h.mediaTypes.split(separator: ",", omittingEmptySubsequences: false).joined(separator: ", ")
        self.current = current
        disposed = h.disposedAt.map(ISO8601.day)
    }

    static func bytes(_ n: Int) -> String {
        n < 1024 ? "\(n) B" : n < 1_048_576 ? "\(n / 1024) KiB" : "\(n / 1_048_576) MiB"
    }
}

final class FacetRow: Sendable {
    let label: String
    let count: Int
    init(label: String, count: Int) {
        self.label = label
        self.count = count
    }
}
struct HiddenField: Sendable { var name: String; var value: String }
struct SavedRow: Sendable { var name: String; var filters: String; var path: String; var deleteAction: String }
struct PartRow: Sendable { var part: String; var display: String }

/// The filter form, filled with what the person asked for.
struct SearchFormView: Sendable {
    var participant: String
    var parts: [OptionRow]
    var domain: String
    var after: String
    var before: String
    var platforms: [OptionRow]
    var conversation: String
    var attachments: [OptionRow]
    var hold: String
    var matter: String

    init(_ q: SearchQuery, platforms known: [String]) {
        participant = q.participant ?? ""
        parts = SearchQuery.Part.allCases.map { OptionRow(value: $0.rawValue, label: $0 == .any ? "any part" : $0.rawValue, selected: $0 == q.part) }
        domain = q.domain ?? ""
        after = q.after ?? ""
        before = q.before ?? ""
        platforms = [OptionRow(value: "", label: "all platforms", selected: q.platform == nil)]
            + known.map { OptionRow(value: $0, label: $0, selected: $0 == q.platform) }
        conversation = q.conversation ?? ""
        attachments = [("any", "with or without"), ("yes", "with attachments"), ("no", "without attachments")].map {
            OptionRow(value: $0.0, label: $0.1, selected: $0.0 == (q.attachments.map { $0 ? "yes" : "no" } ?? "any"))
        }
        hold = switch q.hold {
        case .any?: "any"
        case .id(let id)?: String(id)
        case nil: ""
        }
        matter = q.matter.map(String.init) ?? ""
    }
}

struct SearchView: Sendable {
    var chrome: Chrome
    var form: SearchFormView
    var ran: Bool
    var total: Int
    var hits: [HitRow]
    var nextPath: String?
    var firstPagePath: String?
    var platformFacets: [FacetRow]
    var monthFacets: [FacetRow]
    var hidden: [HiddenField]
    var canSave: Bool
    var hasHits: Bool
    var archiveTotal: Int
    var saved: [SavedRow]
    var exportLimit: String
    /// An auditor may turn results into a decryption request.
    var canRequest: Bool
    var requestAllPath: String
    var requestLimit: Int
}

struct MessageView: Sendable {
    var chrome: Chrome
    var message: HitRow
    var direction: String
    var capturedAt: String
    var retentionClass: String
    var retentionEnds: String?
    /// Active and released holds whose scope covers the message (legal sees links to them).
    var holds: [HoldBadge]
    var heldNow: Bool
    var epoch: Int
    var ciphertextHash: String
    var participants: [PartRow]
    var neighbours: [HitRow]
    var conversationPath: String
    var canRequest: Bool
    var requestPath: String
    var requestConversationPath: String
    /// The content page, when the viewer holds a live grant for this message.
    var contentPath: String?
}

struct ConversationView: Sendable {
    var chrome: Chrome
    var title: String
    var total: Int
    var hits: [HitRow]
    var olderPath: String?
    var canRequest: Bool
    var requestPath: String
}

/// A legal hold covering a message.
struct HoldBadge: Sendable {
    var id: Int64
    var matter: String
    var active: Bool
    /// The hold's page, for the legal role.
    var path: String?
}
