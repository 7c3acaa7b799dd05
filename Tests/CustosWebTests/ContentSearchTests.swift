import CustosCore
import CustosRuntime
import CustosTestSupport
import CustosWeb
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Searching the text of a grant, over HTTP. The messages are encoded the ways mail arrives (plain, quoted-printable,
/// base64, HTML only, chat); what each decodes to is written beside it here, and the expected hits are read from
/// those texts by a separate, naive rule, so the index is checked against an independent reading.
@Suite struct ContentSearchTests {
    /// (as captured, as a reader reads its subject and body)
    static let corpus: [(raw: String, decoded: String)] = [
        ("From: Alice A. <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Power trading\r\n\r\nThe Café numbers are FINAL for the west desk.\r\n",
         "Power trading The Café numbers are FINAL for the west desk."),
        ("From: Alice A. <alice@example.com>\r\nSubject: QP\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n\r\nThe caf=C3=A9 numbers are final=\r\n for nobody.\r\n",
         "QP The café numbers are final for nobody."),
        ("From: Carol <carol@example.net>\r\nSubject: B64\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + Data("Numbers are not final yet.".utf8).base64EncodedString() + "\r\n",
         "B64 Numbers are not final yet."),
        ("From: Carol <carol@example.net>\r\nSubject: HTML\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + "<p>The <b>numbers</b> are <i>final</i> &amp; signed</p>\r\n",
         "HTML The numbers are final & signed"),
        ("From: Alice A. <alice@example.com>\r\nSubject: Wrapped\r\n\r\nthe numbers  are\r\nfinal, says legal\r\n",
         "Wrapped the numbers are final, says legal"),
        ("From: Dan <dan@example.com>\r\nSubject: Nothing\r\n\r\nLunch at noon?\r\n", "Nothing Lunch at noon?"),
    ]

    /// The naive reading: lower-case, accents dropped, every run of other characters one space.
    static func matches(_ decoded: String, _ phrase: String) -> Bool {
        func norm(_ s: String) -> String {
            " " + s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
                .map { $0.isLetter || $0.isNumber ? String($0) : " " }.joined()
                .split(separator: " ").joined(separator: " ") + " "
        }
        return norm(decoded).contains(norm(phrase))
    }

    static func world() async throws -> (DecryptionWorld, Int64) {
        let f = try await ArchiveFixture.make()
        let auditor = try await f.harness.person("auditor1", roles: [.auditor])
        let token = try require(try f.harness.system.captureTokens.authenticate(f.token))
        let items = try corpus.enumerated().map { i, m in
            try f.item(m.raw, uid: "search-\(i)", sentAt: 1_700_000_000 + Int64(i) * 86_400)
        }
        let ids = try f.harness.system.ingest.ingest(items, token: token, client: "test").map { try require($0.id) }
        let w = DecryptionWorld(f: f, auditor: auditor, ids: ids, plaintexts: corpus.map(\.raw))
        return (w, try await ReviewCodingTests.grant(w))
    }

    static func hits(_ page: TestResponse) -> [Int64] {
        page.text.components(separatedBy: "class=\"content-hit\">Message ").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }

    @Test func aPhraseFindsExactlyTheMessagesWhoseTextHoldsIt() async throws {
        let (w, grant) = try await Self.world()
        let h = w.f.harness
        let unusual = "zebra\(UUID().uuidString.prefix(8).lowercased())"
        try await h.run { client in
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            #expect(try await auditor.get("/requests/\(grant)").text.contains("href=\"/requests/\(grant)/search\""))
            for phrase in ["numbers are final", "CAFE", "café numbers", "final signed", "noon", unusual] {
                let page = try await auditor.get("/requests/\(grant)/search?q=" + Browser.encode("\"\(phrase)\""))
                let expected = Self.corpus.indices.filter { Self.matches(Self.corpus[$0].decoded, phrase) }.map { w.ids[$0] }
                #expect(page.status == .ok && Self.hits(page) == expected, "\(phrase)")
                #expect(page.text.contains("<strong id=\"hit-count\">\(expected.count)</strong> of 6"), "\(phrase)")
                #expect(page.headers[.cacheControl] == "no-store")
            }
            // Words outside quotes must all occur, anywhere; the match is highlighted, escaped, in the original's case.
            let words = try await auditor.get("/requests/\(grant)/search?q=final+numbers")
            #expect(Self.hits(words) == [0, 1, 2, 3, 4].map { w.ids[$0] })
            let marked = try await auditor.get("/requests/\(grant)/search?q=" + Browser.encode("\"numbers are final\""))
            #expect(marked.text.contains("<mark>numbers are FINAL</mark>"))
            #expect(marked.text.contains("<mark>numbers are final</mark> &amp; signed"))
            // Sender and days narrow it.
            let carol = try await auditor.get("/requests/\(grant)/search?q=numbers&from=carol")
            #expect(Self.hits(carol) == [w.ids[2], w.ids[3]])
            let days = try await auditor.get("/requests/\(grant)/search?q=numbers&after=2023-11-15&before=2023-11-16")
            #expect(Self.hits(days) == [w.ids[1], w.ids[2]])
            let bad = try await auditor.get("/requests/\(grant)/search?q=x&after=2023-13-45")
            #expect(bad.status == .badRequest && bad.text.contains("From date must be a real date"))
        }
        // Each search is audited with its hit count; the first built the index, the rest used it; queries are sealed.
        let searches = try w.system.archive.read { try $0.audit.entries(action: AuditAction.contentSearched.rawValue) }
        #expect(searches.count == 10)
        #expect(searches.first?.details.contains("\"index\":\"built\"") == true && searches.dropFirst().allSatisfy { $0.details.contains("\"index\":\"held\"") })
        #expect(searches.first?.details.contains("\"hits\":\"4\"") == true && !searches.contains { $0.details.contains("numbers") })
        #expect(try w.system.archive.read { try $0.audit.entries(action: AuditAction.grantIndexed.rawValue) }.count == 1)
        #expect(try await AuditExplorerView.counts(h, [.contentSearched, .grantIndexed]) == ["review.content_searched": 10, "grant.indexed": 1])
        // After the searches, the files hold neither the query nor any text the index was built from.
        let bytes = try SecretsAtRestTests.bytes(ofDatabaseOf: w.system)
        #expect(!SecretsAtRestTests.contains(bytes, Array(unusual.utf8)), "a content query is in the database in clear")
        for clear in ["numbers are FINAL for the west desk", "Lunch at noon", "numbers are not final yet", "says legal"] {
            #expect(!SecretsAtRestTests.contains(bytes, Array(clear.utf8)), "decrypted text “\(clear)” is in the database")
        }
    }

    @Test func theIndexGoesWithTheGrantAndNobodyElseSearchesIt() async throws {
        let (w, grant) = try await Self.world()
        let h = w.f.harness
        let other = try await h.person("auditor2", roles: [.auditor])
        let indexes = w.system.decryption.textIndexes
        try await h.run { client in
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            #expect(try await auditor.get("/requests/\(grant)/search?q=numbers").status == .ok)
            #expect(indexes.heldGrants == [grant] && indexes.heldBytes > 0)
            let intruder = Browser(client)
            try await intruder.signIn("auditor2", other.password)
            #expect(try await intruder.get("/requests/\(grant)/search?q=numbers").status == .notFound)

            h.clock.advance(2 * 3_600)
            try await auditor.signIn("auditor1", w.auditor.password)
            let late = try await auditor.get("/requests/\(grant)/search?q=numbers")
            #expect(late.status == .forbidden && !late.text.contains("content-hit"))
            #expect(try await auditor.get("/messages/\(w.ids[0])/content").status == .forbidden)
        }
        #expect(indexes.heldGrants.isEmpty && indexes.heldBytes == 0)
    }

    @Test func revokingAGrantDropsItsIndexAtOnce() async throws {
        let (w, grant) = try await Self.world()
        let actor = w.actor(w.auditor, .auditor)
        let query = try ContentSearchService.Query.parse(text: "numbers")
        #expect(try w.system.contentSearch.search(requestID: grant, query: query, user: w.auditor.user, actor: actor).hits.count == 5)
        #expect(w.system.decryption.textIndexes.heldGrants == [grant])
        let security = try await w.f.harness.person("security1", roles: [.security])
        try w.system.decryption.revoke(id: grant, reason: "done", actor: w.actor(security, .security))
        #expect(w.system.decryption.textIndexes.heldGrants.isEmpty)
        #expect(throws: DomainError.self) { try w.system.contentSearch.search(requestID: grant, query: query, user: w.auditor.user, actor: actor) }
    }

    @Test func aGrantRevokedOnAnotherServerLosesItsIndexHereWithinOneHousekeepingRound() async throws {
        let (w, grant) = try await Self.world()
        let actor = w.actor(w.auditor, .auditor)
        _ = try w.system.contentSearch.search(requestID: grant, query: try ContentSearchService.Query.parse(text: "numbers"),
                                              user: w.auditor.user, actor: actor)
        #expect(w.system.decryption.textIndexes.heldGrants == [grant])
        // Another server of the archive revokes the grant: only the database knows.
        try w.system.withRawDatabase {
            try $0.run("UPDATE decryption_requests SET status = 'revoked', closed_at = ?, closed_by = 'security-on-node-b' WHERE id = ?",
                       w.clock.now(), grant)
        }
        #expect(w.system.decryption.textIndexes.heldGrants == [grant])
        HousekeepingService(system: w.system).runOnce()
        #expect(w.system.decryption.textIndexes.heldGrants.isEmpty)
    }
}
