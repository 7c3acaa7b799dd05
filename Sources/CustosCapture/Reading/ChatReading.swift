import Foundation

/// Reads the canonical chat documents capture writes (`ChatDocument`: Slack, RSMF platforms) and
/// the records of the jsonl format (docs/jsonl-format.md), whose content is the record itself.
enum ChatReading {
    /// `content` as a JSON object, if it is one (`{`…`}` around optional whitespace); an RFC
    /// 5322 message never is, a jsonl record always is.
    static func jsonObject(_ content: [UInt8]) -> JSONValue? {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = content.first(where: { !isSpace($0) }), first == UInt8(ascii: "{"),
              let last = content.last(where: { !isSpace($0) }), last == UInt8(ascii: "}"),
              let value = JSONValue.parse(content), value.isObject else { return nil }
        return value
    }

    /// The message of one chat document; content that is not a JSON object is shown as text.
    static func read(_ content: [UInt8]) -> ReadableMessage {
        guard let document = JSONValue.parse(content), document.isObject else {
            let shown = DisplayText.prefix(content[...], limit: ContentReader.bodyTextBytes)
            // Each invalid byte becomes a three-byte U+FFFD: cap again after decoding.
            let text = DisplayText.capped(String(decoding: shown, as: UTF8.self), limit: ContentReader.bodyTextBytes)
            var message = ReadableMessage(kind: .chat, body: DisplayText.body(text.text))
            message.problems.append("the content is not a JSON chat document; shown as raw text")
            if text.cut || shown.count < content.count { message.problems.append(bodyCutProblem) }
            return message
        }
        return read(document: document)
    }

    static let bodyCutProblem = "the body is longer than 1 MiB; only its first 1 MiB is shown"

    /// The message of a parsed chat document or jsonl record.
    static func read(document: JSONValue) -> ReadableMessage {
        var message = ReadableMessage(kind: .chat)
        // ChatDocument writes "sender"; a jsonl record names the sender "from".
        let sender = party(document["sender"]) ?? party(document["from"])
        if let sender {
            message.sender = sender.short
            message.headers.append(ReadableHeader(name: "Sender", value: sender.full))
        } else {
            message.problems.append("the message names no sender")
        }
        if let conversation = party(document["conversation"]) {
            message.headers.append(ReadableHeader(name: "Conversation", value: conversation.short))
        }
        if let seconds = time(document) {
            message.sentAt = seconds
            message.headers.append(ReadableHeader(name: "Time", value: CivilTime.rfc3339(seconds)))
        } else {
            message.problems.append("the message has no readable time")
        }
        for (field, name) in [("thread_ts", "Thread"), ("thread", "Thread"), ("parent", "Parent")] {
            if let value = document[field].flatMap(scalarText), !value.isEmpty {
                message.headers.append(ReadableHeader(name: name, value: value))
            }
        }

        let isSlack = document["platform"]?.string == "slack"
        switch document["text"] {
        case nil, .null?:
            break
        case .string(let raw)?:
            var text = isSlack ? slackUnescaped(raw) : raw
            if isSlack, text.isEmpty, let posted = slackAttachmentText(document["original"]) {
                // Integrations post with empty text and say everything in message attachments.
                text = posted
                message.bodyNote = "Shown from the message's Slack attachments (the message text is empty)."
            }
            let (shown, cut) = DisplayText.capped(text, limit: ContentReader.bodyTextBytes)
            message.body = DisplayText.body(shown)
            if cut { message.problems.append(bodyCutProblem) }
        case let other?:
            message.body = DisplayText.body(String(decoding: other.canonicalBytes.prefix(ContentReader.bodyTextBytes),
                                                   as: UTF8.self))
            message.problems.append("the message text is \(other.typeName), not a string; shown as JSON")
        }

        if let items = document["attachments"]?.array {
            for item in items where item.isObject {
                let type = item["media_type"]?.string.flatMap(MediaType.normalized) ?? "application/octet-stream"
                let size = item["size"]?.int.flatMap { $0 >= 0 ? Int(exactly: $0) : nil }
                let name = item["name"]?.string.map(DisplayText.line).flatMap { $0.isEmpty ? nil : $0 }
                message.attachments.append(ReadableAttachment(name: name, mediaType: type, size: size))
            }
        }
        return message
    }

    /// Slack escapes `&`, `<` and `>` in message text (its only markup escapes); the reader shows
    /// the characters. Mentions and links (`<@U123>`, `<https://…|label>`) stay as written.
    private static func slackUnescaped(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The pretext, title and text (or fallback) of a Slack message's attachments, if any.
    private static func slackAttachmentText(_ original: JSONValue?) -> String? {
        let items = original?["attachments"]?.array ?? []
        let blocks = items.prefix(100).map { item -> String in
            let text = item["text"]?.string ?? item["fallback"]?.string
            return [item["pretext"]?.string, item["title"]?.string, text].compactMap { $0 }.filter { !$0.isEmpty }
                .joined(separator: "\n")
        }.filter { !$0.isEmpty }
        return blocks.isEmpty ? nil : slackUnescaped(blocks.joined(separator: "\n\n"))
    }

    /// A sender or conversation: `{"id", "name"}` (ChatDocument), `{"address", "name"}` (jsonl),
    /// or a plain string (a jsonl conversation). `short` is the name or else the id; `full` adds
    /// the id in parentheses when both are known.
    private static func party(_ value: JSONValue?) -> (short: String, full: String)? {
        guard let value else { return nil }
        if let text = scalarText(value) {
            let line = DisplayText.line(text)
            return line.isEmpty ? nil : (line, line)
        }
        let name = value["name"].flatMap(scalarText).map(DisplayText.line) ?? ""
        let id = (value["id"] ?? value["address"]).flatMap(scalarText).map(DisplayText.line) ?? ""
        switch (name.isEmpty, id.isEmpty) {
        case (false, false): return name == id ? (name, name) : (name, name + " (" + id + ")")
        case (false, true): return (name, name)
        case (true, false): return (id, id)
        case (true, true): return nil
        }
    }

    /// A string or a number as text (exports use both for ids and Slack timestamps).
    private static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number) where number.isFinite: String(number)
        default: nil
        }
    }

    /// The send time: ChatDocument's `time`, a jsonl `sent_at` (RFC 3339 or unix seconds), or a
    /// Slack `ts`; years 1000 to 9999, as capture accepts.
    private static func time(_ document: JSONValue) -> Int64? {
        let seconds: Int64?
        if let text = document["time"]?.string {
            seconds = CivilTime.parseRFC3339(text, assumeUTC: true)
        } else if let sent = document["sent_at"] {
            switch sent {
            case .string(let text): seconds = CivilTime.parseRFC3339(text)
            case .int(let value): seconds = value
            case .double(let value) where value.isFinite && abs(value) < 1e15: seconds = Int64(value.rounded(.down))
            default: seconds = nil
            }
        } else {
            return SlackMessage.unixSeconds(document["ts"])
        }
        guard let seconds, (-30_610_224_000...253_402_300_799).contains(seconds) else { return nil }
        return seconds
    }
}
