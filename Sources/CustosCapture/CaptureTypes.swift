/// The source formats the capture client can read.
public enum CaptureFormat: String, CaseIterable, Sendable {
    case eml, mbox, maildir, slack, rsmf, jsonl
}

/// The role a participant plays in a message.
public enum ParticipantPart: String, Sendable, Codable, CaseIterable {
    case from, to, cc, bcc, member

    /// Position in the canonical participant order: from, to, cc, bcc, member.
    var rank: Int {
        switch self {
        case .from: 0
        case .to: 1
        case .cc: 2
        case .bcc: 3
        case .member: 4
        }
    }
}

/// One person or account taking part in a message, as it goes into the metadata index.
public struct Participant: Sendable, Equatable, Codable {
    /// Normalized: an email address lower-cased (`local@domain`, no angle brackets); a chat handle
    /// as `<platform>:<id>`, e.g. `slack:U0123`.
    public var address: String
    /// The decoded display name, if the source gave one.
    public var displayName: String?
    /// From, to, cc, bcc or member.
    public var part: ParticipantPart
    /// For email addresses the lower-cased part after `@`; nil for chat handles.
    public var domain: String?

    /// Builds a participant from already-normalized values.
    public init(address: String, displayName: String? = nil, part: ParticipantPart, domain: String? = nil) {
        self.address = address
        self.displayName = displayName
        self.part = part
        self.domain = domain
    }
}

/// One captured message: the metadata the index may hold, plus the content that gets encrypted.
///
/// Subjects, bodies and attachment names live only in `content`, never in another field.
public struct CapturedMessage: Sendable, Equatable {
    /// Stable idempotency key: `<platform>:` + lower-hex BLAKE2b-256 of `content` (or a jsonl uid).
    public var uid: String
    /// Lower-case platform name: email, slack, teams, whatsapp, …
    public var platform: String
    /// Email: the thread root Message-ID in angle brackets (first of References, else In-Reply-To,
    /// else its own), else the uid. Chat: `<platform>:<conversation id>` from the export.
    public var conversation: String
    /// When the message was sent, unix seconds UTC.
    public var sentAt: Int64
    /// Deduplicated by (address, part), ordered from, to, cc, bcc, member.
    public var participants: [Participant]
    /// Byte count of `content`.
    public var size: Int
    /// Number of attachments (files), never their names.
    public var attachmentCount: Int
    /// Lower-case, deduplicated, sorted media types of the attachments.
    public var mediaTypes: [String]
    /// Email: the RFC 5322 bytes exactly as read. Chat: a canonical JSON document of the message.
    public var content: [UInt8]
    /// Where it came from (a file path, or `path#item-n`), for error reports.
    public var source: String

    /// Builds a message; `size` is taken from `content`.
    public init(
        uid: String, platform: String, conversation: String, sentAt: Int64, participants: [Participant],
        attachmentCount: Int, mediaTypes: [String], content: [UInt8], source: String
    ) {
        self.uid = uid
        self.platform = platform
        self.conversation = conversation
        self.sentAt = sentAt
        self.participants = participants
        self.size = content.count
        self.attachmentCount = attachmentCount
        self.mediaTypes = mediaTypes
        self.content = content
        self.source = source
    }
}

/// Why one item (a file, a message in a file, a line) could not be captured.
///
/// The reason never quotes a subject or a body: only structure, header names and dates.
public struct CaptureItemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file path, or `path#item-n`, of the item.
    public var source: String
    /// A clear human reason, e.g. "no Date header".
    public var reason: String

    /// Builds an error for `source`.
    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    /// `source: reason`, for logs and summaries.
    public var description: String { "\(source): \(reason)" }
}
