/// Splits an mbox file into messages as it streams through it.
///
/// Every line that begins with `From ` starts a new message (mboxo and mboxrd writers escape such
/// lines in bodies as `>From `). A message's content is the bytes after its `From ` line up to,
/// but not including, the line break before the next `From ` line: the separator a writer adds.
/// Escaped `>From ` lines are kept as stored, since mboxo and mboxrd cannot be told apart and
/// un-escaping would corrupt one of them; `Content-Length` is not trusted. This matches
/// MimeKit's mbox offsets.
final class MboxSource: ItemSource {
    private let path: String
    private let reader: LineReader?
    private var pendingFromLine: [UInt8]?
    private var started = false
    private var finished = false
    private var item = 0

    init(path: String) {
        self.path = path
        reader = LineReader(path: path)
    }

    func next() -> CaptureReader.Element? {
        guard !finished else { return nil }
        guard let reader else {
            finished = true
            return .failure(CaptureItemError(source: path, reason: "cannot be read (no such file or permission denied)"))
        }
        if !started {
            started = true
            reader.skipByteOrderMark()
            guard let first = reader.nextLine(limit: 4096), first.bytes.starts(with: MboxSource.fromPrefix) else {
                finished = true
                return .failure(CaptureItemError(source: path, reason: "not an mbox file: it does not start with a 'From ' line"))
            }
            pendingFromLine = first.bytes
        }
        guard let fromLine = pendingFromLine else {
            finished = true
            return nil
        }
        item += 1
        let source = "\(path)#item-\(item)"
        var content: [UInt8] = []
        var oversized = false
        pendingFromLine = nil
        while let line = reader.nextLine(limit: CaptureLimits.messageBytes + 1) {
            if line.bytes.starts(with: MboxSource.fromPrefix) {
                pendingFromLine = Array(line.bytes.prefix(4096))
                break
            }
            if oversized { continue }
            if line.truncated || content.count + line.bytes.count > CaptureLimits.messageBytes {
                // Keep reading to the next message, but drop this one's bytes now.
                oversized = true
                content = []
                continue
            }
            content.append(contentsOf: line.bytes)
        }
        if pendingFromLine == nil { finished = true }
        if oversized {
            return .failure(CaptureItemError(
                source: source, reason: "message is over the \(CaptureLimits.messageBytes / 1_048_576) MB limit"))
        }
        if pendingFromLine != nil {
            // The line break before the next "From " line separates messages; it is not content.
            if content.last == 0x0A { content.removeLast() }
            if content.last == 0x0D { content.removeLast() }
        }
        let result = EmailParser.capture(content, source: source, envelopeDate: MboxSource.envelopeDate(fromLine))
        if case .failure(var error) = result, !content.isEmpty, HeaderBlock(content, range: 0..<content.count).fields.isEmpty {
            error.reason += " (an unescaped 'From ' line in a body may have split a message here)"
            return .failure(error)
        }
        return result
    }

    private static let fromPrefix: [UInt8] = Array("From ".utf8)

    /// The time on a `From sender date` line, e.g. `From - Mon Jun  3 12:50:27 1996`.
    static func envelopeDate(_ line: [UInt8]) -> Int64? {
        let text = Charsets.utf8OrLegacy(line).trimmingWhitespace
        let words = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard words.count == 3 else { return nil }
        return MailDate.parse(String(words[2]))
    }
}
