import CustosCore
import CustosRuntime
import CustosTestSupport
import CustosWeb
import Foundation
import HTTPTypes
import Testing

/// Review inside a grant, over HTTP: the grant's page as a review set, coding from the content page, and the people
/// who must not code — another auditor, the requester once the grant is over, a forged form, other roles.
@Suite struct ReviewCodingTests {
    /// A granted request over every message of `w`, filed for `matter` if given; answers its id.
    static func grant(_ w: DecryptionWorld, matter: Int64? = nil) async throws -> Int64 {
        let id = try w.system.decryption.file(messageIDs: w.ids, justification: "Reviewing the quarterly results thread.",
                                              reference: "MATTER-2026-020", hours: 2, matterID: matter, user: w.auditor.user,
                                              actor: w.actor(w.auditor, .auditor))
        try await w.approve(id, by: 0)
        try await w.approve(id, by: 1)
        return id
    }

    static func decisions(_ w: DecryptionWorld) throws -> Int {
        try w.system.withRawDatabase { Int(try $0.queryOne("SELECT count(*) FROM review_decisions")?.int(0) ?? -1) }
    }

    @Test func aReviewerCodesTheGrantedMessagesOneAfterAnother() async throws {
        let w = try await DecryptionWorld.make(messages: 3)
        let grant = try await Self.grant(w)
        let basis = "Advice from outside counsel \(UUID().uuidString)"
        try await w.f.harness.run { client in
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            let set = try await auditor.get("/requests/\(grant)")
            #expect(set.text.contains("Reviewed <strong id=\"reviewed-count\">0</strong> of <strong id=\"review-total\">3</strong>"))
            #expect(set.text.contains("href=\"/messages/\(w.ids[0])/content\" id=\"start-review\""))

            let page = try await auditor.get("/messages/\(w.ids[0])/content")
            #expect(page.status == .ok && page.text.contains("id=\"coding-form\"") && page.text.contains("action=\"/messages/\(w.ids[0])/coding\""))
            #expect(page.text.contains("name=\"responsiveness\" value=\"not-responsive\"") && page.text.contains("name=\"privilege\" value=\"attorney-client\""))
            #expect(page.text.contains("id=\"review-next\" accesskey=\"n\"") && !page.text.contains("id=\"review-previous\""))

            // Save and go on: the answer is the next message not yet coded.
            let coded = try await auditor.post("/messages/\(w.ids[0])/coding", [
                ("responsiveness", "responsive"), ("privilege", "attorney-client"), ("basis", basis), ("go", "next"),
            ])
            #expect(coded.status == .seeOther && coded.headers[.location] == "/messages/\(w.ids[1])/content?coded=1")
            let after = try await auditor.get("/requests/\(grant)")
            #expect(after.text.contains("Reviewed <strong id=\"reviewed-count\">1</strong> of"))
            #expect(after.text.contains("<li>Privilege: <strong>Attorney-client</strong> 1</li>"))

            // A change is a new decision, audited with the value it replaced; the same coding again is not.
            let changed = try await auditor.post("/messages/\(w.ids[0])/coding", [
                ("responsiveness", "responsive"), ("privilege", "none"), ("basis", ""), ("go", "stay"),
            ])
            #expect(changed.status == .seeOther && changed.headers[.location] == "/messages/\(w.ids[0])/content?coded=1")
            _ = try await auditor.post("/messages/\(w.ids[0])/coding", [("responsiveness", "responsive"), ("privilege", "none")])
            let entries = try w.system.archive.read { try $0.audit.entries(action: AuditAction.reviewCoded.rawValue) }
            #expect(entries.count == 2)
            #expect(entries.first?.details.contains("\"previous\":\"none\"") == true)
            #expect(entries.last?.details.contains("\"previous\":\"privilege=attorney-client;responsiveness=responsive\"") == true)
            #expect(entries.allSatisfy { $0.actor == "auditor1" && $0.target == "message:\(w.ids[0])" && $0.details.contains("request:\(grant)") })
            let stored = try #require(try w.system.archive.read { try $0.review.decision(scope: .archive, messageID: w.ids[0]) })
            #expect(stored.codes == ["responsiveness": "responsive", "privilege": "none"] && stored.changes == 1 && stored.basis == nil)

            // The last message's "next not yet coded" wraps round to the one left.
            let last = try await auditor.post("/messages/\(w.ids[2])/coding", [
                ("responsiveness", "needs-review"), ("privilege", "work-product"), ("basis", basis), ("go", "next"),
            ])
            #expect(last.headers[.location] == "/messages/\(w.ids[1])/content?coded=1")
            let reopened = try await auditor.get("/messages/\(w.ids[2])/content")
            #expect(reopened.text.contains("value=\"work-product\" checked") && reopened.text.contains(basis))
        }
        // Security's report: one person coded two messages this week and changed one coding after the first.
        let security = try await w.f.harness.person("security1", roles: [.security])
        let report = try w.system.accessReports.generate(Quarter(containing: w.clock.now()), format: "html", actor: w.actor(security, .security))
        #expect(report.reviewsByPersonWeek.map { "\($0.person) \($0.reviewed) \($0.changed)" } == ["auditor1 2 1"])
        #expect(report.escalations.raised == 0 && report.escalations.medianOpenSeconds == nil)
        #expect(try await AuditExplorerView.counts(w.f.harness, [.reviewCoded]) == ["review.coded": 3])
        // The basis is sealed at rest: neither the database nor its journal holds it.
        let bytes = try SecretsAtRestTests.bytes(ofDatabaseOf: w.system)
        #expect(!SecretsAtRestTests.contains(bytes, Array(basis.utf8)), "a coding's basis is in the database in clear")
    }

    @Test func nobodyButTheRequesterOfALiveGrantCodes() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        let h = w.f.harness
        let other = try await h.person("auditor2", roles: [.auditor])
        let legal = try await h.person("counsel9", roles: [.legal])
        let grant = try await Self.grant(w)
        let codes = [("responsiveness", "responsive"), ("privilege", "none")]
        try await h.run { client in
            // Another auditor, signed in and allowed to search, holds no grant over the message.
            let intruder = Browser(client)
            try await intruder.signIn("auditor2", other.password)
            #expect(try await intruder.get("/search").status == .ok)
            let refused = try await intruder.post("/messages/\(w.ids[0])/coding", codes)
            #expect(refused.status == .forbidden && refused.text.contains("no live grant for this message"))
            #expect(try await intruder.get("/requests/\(grant)").status == .notFound)
            let refusals = try w.system.archive.read { try $0.audit.entries(action: AuditAction.reviewRefused.rawValue) }
            #expect(refusals.map(\.actor) == ["auditor2"])
            // Legal may not code, whatever the form says.
            let counsel = Browser(client)
            try await counsel.signIn("counsel9", legal.password)
            #expect(try await counsel.get("/matters").status == .ok)
            #expect(try await counsel.post("/messages/\(w.ids[0])/coding", codes).status == .forbidden)

            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            #expect(try await auditor.get("/requests/\(grant)").status == .ok)
            // A forged form without the session's CSRF token changes nothing.
            #expect(try await auditor.post("/messages/\(w.ids[0])/coding", codes, csrf: "forged").status == .forbidden)
            // A choice the layout does not have is refused with the reason, and what was chosen comes back.
            let bad = try await auditor.post("/messages/\(w.ids[0])/coding", [("responsiveness", "<b>hot</b>"), ("privilege", "none")])
            #expect(bad.status == .badRequest && bad.text.contains("has no choice “&lt;b&gt;hot&lt;/b&gt;”"))
            #expect(bad.text.contains("value=\"none\" checked"))
            #expect(try Self.decisions(w) == 0)

            #expect(try await auditor.post("/messages/\(w.ids[0])/coding", codes).status == .seeOther)
            // Once the grant is over, coding is refused like reading, and what was decided stays.
            h.clock.advance(2 * 3_600 + 1)
            try await auditor.signIn("auditor1", w.auditor.password)
            let page = try await auditor.get("/requests/\(grant)")
            #expect(page.status == .ok && !page.text.contains("id=\"review\""))
            let late = try await auditor.post("/messages/\(w.ids[1])/coding", codes)
            #expect(late.status == .forbidden && late.text.contains("no live grant for this message"))
            #expect(try await auditor.get("/messages/\(w.ids[0])/content").status == .forbidden)
        }
        #expect(try Self.decisions(w) == 1)
        // Not even a direct statement deletes a decision or moves it to another message.
        #expect(throws: (any Error).self) { try w.system.withRawDatabase { try $0.run("DELETE FROM review_decisions") } }
        #expect(throws: (any Error).self) {
            try w.system.withRawDatabase { try $0.run("UPDATE review_decisions SET message_id = ?", w.ids[1]) }
        }
        #expect(try Self.decisions(w) == 1)
    }

    @Test func aMattersReviewUsesTheLayoutLegalDefinedForIt() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        let h = w.f.harness
        let member = try await h.person("counsel1", roles: [.legal])
        let outsider = try await h.person("counsel2", roles: [.legal])
        let matter = try w.system.holds.createMatter(name: "FERC inquiry", description: "", user: member.user,
                                                     actor: w.actor(member, .legal))
        try await h.run { client in
            let legal = Browser(client)
            try await legal.signIn("counsel1", member.password)
            let standard = try await legal.get("/matters/\(matter)/coding-layout")
            #expect(standard.status == .ok && standard.text.contains("id=\"layout-standard\""))
            let wrong = try await legal.post("/matters/\(matter)/coding-layout", [("layout", "Relevance: <only one>")])
            #expect(wrong.status == .badRequest && wrong.text.contains("needs 2 to") && wrong.text.contains("Relevance: &lt;only one&gt;"))
            let saved = try await legal.post("/matters/\(matter)/coding-layout", [("layout", """
                Relevance: Relevant, Not relevant
                Privilege: None, Attorney–client
                Tags: Hot, Key document
                """)])
            #expect(saved.status == .seeOther)
            // Legal not working on the matter sees the layout but may not change it.
            let other = Browser(client)
            try await other.signIn("counsel2", outsider.password)
            let readOnly = try await other.get("/matters/\(matter)/coding-layout")
            #expect(readOnly.status == .ok && readOnly.text.contains("Relevant (relevant)") && !readOnly.text.contains("id=\"layout-form\""))
            #expect(try await other.post("/matters/\(matter)/coding-layout", [("layout", "A: b, c")]).status == .forbidden)
            let defined = try w.system.archive.read { try $0.audit.entries(action: AuditAction.codingLayoutDefined.rawValue) }
            #expect(defined.count == 1 && defined.first?.target == "matter:\(matter)")
        }
        let grant = try await Self.grant(w, matter: matter)
        try await h.run { client in
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            let page = try await auditor.get("/messages/\(w.ids[0])/content")
            #expect(page.text.contains("name=\"relevance\" value=\"not-relevant\"") && page.text.contains("name=\"tag\" value=\"key-document\""))
            #expect(!page.text.contains("name=\"responsiveness\""))
            // The standard layout's fields do not fit this matter's.
            let old = try await auditor.post("/messages/\(w.ids[0])/coding", [("responsiveness", "responsive"), ("privilege", "none")])
            #expect(old.status == .badRequest && old.text.contains("Choose a value for Relevance"))
            let coded = try await auditor.post("/messages/\(w.ids[0])/coding", [
                ("relevance", "relevant"), ("privilege", "attorney-client"), ("tag", "hot"), ("tag", "key-document"),
            ])
            #expect(coded.status == .seeOther)
            let set = try await auditor.get("/requests/\(grant)")
            #expect(set.text.contains("Relevant · Attorney–client · tags: Hot, Key document") && set.text.contains("id=\"request-matter\""))
        }
        let stored = try w.system.archive.read { try $0.review.decisions(scope: .matter(matter)) }
        #expect(stored.count == 1 && stored.first?.tags == ["hot", "key-document"])
        try await h.run { client in
            let legal = Browser(client)
            try await legal.signIn("counsel1", member.password)
            let coding = try await legal.get("/matters/\(matter)/coding.csv")
            #expect(coding.status == .ok && coding.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = coding.text.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "message,sent_at,platform,relevance,privilege,tags,basis_given,reviewer,coded_at,first_coded_at,changes_after_first")
            #expect(lines.count == 2 && lines[1].hasPrefix("\(w.ids[0]),2023-11-14T22:13:20Z,email,relevant,attorney-client,hot;key-document,no,auditor1,"))
            let log = try await legal.get("/matters/\(matter)/privilege-log.csv")
            #expect(log.text == "message,date,from,recipients,privilege,basis,reviewer\r\n"
                + "\(w.ids[0]),2023-11-14,Alice A. <alice@example.com>,to: bob@example.org,Attorney–client,,auditor1\r\n")
            // Legal not on the matter, and anyone else, gets neither.
            let other = Browser(client)
            try await other.signIn("counsel2", outsider.password)
            #expect(try await other.get("/matters/\(matter)/coding.csv").status == .forbidden)
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            #expect(try await auditor.get("/matters/\(matter)/privilege-log.csv").status == .forbidden)
        }
        let exports = try w.system.archive.read { try $0.audit.entries(action: AuditAction.reviewExported.rawValue) }
        #expect(exports.map(\.details) == [#"{"kind":"coding","rows":"1"}"#, #"{"kind":"privilege-log","rows":"1"}"#])
        #expect(try w.system.archive.read { try $0.review.decisions(scope: .archive) }.isEmpty)
    }
}
