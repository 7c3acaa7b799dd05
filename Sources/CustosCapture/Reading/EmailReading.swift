/// Reads an RFC 5322 message with capture's own parsers (`HeaderBlock`, `MIMEWalker`,
/// `ContentField`, `Charsets`): the display headers, one text body and the attachment list.
enum EmailReading {
    /// The headers shown, in this order, and how each is decoded.
    private static let shownHeaders: [(name: String, isAddressList: Bool)] = [
        ("From", true), ("To", true), ("Cc", true), ("Bcc", true), ("Reply-To", true), ("Date", false),
        ("Subject", false),
    ]
    /// More fields of one name than this are counted in a problem, not shown.
    private static let fieldsPerName = 20
    /// The most header value bytes read for display, all shown fields together.
    private static let headerBytes = 1_048_576

    /// The readable form of `bytes`.
    static func read(_ bytes: [UInt8]) -> ReadableMessage {
        var message = ReadableMessage(kind: .email)
        let header = HeaderBlock(bytes, range: 0..<bytes.count)
        if header.fields.isEmpty {
            message.problems.append("no header fields were found; the whole content is read as the body")
        }
        // All shown header values together are read up to 1 MiB, so hostile headers cost bounded work.
        var budget = headerBytes
        for (name, isAddressList) in shownHeaders {
            let values = header.values(name)
            for value in values.prefix(fieldsPerName) {
                guard budget > 0 else { break }
                let kept = value.count > budget ? Array(value.prefix(budget)) : value
                if kept.count < value.count {
                    message.problems.append("the \(name) field is cut short: headers are shown up to 1 MiB in all")
                }
                budget -= kept.count
                let text = DisplayText.line(isAddressList ? HeaderText.addresses(kept) : HeaderText.unstructured(kept))
                if !text.isEmpty { message.headers.append(ReadableHeader(name: name, value: text)) }
            }
            if values.count > fieldsPerName {
                message.problems.append("the message has \(values.count) \(name) fields; only the first \(fieldsPerName) are shown")
            }
        }

        var body = BodyChoice()
        var leafCount = 0
        var skips: [MIMEWalker.Skip] = []
        MIMEWalker.walk(bytes, header: header, visit: { leaf in
            leafCount += 1
            if leaf.isAttachment {
                message.attachments.append(attachment(leaf, number: leafCount, in: bytes, problems: &message.problems))
            } else {
                body.consider(leaf, number: leafCount)
            }
        }, skipped: { skip in
            if !skips.contains(skip) { skips.append(skip) }
        })
        message.problems += skips.map(describe)

        if let (leaf, number) = body.plain {
            let decoded = text(of: leaf, number: number, in: bytes, byteLimit: 2 * ContentReader.bodyTextBytes,
                               problems: &message.problems)
            setBody(&message, decoded.text, cut: decoded.cut)
        } else if let (leaf, number) = body.html {
            let decoded = text(of: leaf, number: number, in: bytes, byteLimit: 4 * ContentReader.bodyTextBytes,
                               problems: &message.problems)
            let converted = HTMLText.convert(decoded.text, limit: ContentReader.bodyTextBytes)
            setBody(&message, converted.text, cut: decoded.cut || converted.cut)
            message.bodyNote = "Shown as plain text from the message's HTML part."
        } else if let (leaf, number) = body.otherText {
            let decoded = text(of: leaf, number: number, in: bytes, byteLimit: 2 * ContentReader.bodyTextBytes,
                               problems: &message.problems)
            setBody(&message, decoded.text, cut: decoded.cut)
            message.bodyNote = "Shown as text from the message's \(leaf.mediaType) part."
        } else if leafCount == 0, header.bodyStart < bytes.count {
            // The MIME structure gave no part at all: the raw body is still worth reading.
            let raw = bytes[header.bodyStart...]
            let shown = DisplayText.prefix(raw, limit: 2 * ContentReader.bodyTextBytes)
            setBody(&message, Charsets.utf8OrLegacy(shown), cut: shown.count < raw.count)
            message.bodyNote = "Shown as the raw text of the message body, because its MIME parts could not be read."
        } else {
            message.bodyNote = message.attachments.isEmpty
                ? "The message has no text." : "The message has no text part; see its attachments."
        }
        return message
    }

    /// The candidates for the body: the first plain text part, else the first HTML part, else
    /// the first other text part, among the parts that are not attachments.
    private struct BodyChoice {
        var plain: (MIMELeaf, Int)?
        var html: (MIMELeaf, Int)?
        var otherText: (MIMELeaf, Int)?

        mutating func consider(_ leaf: MIMELeaf, number: Int) {
            switch leaf.mediaType {
            case "text/plain": if plain == nil { plain = (leaf, number) }
            case "text/html": if html == nil { html = (leaf, number) }
            case let type where type.hasPrefix("text/"): if otherText == nil { otherText = (leaf, number) }
            default: break
            }
        }
    }

    private static func setBody(_ message: inout ReadableMessage, _ text: String, cut: Bool) {
        let capped = DisplayText.capped(text, limit: ContentReader.bodyTextBytes)
        message.body = DisplayText.body(capped.text)
        if cut || capped.cut { message.problems.append(ChatReading.bodyCutProblem) }
    }

    /// The text of a part: transfer encoding undone (at most `byteLimit` bytes), charset read.
    private static func text(of leaf: MIMELeaf, number: Int, in bytes: [UInt8], byteLimit: Int,
                             problems: inout [String]) -> (text: String, cut: Bool) {
        let encoding = TransferDecoding.encoding(of: leaf.header)
        if encoding == .unknown {
            problems.append("part \(number) has an unknown transfer encoding; shown undecoded")
        }
        let decoded = TransferDecoding.decode(bytes[leaf.body], encoding: encoding, limit: byteLimit)
        let charset = leaf.contentType?.parameters["charset"] ?? ""
        let (text, reading) = Charsets.decodeReporting(decoded.bytes, charset: charset)
        if reading != .exact {
            let fallback = String(validating: decoded.bytes, as: UTF8.self) != nil ? "UTF-8" : "Windows-1252 (Latin-1)"
            problems.append(reading == .unknownCharset
                ? "part \(number) has an unknown charset; shown as \(fallback)"
                : "part \(number) has bytes that are not valid in its charset; shown as \(fallback)")
        }
        return (text, decoded.cut)
    }

    /// An attachment's decoded name (RFC 2231 by `ContentField`, RFC 2047 here), type and size.
    private static func attachment(_ leaf: MIMELeaf, number: Int, in bytes: [UInt8],
                                   problems: inout [String]) -> ReadableAttachment {
        var name = leaf.disposition?.parameters["filename"] ?? leaf.contentType?.parameters["name"]
        if let raw = name, raw.contains("=?") {
            // Encoded words are not allowed in parameters, but many mailers write them there.
            name = HeaderText.unstructured(Array(raw.utf8))
        }
        let shownName = name.map(DisplayText.line).flatMap { $0.isEmpty ? nil : $0 }
        let encoding = TransferDecoding.encoding(of: leaf.header)
        if encoding == .unknown {
            problems.append("part \(number) has an unknown transfer encoding; its size is the encoded size")
        }
        let size = TransferDecoding.decodedSize(bytes[leaf.body], encoding: encoding)
        return ReadableAttachment(name: shownName, mediaType: leaf.mediaType, size: size)
    }

    private static func describe(_ skip: MIMEWalker.Skip) -> String {
        switch skip {
        case .tooDeep:
            "MIME parts nested deeper than \(CaptureLimits.mimeDepth) levels were not read"
        case .tooManyParts:
            "the message has more than \(CaptureLimits.mimeParts) MIME parts; the rest were not read"
        case .noBoundary:
            "a multipart part names no boundary; its contents were not read"
        case .noParts:
            "a multipart part has no parts: its boundary never appears"
        }
    }
}
