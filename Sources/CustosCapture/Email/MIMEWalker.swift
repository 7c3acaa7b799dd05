import Foundation

/// One leaf of a MIME tree as the walker reports it.
struct MIMELeaf {
    var mediaType: String
    var contentType: ContentField?
    var disposition: ContentField?
    var header: HeaderBlock
    var body: Range<Int>
    /// Whether this part counts as an attachment (see `MIMEWalker.isAttachment`).
    var isAttachment: Bool
}

/// Walks a MIME tree over the original bytes: nested multiparts, odd boundaries, missing close
/// delimiters and missing blank lines are tolerated; depth and part count are bounded so hostile
/// nesting cannot exhaust the stack or the clock.
enum MIMEWalker {
    /// Attachment count and sorted, deduplicated media types of the attachments of a message.
    static func summarize(_ bytes: [UInt8], header: HeaderBlock) -> (count: Int, mediaTypes: [String]) {
        var count = 0
        var types: [String] = []
        walk(bytes, header: header) { leaf in
            if leaf.isAttachment {
                count += 1
                types.append(leaf.mediaType)
            }
        }
        return (count, MediaType.sortedUnique(types))
    }

    /// Why the walker left some of a message unread (a reader reports it; capture ignores it).
    enum Skip: Equatable {
        /// Multiparts nested deeper than `CaptureLimits.mimeDepth`.
        case tooDeep
        /// Parts beyond `CaptureLimits.mimeParts`.
        case tooManyParts
        /// A multipart without a boundary parameter.
        case noBoundary
        /// A multipart whose boundary never starts a part.
        case noParts
    }

    /// Calls `visit` for every leaf part, depth first, in document order, and `skipped` for
    /// every multipart or part it leaves unread.
    static func walk(_ bytes: [UInt8], header: HeaderBlock, visit: (MIMELeaf) -> Void,
                     skipped: (Skip) -> Void = { _ in }) {
        var parts = 0
        walkEntity(bytes, header: header, body: header.bodyStart..<bytes.count, depth: 0,
                   parent: "", parts: &parts, visit: visit, skipped: skipped)
    }

    private static func walkEntity(
        _ bytes: [UInt8], header: HeaderBlock, body: Range<Int>, depth: Int, parent: String,
        parts: inout Int, visit: (MIMELeaf) -> Void, skipped: (Skip) -> Void
    ) {
        parts += 1
        guard parts <= CaptureLimits.mimeParts else {
            skipped(.tooManyParts)
            return
        }
        let contentType = header.value("content-type").map(ContentField.init)
        let disposition = header.value("content-disposition").map(ContentField.init)
        // In a multipart/digest a part without Content-Type is a message (RFC 2046 §5.1.5).
        let mediaType = contentType?.mediaType ?? (parent == "multipart/digest" ? "message/rfc822" : "text/plain")
        if mediaType.hasPrefix("multipart/") {
            guard depth < CaptureLimits.mimeDepth else {
                skipped(.tooDeep)
                return
            }
            guard let boundary = contentType?.parameters["boundary"] else {
                skipped(.noBoundary)
                return
            }
            let ranges = split(bytes, body: body, boundary: Array(boundary.utf8))
            if ranges.isEmpty { skipped(.noParts) }
            for range in ranges {
                let partHeader = HeaderBlock(bytes, range: range)
                walkEntity(bytes, header: partHeader, body: partHeader.bodyStart..<range.upperBound, depth: depth + 1,
                           parent: mediaType, parts: &parts, visit: visit, skipped: skipped)
                if parts > CaptureLimits.mimeParts { return }
            }
            return
        }
        let attachment = isAttachment(mediaType: mediaType, contentType: contentType, disposition: disposition,
                                      parent: parent)
        visit(MIMELeaf(mediaType: mediaType, contentType: contentType, disposition: disposition, header: header,
                       body: body, isAttachment: attachment))
    }

    /// A part is an attachment if it is marked `attachment`, is an attached message, or carries a
    /// file name, except a named text alternative of the body (text/html next to text/plain).
    static func isAttachment(mediaType: String, contentType: ContentField?, disposition: ContentField?,
                             parent: String) -> Bool {
        if disposition?.value == "attachment" { return true }
        if mediaType == "message/rfc822" || mediaType == "message/global" { return true }
        let named = disposition?.parameters["filename"] != nil || contentType?.parameters["name"] != nil
        guard named else { return false }
        return !(parent == "multipart/alternative" && mediaType.hasPrefix("text/"))
    }

    /// The ranges of the parts of a multipart body: between delimiter lines, without the line
    /// break that belongs to the next delimiter; preamble and epilogue are dropped.
    static func split(_ bytes: [UInt8], body: Range<Int>, boundary: [UInt8]) -> [Range<Int>] {
        let delimiter: [UInt8] = [0x2D, 0x2D] + boundary
        var ranges: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var lineStart = body.lowerBound
            var partStart: Int?
            while lineStart < body.upperBound {
                let lineEnd = nextLineEnd(base, from: lineStart, limit: body.upperBound)
                if let closing = delimiterKind(base, line: lineStart..<lineEnd, delimiter: delimiter) {
                    // Parts beyond the walk's limit would never be looked at: stop collecting them.
                    if ranges.count >= CaptureLimits.mimeParts { return }
                    if let start = partStart {
                        ranges.append(start..<max(start, breakStart(base, before: lineStart, floor: start)))
                    }
                    if closing { return }
                    partStart = lineEnd
                }
                lineStart = lineEnd
            }
            if let start = partStart, start < body.upperBound { ranges.append(start..<body.upperBound) }
        }
        return ranges
    }

    private static func nextLineEnd(_ base: UnsafePointer<UInt8>, from start: Int, limit: Int) -> Int {
        guard let found = memchr(base + start, 0x0A, limit - start) else { return limit }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
    }

    /// nil if the line is not a delimiter; true for the closing delimiter `--boundary--`.
    private static func delimiterKind(_ base: UnsafePointer<UInt8>, line: Range<Int>, delimiter: [UInt8]) -> Bool? {
        guard line.count >= delimiter.count else { return nil }
        let matches = delimiter.withUnsafeBufferPointer { expected -> Bool in
            guard let start = expected.baseAddress else { return false }
            return memcmp(base + line.lowerBound, start, expected.count) == 0
        }
        guard matches else { return nil }
        var index = line.lowerBound + delimiter.count
        var closing = false
        if index + 1 < line.upperBound, base[index] == 0x2D, base[index + 1] == 0x2D {
            closing = true
            index += 2
        }
        // Only transport padding may follow the boundary on its line.
        while index < line.upperBound {
            let byte = base[index]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A else { return nil }
            index += 1
        }
        return closing
    }

    /// The start of the CRLF or LF that ends the line before `lineStart`.
    private static func breakStart(_ base: UnsafePointer<UInt8>, before lineStart: Int, floor: Int) -> Int {
        var index = lineStart
        if index > floor, base[index - 1] == 0x0A { index -= 1 }
        if index > floor, base[index - 1] == 0x0D { index -= 1 }
        return index
    }
}
