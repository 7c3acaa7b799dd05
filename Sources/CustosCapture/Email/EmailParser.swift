/// Turns the bytes of one RFC 5322 message into a `CapturedMessage`: participants from the
/// address headers, the send time, the thread root and the attachment summary. The content is
/// the bytes exactly as given.
enum EmailParser {
    /// Parses `bytes`; `envelopeDate` is the mbox `From ` line's time, used only without a Date header.
    static func capture(_ bytes: [UInt8], source: String, envelopeDate: Int64? = nil)
        -> Result<CapturedMessage, CaptureItemError> {
        func failure(_ reason: String) -> Result<CapturedMessage, CaptureItemError> {
            .failure(CaptureItemError(source: source, reason: reason))
        }
        guard !bytes.isEmpty else { return failure("empty: not an RFC 5322 message") }
        guard bytes.count <= CaptureLimits.messageBytes else {
            return failure("message is \(bytes.count) bytes, over the \(CaptureLimits.messageBytes / 1_048_576) MB limit")
        }
        let header = HeaderBlock(bytes, range: 0..<bytes.count)
        guard !header.fields.isEmpty else {
            return failure("no header fields found: not an RFC 5322 message")
        }
        let sentAt: Int64
        switch sendTime(header, envelopeDate: envelopeDate) {
        case .success(let time): sentAt = time
        case .failure(let reason): return failure(reason.text)
        }

        var participants = ParticipantList()
        let fromValues = header.values("from").isEmpty ? header.values("sender") : header.values("from")
        for value in fromValues { AddressList.parse(value, part: .from).forEach { participants.add($0) } }
        for (name, part) in [("to", ParticipantPart.to), ("cc", ParticipantPart.cc), ("bcc", ParticipantPart.bcc)] {
            for value in header.values(name) { AddressList.parse(value, part: part).forEach { participants.add($0) } }
        }

        let uid = ContentID.uid(platform: "email", content: bytes)
        let conversation = threadRoot(header) ?? uid
        let summary = MIMEWalker.summarize(bytes, header: header)
        return .success(CapturedMessage(
            uid: uid, platform: "email", conversation: conversation, sentAt: sentAt,
            participants: participants.ordered, attachmentCount: summary.count, mediaTypes: summary.mediaTypes,
            content: bytes, source: source
        ))
    }

    /// The Date header; without one (or with an empty one), the newest Received trace time
    /// (stamped by the receiving server), then the mbox envelope time. A Date header that is
    /// present but unreadable is an error: guessing would misfile a message someone must review.
    static func sendTime(_ header: HeaderBlock, envelopeDate: Int64?) -> Result<Int64, Refusal> {
        if let date = header.text("date"), !date.isEmpty {
            if let time = MailDate.parse(date) { return .success(time) }
            return .failure(Refusal(text: "Date header '\(printable(date))' is not a valid RFC 5322 date"))
        }
        if let received = header.values("received").first {
            let text = Charsets.utf8OrLegacy(received)
            if let semicolon = text.lastIndex(of: ";"), let time = MailDate.parse(String(text[text.index(after: semicolon)...])) {
                return .success(time)
            }
        }
        if let envelopeDate { return .success(envelopeDate) }
        return .failure(Refusal(text: "no Date header (and no Received or mbox From_ time to fall back on)"))
    }

    /// The thread root: the first Message-ID in References, else In-Reply-To, else the message's own.
    static func threadRoot(_ header: HeaderBlock) -> String? {
        for name in ["references", "in-reply-to", "message-id"] {
            if let value = header.value(name), let id = firstMessageID(value) { return id }
        }
        return nil
    }

    /// `<id>` of the first msg-id in a header value, brackets added if the sender left them out.
    static func firstMessageID(_ value: [UInt8]) -> String? {
        let text = Charsets.utf8OrLegacy(value)
        var id: Substring?
        if let open = text.firstIndex(of: "<") {
            let rest = text[text.index(after: open)...]
            id = rest.prefix { $0 != ">" }
        } else {
            id = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).first
        }
        guard let id else { return nil }
        let cleaned = String(String.UnicodeScalarView(id.unicodeScalars.filter {
            !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F
        }))
        guard !cleaned.isEmpty, cleaned.utf8.count <= 998 else { return nil }
        return "<" + cleaned + ">"
    }

    /// Printable ASCII of `text`, at most 80 characters, for error reasons.
    static func printable(_ text: String) -> String {
        let scalars = text.unicodeScalars.prefix(80).map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }
        return String(scalars) + (text.unicodeScalars.count > 80 ? "…" : "")
    }
}
