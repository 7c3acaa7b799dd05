/// Turns an HTML body into the plain text a browser would show, for reading as text: tags are
/// dropped, block elements and `<br>` become line breaks, entities are decoded, and what a page
/// never shows (`<head>`, `<script>`, `<style>`, `<title>`, comments) is left out. One pass over
/// the input, output bounded, no recursion: hostile markup costs linear time at most.
struct HTMLText {
    private let input: [UInt8]
    private var index = 0
    private var out: [UInt8] = []
    private var pendingSpace = false
    private var inHead = false
    private var preDepth = 0
    private let limit: Int

    /// The text of `html`, at most about `limit` UTF-8 bytes of it, and whether it was cut.
    static func convert(_ html: String, limit: Int) -> (text: String, cut: Bool) {
        var converter = HTMLText(input: Array(html.utf8), limit: limit)
        let cut = converter.run()
        return (String(decoding: converter.out, as: UTF8.self), cut)
    }

    private init(input: [UInt8], limit: Int) {
        self.input = input
        self.limit = limit
    }

    /// Elements that start and end a line of their own.
    private static let blocks: Set<String> = [
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset", "figcaption",
        "figure", "footer", "form", "header", "hr", "li", "main", "nav", "ol", "section", "table", "tbody", "tfoot",
        "thead", "tr", "ul",
    ]
    /// Elements set off by a blank line.
    private static let paragraphs: Set<String> = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "pre"]
    /// Elements that belong in a document's head.
    private static let headElements: Set<String> = [
        "base", "link", "meta", "noscript", "script", "style", "template", "title",
    ]
    /// Elements whose content is never shown as page text.
    private static let hiddenContent: Set<String> = ["script", "style", "title", "template", "noembed"]

    /// Converts the whole input; true if the output limit cut it short.
    private mutating func run() -> Bool {
        while index < input.count {
            if out.count > limit { return true }
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "<"):
                readMarkup()
            case UInt8(ascii: "&"):
                let (decoded, length) = HTMLEntities.decode(input, at: index)
                text(decoded)
                index += length
            case 0x20, 0x09, 0x0A, 0x0C, 0x0D:
                if preDepth > 0, !inHead { out.append(byte) } else { pendingSpace = true }
                index += 1
            default:
                // Copy the run of ordinary text up to the next markup, entity or whitespace.
                let start = index
                while index < input.count, !Self.isSpecial(input[index]) { index += 1 }
                text(input[start..<index])
            }
        }
        while let last = out.last, last == 0x20 || last == 0x0A { out.removeLast() }
        return false
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") || byte == 0x20 || byte == 0x09 || byte == 0x0A
            || byte == 0x0C || byte == 0x0D
    }

    /// Appends shown text, with the single space that stands for any whitespace before it.
    private mutating func text(_ bytes: some Collection<UInt8>) {
        guard !inHead, !bytes.isEmpty else { return }
        if pendingSpace, let last = out.last, last != 0x0A, last != 0x20 { out.append(0x20) }
        pendingSpace = false
        out.append(contentsOf: bytes)
    }

    /// Ends the current line, leaving at most `blankLines` empty lines after it.
    private mutating func lineBreak(blankLines: Int) {
        pendingSpace = false
        guard !inHead else { return }
        while out.last == 0x20 { out.removeLast() }
        guard !out.isEmpty else { return }
        var trailing = 0
        while trailing < out.count, out[out.count - 1 - trailing] == 0x0A { trailing += 1 }
        while trailing <= blankLines {
            out.append(0x0A)
            trailing += 1
        }
    }

    /// Reads a tag, comment or declaration at `<`; a `<` that starts none of them is text.
    private mutating func readMarkup() {
        let next = index + 1 < input.count ? input[index + 1] : 0
        if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
            if matches("<!--", at: index) {
                index = find(Array("-->".utf8), from: index + 4).map { $0 + 3 } ?? input.count
            } else {
                index = find([UInt8(ascii: ">")], from: index + 2).map { $0 + 1 } ?? input.count
            }
            return
        }
        let closing = next == UInt8(ascii: "/")
        let nameStart = index + (closing ? 2 : 1)
        guard nameStart < input.count, Self.isLetter(input[nameStart]) else {
            text([UInt8(ascii: "<")])
            index += 1
            return
        }
        var nameEnd = nameStart
        while nameEnd < input.count, Self.isLetter(input[nameEnd]) || (0x30...0x39).contains(input[nameEnd]) {
            nameEnd += 1
        }
        let name = String(decoding: input[nameStart..<nameEnd].map { $0 | 0x20 }, as: UTF8.self)
        index = tagEnd(from: nameEnd)
        apply(name, closing: closing)
    }

    /// What a tag does to the text around it.
    private mutating func apply(_ name: String, closing: Bool) {
        // A head left open ends where the first element of a body starts, as in a browser.
        if inHead, name != "head", !Self.headElements.contains(name) { inHead = false }
        switch name {
        case "head":
            inHead = !closing
        case "br":
            guard !inHead else { return }
            while out.last == 0x20 { out.removeLast() }
            out.append(0x0A)
            pendingSpace = false
        case "pre":
            preDepth = max(0, preDepth + (closing ? -1 : 1))
            lineBreak(blankLines: 1)
        case "td", "th":
            pendingSpace = true
        case _ where Self.hiddenContent.contains(name) && !closing:
            // Raw text: nothing inside is markup, up to the matching end tag.
            let end = findEndTag(name, from: index)
            index = end.map { tagEnd(from: $0) } ?? input.count
        case _ where Self.paragraphs.contains(name):
            lineBreak(blankLines: 1)
        case _ where Self.blocks.contains(name):
            lineBreak(blankLines: 0)
        default:
            break
        }
    }

    /// The index after the `>` that closes a tag whose name ends at `start`; quoted attribute
    /// values may hold `>`.
    private func tagEnd(from start: Int) -> Int {
        var position = start
        var quote: UInt8?
        while position < input.count {
            let byte = input[position]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: ">") {
                return position + 1
            } else if (byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")), position > start,
                      input[position - 1] == UInt8(ascii: "=") || input[position - 1] == 0x20 {
                quote = byte
            }
            position += 1
        }
        return input.count
    }

    /// The index of `</name` (any case) at or after `start`.
    private func findEndTag(_ name: String, from start: Int) -> Int? {
        let wanted = Array(("</" + name).utf8)
        var position = start
        while let found = find([UInt8(ascii: "<")], from: position) {
            if found + wanted.count <= input.count,
               zip(input[found..<(found + wanted.count)], wanted).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                return found + wanted.count
            }
            position = found + 1
        }
        return nil
    }

    private func matches(_ text: String, at position: Int) -> Bool {
        let bytes = Array(text.utf8)
        return position + bytes.count <= input.count && input[position..<(position + bytes.count)].elementsEqual(bytes)
    }

    /// The first index at or after `start` where `needle` occurs.
    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first else { return nil }
        var position = start
        while position + needle.count <= input.count {
            if input[position] == first, input[position..<(position + needle.count)].elementsEqual(needle) {
                return position
            }
            position += 1
        }
        return nil
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
