/// One header line of a message as a reviewer sees it: decoded text, never markup.
public struct ReadableHeader: Sendable, Equatable {
    /// The header's name: `From`, `Subject`, … for email; `Sender`, `Conversation`, … for chat.
    public var name: String
    /// The decoded value on one line.
    public var value: String

    /// Builds a header from already-decoded text.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One attachment of a message, described without its bytes.
public struct ReadableAttachment: Sendable, Equatable {
    /// The file name the sender gave, decoded; nil when it has none.
    public var name: String?
    /// Lower-case `type/subtype`.
    public var mediaType: String
    /// The decoded size in bytes, when known.
    public var size: Int?

    /// Builds an attachment description.
    public init(name: String?, mediaType: String, size: Int?) {
        self.name = name
        self.mediaType = mediaType
        self.size = size
    }
}

/// A decrypted message's content turned into plain strings a web page can show as text.
///
/// Every string is plain text without control characters other than line feed and tab; the
/// page that shows it escapes it like any other text. Nothing here is HTML.
public struct ReadableMessage: Sendable, Equatable {
    /// Whether the content was read as an email or as a chat document.
    public enum Kind: String, Sendable {
        case email, chat
    }

    /// What kind of content this was read as.
    public var kind: Kind
    /// Email: From, To, Cc, Bcc, Reply-To, Date, Subject (RFC 2047 decoded, in that order, only those present).
    /// Chat: Sender, Conversation, Time (ISO 8601 UTC), and Thread/Parent if present.
    public var headers: [ReadableHeader]
    /// Email: the first text/plain body part decoded (quoted-printable/base64, charset → UTF-8, CRLF → LF);
    /// if there is only HTML, the HTML converted to plain text (tags dropped, <br>/<p>/<div>/<li>/<tr> → line
    /// breaks, entities decoded, <script>/<style>/<head> contents dropped). Chat: the message text.
    public var body: String
    /// A short explanation when the body is not a plain text part, e.g. "Shown as plain text from the message's HTML part." ; nil otherwise.
    public var bodyNote: String?
    /// Email attachments (MIMEWalker.isAttachment) with file name (RFC 2231/2047 decoded), media type and decoded size; chat: from the document's attachments.
    public var attachments: [ReadableAttachment]
    /// Problems met while reading, in plain words without quoting content (e.g. "part 3 has an unknown charset; shown as Latin-1").
    public var problems: [String]
    /// Chat only: the sender's display name or id, and the time in unix seconds, for building transcripts.
    public var sender: String?
    /// Chat only: when the message was sent, unix seconds UTC.
    public var sentAt: Int64?

    /// Builds a message from already-readable parts (the reader builds them; tests and views may too).
    public init(
        kind: Kind, headers: [ReadableHeader] = [], body: String = "", bodyNote: String? = nil,
        attachments: [ReadableAttachment] = [], problems: [String] = [], sender: String? = nil, sentAt: Int64? = nil
    ) {
        self.kind = kind
        self.headers = headers
        self.body = body
        self.bodyNote = bodyNote
        self.attachments = attachments
        self.problems = problems
        self.sender = sender
        self.sentAt = sentAt
    }
}

/// Reads the decrypted content of an archived message for display: pure, no I/O, bounded work.
public enum ContentReader {
    /// Never throws and never crashes on hostile input; bounded work (reuse CaptureLimits for MIME depth/parts; cap body at 1 MiB of text with a problem noted).
    ///
    /// `platform` is the message's platform: `email` content is RFC 5322 bytes, anything else is
    /// the canonical chat JSON document capture built. An email captured through the jsonl format
    /// is a JSON record too; such content is read as a chat document.
    public static func read(platform: String, content: [UInt8]) -> ReadableMessage {
        guard platform.lowercased() == "email" else { return ChatReading.read(content) }
        if let record = ChatReading.jsonObject(content) { return ChatReading.read(document: record) }
        return EmailReading.read(content)
    }

    /// The most text a body may hold, in UTF-8 bytes: 1 MiB.
    static let bodyTextBytes = 1_048_576
}

extension ContentReader {
    /// What content search reads of a message: its sender (email: the From header) and its subject, body and
    /// attachment names as a reader sees them.
    public static func searchable(platform: String, content: [UInt8]) -> (sender: String, text: String) {
        let r = read(platform: platform, content: content)
        let header = { (name: String) in r.headers.first { $0.name == name }?.value }
        let sender = r.kind == .email ? header("From") ?? "" : r.sender ?? header("Sender") ?? ""
        var parts: [String] = []
        if let subject = header("Subject") { parts.append(subject) }
        parts.append(r.body)
        parts += r.attachments.compactMap(\.name)
        return (sender, parts.joined(separator: "\n"))
    }
}
