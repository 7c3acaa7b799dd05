import CustosCapture
import CustosCore
import CustosRuntime
import Foundation

/// Content search inside a grant (issue 20): the first search of a 1,000-message grant, which decrypts every message
/// and builds the in-memory index, and later searches on that index, each through `ContentSearchService` with its
/// audit entry. Baselines: decrypting the same messages and scanning their texts for the query, and scanning the
/// already decrypted texts again — what a search without an index does.
enum SearchText {
    /// Words the bodies are drawn from: plain business English, so words repeat as they do in mail.
    static let words = """
        the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you
        were her she there been one all we their has would when if so no will more about can said them some could into
        him than then only its like other time two may do first any my now such our out also these over new after well
        market price power gas trading desk deal contract schedule west east forecast risk position report meeting call
        team review draft final numbers quarter budget credit counterparty settlement invoice volume storage pipeline
        transmission capacity offer bid spread hedge option swap curve model legal regulatory filing approval memo
        """.split(whereSeparator: \.isWhitespace).map(String.init)

    /// Message `i`: about 1.5 KB of sentences from `words` (a fixed generator, so every run has the same text), with
    /// "quarterly numbers" and "final" in every tenth.
    static func email(_ i: Int) -> String {
        var state = UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &+ 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(words.count))
        }
        var body = ""
        while body.utf8.count < 1_400 {
            let sentence = (0..<(8 + next() % 10)).map { _ in words[next()] }.joined(separator: " ")
            body += sentence.prefix(1).uppercased() + sentence.dropFirst() + ". "
            if body.utf8.count > 700, i % 10 == 0, !body.contains("quarterly numbers") { body += "The quarterly numbers are final. " }
        }
        return "From: person\(i % 50)@example.com\r\nTo: desk@example.com\r\nSubject: Message \(i) \(words[next()]) \(words[next()])\r\n\r\n\(body)\r\n"
    }

    /// The query timed, and the naive scan it is compared with.
    static let query = "\"quarterly numbers\" final"

    static func scan(_ texts: [String]) -> Int {
        texts.filter { t in
            let folded = GrantTextIndex.fold(t)
            return folded.contains("quarterly numbers") && folded.contains("final")
        }.count
    }

    static func measure(_ system: CustosSystem, request: Int64, auditor: User, messages: Int, into table: inout ResultTable) throws {
        let actor = Actor(userID: auditor.id, username: auditor.username, role: .auditor, client: "bench")
        let q = try ContentSearchService.Query.parse(text: query)
        let start = Measure.now()
        let first = try system.contentSearch.search(requestID: request, query: q, user: auditor, actor: actor)
        let firstSeconds = Measure.now() - start
        guard first.built, first.searched == messages else { throw BenchError("the first content search did not index all \(messages) messages") }
        var later: [Double] = []
        for _ in 0..<100 {
            let s = Measure.now()
            _ = try system.contentSearch.search(requestID: request, query: q, user: auditor, actor: actor)
            later.append(Measure.now() - s)
        }
        let baseStart = Measure.now()
        let opened = try system.decryption.openGrant(requestID: request, user: auditor, actor: actor)
        let texts = opened.messages.map { ContentReader.searchable(platform: $0.platform, content: $0.content).text }
        let baseHits = scan(texts)
        let baseFirst = Measure.now() - baseStart
        var baseLater: [Double] = []
        for _ in 0..<100 {
            let s = Measure.now()
            _ = scan(texts)
            baseLater.append(Measure.now() - s)
        }
        guard baseHits == first.hits.count, baseHits == messages / 10 else {
            throw BenchError("content search found \(first.hits.count) messages, the scan \(baseHits), the corpus has \(messages / 10)")
        }
        let n = Measure.grouped(messages)
        let ms = { (x: Double) in Measure.fixed(x * 1_000, 2) }
        table.add("content search in a \(n)-message grant, first query (decrypts, indexes), ms", custos: ms(firstSeconds),
                  baseline: ms(baseFirst), ratio: ResultTable.ratio(firstSeconds, baseFirst))
        let p50 = Measure.percentile(later, 50), b50 = Measure.percentile(baseLater, 50)
        table.add("content search, later queries on the held index, p50 ms", custos: ms(p50), baseline: ms(b50), ratio: ResultTable.ratio(p50, b50))
        let p99 = Measure.percentile(later, 99), b99 = Measure.percentile(baseLater, 99)
        table.add("content search, later queries, p99 ms", custos: ms(p99), baseline: ms(b99), ratio: ResultTable.ratio(p99, b99))
        table.note("Content search: \(baseHits) of \(n) messages match \(query); Custos through ContentSearchService with its audit entry "
                   + "(the first also decrypts every message and writes grant.indexed); baseline: decrypting the same messages and "
                   + "scanning their folded texts, then scanning the decrypted texts again. Index held: \(system.decryption.textIndexes.heldBytes / 1024) KiB.")
    }
}
