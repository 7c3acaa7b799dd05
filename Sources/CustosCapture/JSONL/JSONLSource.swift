/// Reads our own JSON-lines format (docs/jsonl-format.md): one message per line, content = the
/// line's bytes. Blank lines are skipped; a bad line is a per-item error naming its line number.
final class JSONLSource: ItemSource {
    private let path: String
    private let reader: LineReader?
    private var lineNumber = 0
    private var finished = false

    init(path: String) {
        self.path = path
        reader = LineReader(path: path)
        reader?.skipByteOrderMark()
    }

    func next() -> CaptureReader.Element? {
        guard !finished else { return nil }
        guard let reader else {
            finished = true
            return .failure(CaptureItemError(source: path, reason: "cannot be read (no such file or permission denied)"))
        }
        while let line = reader.nextLine(limit: CaptureLimits.messageBytes) {
            lineNumber += 1
            let source = "\(path)#line-\(lineNumber)"
            if line.truncated {
                return .failure(CaptureItemError(
                    source: source, reason: "line \(lineNumber) is over the \(CaptureLimits.messageBytes / 1_048_576) MB limit"))
            }
            var bytes = line.bytes
            if bytes.last == 0x0A { bytes.removeLast() }
            if bytes.last == 0x0D { bytes.removeLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            return JSONLRecord.capture(bytes, line: lineNumber, source: source)
        }
        finished = true
        return nil
    }
}

/// Validates and converts one jsonl record.
enum JSONLRecord {
    /// The message of one line, or a reason naming the line and the field at fault.
    static func capture(_ bytes: [UInt8], line: Int, source: String) -> CaptureReader.Element {
        switch read(bytes) {
        case .success(let message):
            var message = message
            message.source = source
            return .success(message)
        case .failure(let reason):
            return .failure(CaptureItemError(source: source, reason: "line \(line): \(reason.text)"))
        }
    }

    private static func read(_ bytes: [UInt8]) -> Result<CapturedMessage, Refusal> {
        func fail(_ text: String) -> Result<CapturedMessage, Refusal> { .failure(.init(text: text)) }
        guard let record = JSONValue.parse(bytes) else { return fail("not valid JSON") }
        guard record.isObject else { return fail("not a JSON object but \(record.typeName)") }

        guard let rawPlatform = record["platform"] else { return fail("missing \"platform\"") }
        guard let platformText = rawPlatform.string else { return fail("\"platform\" must be a string") }
        let platform = platformText.lowercased()
        guard isPlatformName(platform) else {
            return fail("\"platform\" '\(EmailParser.printable(platformText))' must be a short lower-case name like email or slack")
        }
        guard let conversation = record["conversation"]?.string?.trimmingWhitespace, !conversation.isEmpty else {
            return fail("missing or empty \"conversation\" (a string)")
        }
        guard conversation.utf8.count <= 1024 else { return fail("\"conversation\" is longer than 1024 bytes") }
        let sentAt: Int64
        switch time(record["sent_at"]) {
        case .success(let value): sentAt = value
        case .failure(let reason): return .failure(reason)
        }

        var participants = ParticipantList()
        guard let from = record["from"] else { return fail("missing \"from\"") }
        switch participant(from, field: "from", part: .from) {
        case .success(let value): participants.add(value)
        case .failure(let reason): return .failure(reason)
        }
        for (field, part) in [("to", ParticipantPart.to), ("cc", .cc), ("bcc", .bcc), ("members", .member)] {
            guard let value = record[field] else { continue }
            guard let items = value.array else { return fail("\"\(field)\" must be an array") }
            for (index, item) in items.enumerated() {
                switch participant(item, field: "\(field)[\(index)]", part: part) {
                case .success(let value): participants.add(value)
                case .failure(let reason): return .failure(reason)
                }
            }
        }

        var mediaTypes: [String] = []
        var attachmentCount = 0
        if let value = record["attachments"] {
            guard let items = value.array else { return fail("\"attachments\" must be an array") }
            for (index, item) in items.enumerated() {
                guard item.isObject else { return fail("\"attachments[\(index)]\" must be an object") }
                var type = "application/octet-stream"
                if let raw = item["media_type"] {
                    guard let text = raw.string, let normalized = MediaType.normalized(text) else {
                        return fail("\"attachments[\(index)].media_type\" is not a media type like image/png")
                    }
                    type = normalized
                }
                if let size = item["size"], (size.int ?? -1) < 0 {
                    return fail("\"attachments[\(index)].size\" must be a non-negative integer")
                }
                mediaTypes.append(type)
                attachmentCount += 1
            }
        }

        var uid = ContentID.uid(platform: platform, content: bytes)
        if let given = record["uid"] {
            guard let text = given.string, !text.isEmpty, text.utf8.count <= 512,
                  text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                return fail("\"uid\" must be a non-empty string of at most 512 bytes without control characters")
            }
            uid = ContentID.uid(platform: platform, sourceID: text.hasPrefix(platform + ":") ? String(text.dropFirst(platform.count + 1)) : text)
        }
        return .success(CapturedMessage(
            uid: uid, platform: platform, conversation: conversation, sentAt: sentAt,
            participants: participants.ordered, attachmentCount: attachmentCount,
            mediaTypes: MediaType.sortedUnique(mediaTypes), content: bytes, source: ""
        ))
    }

    /// `[a-z0-9][a-z0-9._-]{0,31}`.
    static func isPlatformName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count), let first = bytes.first,
              (0x61...0x7A).contains(first) || (0x30...0x39).contains(first) else { return false }
        return bytes.allSatisfy {
            (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        }
    }

    /// Earliest and latest accepted times: years 1000 to 9999.
    private static let timeRange: ClosedRange<Int64> = -30_610_224_000...253_402_300_799

    private static func time(_ value: JSONValue?) -> Result<Int64, Refusal> {
        switch value {
        case nil:
            return .failure(.init(text: "missing \"sent_at\""))
        case .string(let text)?:
            guard let seconds = CivilTime.parseRFC3339(text) else {
                return .failure(.init(text: "\"sent_at\" '\(EmailParser.printable(text))' is not an RFC 3339 time with an offset"))
            }
            return .success(seconds)
        case .int(let seconds)? where timeRange.contains(seconds):
            return .success(seconds)
        case .double(let seconds)? where seconds.isFinite && seconds >= Double(timeRange.lowerBound)
            && seconds <= Double(timeRange.upperBound):
            return .success(Int64(seconds.rounded(.down)))
        default:
            return .failure(.init(text: "\"sent_at\" must be an RFC 3339 string or unix seconds between the years 1000 and 9999"))
        }
    }

    private static func participant(_ value: JSONValue, field: String, part: ParticipantPart)
        -> Result<Participant, Refusal> {
        guard value.isObject else { return .failure(.init(text: "\"\(field)\" must be an object with an address")) }
        guard let address = value["address"]?.string else {
            return .failure(.init(text: "\"\(field).address\" is missing or not a string"))
        }
        var name: String?
        if let raw = value["name"] {
            guard let text = raw.string else { return .failure(.init(text: "\"\(field).name\" must be a string")) }
            name = text.isEmpty ? nil : text
        }
        guard let participant = Identity.any(address, displayName: name, part: part) else {
            return .failure(.init(text: "\"\(field).address\" is empty"))
        }
        return .success(participant)
    }
}
