import Foundation

/// The text of one granted message, as the content search reads it.
public struct SearchableMessage: Sendable {
    public var messageID: Int64
    public var sentAt: Int64
    public var sender: String
    /// Subject, body and attachment names, as a reader sees them.
    public var text: String

    public init(messageID: Int64, sentAt: Int64, sender: String, text: String) {
        self.messageID = messageID
        self.sentAt = sentAt
        self.sender = sender
        self.text = text
    }
}

/// A word index over the decrypted messages of one grant, held in memory only (never written anywhere) and dropped
/// with the grant. Words are runs of letters and digits, compared case- and accent-insensitively; a phrase matches
/// where its words stand next to each other in that order.
public final class GrantTextIndex: Sendable {
    /// One word occurrence: its term and where it stands in the message's UTF-8 text.
    struct Token: Sendable { var term: Int32; var start: Int32; var end: Int32 }

    struct Document: Sendable {
        var message: SearchableMessage
        var utf8: [UInt8]
        var tokens: [Token]
        var foldedSender: String
    }

    let documents: [Document]
    let vocabulary: [String: Int32]
    /// term → documents containing it, ascending.
    let postings: [[Int32]]
    /// Bytes this index holds, roughly: what the memory bound counts.
    public let bytes: Int

    public var messageCount: Int { documents.count }

    public init(_ messages: [SearchableMessage]) {
        var vocabulary: [String: Int32] = [:]
        var postings: [[Int32]] = []
        var documents: [Document] = []
        var bytes = 0
        for (d, message) in messages.enumerated() {
            let utf8 = Array(message.text.utf8)
            var tokens: [Token] = []
            for word in Self.words(message.text) {
                let term: Int32
                if let known = vocabulary[word.key] {
                    term = known
                } else {
                    term = Int32(postings.count)
                    vocabulary[word.key] = term
                    postings.append([])
                    bytes += word.key.utf8.count + 48
                }
                if postings[Int(term)].last != Int32(d) { postings[Int(term)].append(Int32(d)); bytes += 4 }
                tokens.append(Token(term: term, start: Int32(word.start), end: Int32(word.end)))
            }
            bytes += utf8.count + tokens.count * MemoryLayout<Token>.stride + message.sender.utf8.count + 96
            documents.append(Document(message: message, utf8: utf8, tokens: tokens, foldedSender: Self.fold(message.sender)))
        }
        self.documents = documents
        self.vocabulary = vocabulary
        self.postings = postings
        self.bytes = bytes
    }

    /// A hit: the message and where the first match stands in its text.
    public struct Hit: Sendable {
        public var message: SearchableMessage
        /// The text around the first match: before it, the match itself, after it.
        public var before: String
        public var match: String
        public var after: String
    }

    /// Messages containing every phrase (a single word is a phrase of one), from a sender whose name or address
    /// contains `sender`, sent in `from..<until`; oldest first.
    public func search(phrases: [String], sender: String? = nil, from: Int64? = nil, until: Int64? = nil) -> [Hit] {
        let wanted = phrases.map { Self.words($0).map(\.key) }.filter { !$0.isEmpty }
        var terms: [[Int32]] = []
        for phrase in wanted {
            var ids: [Int32] = []
            for word in phrase {
                guard let id = vocabulary[word] else { return [] }
                ids.append(id)
            }
            terms.append(ids)
        }
        let senderKey = sender.map(Self.fold).flatMap { $0.isEmpty ? nil : $0 }
        var candidates: [Int32]
        if let rarest = terms.flatMap({ $0 }).min(by: { postings[Int($0)].count < postings[Int($1)].count }) {
            candidates = postings[Int(rarest)]
        } else {
            candidates = documents.indices.map(Int32.init)
        }
        var hits: [Hit] = []
        for c in candidates {
            let doc = documents[Int(c)]
            if let from, doc.message.sentAt < from { continue }
            if let until, doc.message.sentAt >= until { continue }
            if let senderKey, !doc.foldedSender.contains(senderKey) { continue }
            var first: (Int32, Int32)?
            var all = true
            for phrase in terms {
                guard let at = Self.find(phrase, in: doc.tokens) else { all = false; break }
                let span = (doc.tokens[at].start, doc.tokens[at + phrase.count - 1].end)
                if first == nil || span.0 < first!.0 { first = span }
            }
            guard all else { continue }
            hits.append(Self.hit(doc, first))
        }
        return hits.sorted { ($0.message.sentAt, $0.message.messageID) < ($1.message.sentAt, $1.message.messageID) }
    }

    /// The lower-cased, accent-free form words are compared in.
    public static func fold(_ s: String) -> String {
        s.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil).lowercased()
    }

    /// The words of `text`: their folded form and UTF-8 offsets. ASCII words, nearly all of most mail, are
    /// lower-cased byte by byte; only words with other letters go through Foundation's folding.
    static func words(_ text: String) -> [(key: String, start: Int, end: Int)] {
        var out: [(key: String, start: Int, end: Int)] = []
        var current = String.UnicodeScalarView()
        var ascii: [UInt8] = []
        var allASCII = true
        var start = 0
        var offset = 0
        func flush() {
            if allASCII {
                if !ascii.isEmpty { out.append((String(decoding: ascii, as: UTF8.self), start, offset)) }
            } else if !current.isEmpty {
                out.append((fold(String(current)), start, offset))
            }
            current.removeAll(keepingCapacity: true)
            ascii.removeAll(keepingCapacity: true)
            allASCII = true
        }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                let b = UInt8(v)
                let isWord = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                if isWord {
                    if current.isEmpty && ascii.isEmpty { start = offset }
                    ascii.append(b >= 0x41 && b <= 0x5A ? b + 0x20 : b)
                    current.append(scalar)
                } else {
                    flush()
                }
                offset += 1
                continue
            }
            let p = scalar.properties
            let isWord = p.isAlphabetic || p.numericType != nil
            let isMark = p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark
            if isWord || (isMark && !current.isEmpty) {
                if current.isEmpty { start = offset }
                current.append(scalar)
                allASCII = false
            } else {
                flush()
            }
            offset += scalar.utf8.count
        }
        flush()
        return out
    }

    private static func find(_ phrase: [Int32], in tokens: [Token]) -> Int? {
        guard !phrase.isEmpty, tokens.count >= phrase.count else { return nil }
        outer: for i in 0...(tokens.count - phrase.count) where tokens[i].term == phrase[0] {
            for k in 1..<phrase.count where tokens[i + k].term != phrase[k] { continue outer }
            return i
        }
        return nil
    }

    /// Context shown around a match, in bytes each side (widened to whole characters).
    static let context = 90

    private static func hit(_ doc: Document, _ span: (Int32, Int32)?) -> Hit {
        guard let span else {
            let head = String(decoding: doc.utf8.prefix(context * 2), as: UTF8.self)
            return Hit(message: doc.message, before: "", match: "", after: head)
        }
        let s = Int(span.0), e = Int(span.1)
        var from = max(0, s - context)
        while from > 0 && from < doc.utf8.count && (doc.utf8[from] & 0xC0) == 0x80 { from -= 1 }
        var to = min(doc.utf8.count, e + context)
        while to < doc.utf8.count && (doc.utf8[to] & 0xC0) == 0x80 { to += 1 }
        let piece = { (a: Int, b: Int) in String(decoding: doc.utf8[a..<b], as: UTF8.self) }
        return Hit(message: doc.message, before: (from > 0 ? "…" : "") + piece(from, s), match: piece(s, e),
                   after: piece(e, to) + (to < doc.utf8.count ? "…" : ""))
    }
}
