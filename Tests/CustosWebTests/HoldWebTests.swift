import CustosCore
import CustosWeb
import Foundation
import HTTPTypes
import Testing

/// Matters, holds and retention through the web app: the contract paths, escaping, errors that keep
/// what was typed, and the roles that may not.
@Suite struct HoldWebTests {
    @Test func openPreviewPlaceAndReleaseThroughThePages() async throws {
        let w = try await HoldWorld.make()
        let h = w.f.harness
        let auditor = try await h.person("auditor2", roles: [.auditor])
        try await h.run { client in
            let legal = Browser(client)
            try await legal.signIn("counsel1", w.legal.password)
            #expect(try await legal.get("/matters").status == .ok)
            // A bad matter comes back with the error and what was typed, escaped.
            let bad = try await legal.post("/matters", [("name", "<b"), ("description", "x <script>y</script>")])
            #expect(bad.status == .badRequest && bad.text.contains("x &lt;script&gt;y&lt;/script&gt;"))
            let opened = try await legal.post("/matters", [("name", "Enron <Broadband> review"), ("description", "FERC data request")])
            #expect(opened.status == .seeOther)
            let matterPath = try #require(opened.headers[.location]).components(separatedBy: "?")[0]
            #expect(matterPath.hasPrefix("/matters/"))
            let matterPage = try await legal.get(matterPath)
            #expect(matterPage.text.contains("Enron &lt;Broadband&gt; review") && matterPage.text.contains("id=\"new-hold\""))

            let preview = try await legal.get(matterPath + "/holds/new?participant=alice%40example.com")
            #expect(preview.status == .ok && preview.text.contains("<span id=\"preview-count\">2</span>"))
            let empty = try await legal.get(matterPath + "/holds/new?participant=")
            #expect(empty.text.contains("id=\"hold-scope\"") && !empty.text.contains("preview-count"))
            let refused = try await legal.post(matterPath + "/holds", [("participant", ""), ("platform", "")])
            #expect(refused.status == .badRequest && refused.text.contains("Give the hold a scope"))

            let placed = try await legal.post(matterPath + "/holds", [("participant", "alice@example.com")])
            #expect(placed.status == .seeOther)
            let holdPath = try #require(placed.headers[.location]).components(separatedBy: "?")[0]
            #expect(holdPath.hasPrefix("/holds/"))
            let holdPage = try await legal.get(holdPath)
            #expect(holdPage.text.contains("<span id=\"covered\">2</span>") && holdPage.text.contains("alice@example.com"))

            // An auditor cannot see matters or place holds, but can search by hold and sees the hold on the message.
            let a = Browser(client)
            try await a.signIn("auditor2", auditor.password)
            #expect(try await a.get(matterPath).status == .forbidden)
            #expect(try await a.post(matterPath + "/holds", [("participant", "bob@example.org")]).status == .forbidden)
            let holdID = holdPath.components(separatedBy: "/").last ?? ""
            let searched = try await a.get("/search?hold=\(holdID)")
            #expect(searched.text.contains("<span id=\"result-count\">2</span>"))
            let alice = try #require(try w.ids(sentBy: "alice@example.com").first)
            let message = try await a.get("/messages/\(alice)")
            #expect(message.text.contains("hold \(holdID) (Enron &lt;Broadband&gt; review)"))

            // Release needs a reason; with one it is released and recorded.
            let noReason = try await legal.post(holdPath + "/release", [("reason", "")])
            #expect(noReason.status == .badRequest)
            let released = try await legal.post(holdPath + "/release", [("reason", "FERC closed the data request <2026>.")])
            #expect(released.status == .seeOther)
            let after = try await legal.get(holdPath)
            #expect(after.text.contains("id=\"hold-status\" class=\"status-released\"") && after.text.contains("FERC closed the data request &lt;2026&gt;."))
            #expect(try w.system.archive.read { try $0.audit.count(action: "hold.released") } == 1)
        }
    }

    @Test func adminManagesRetentionAndSeesTheClearRefusal() async throws {
        let w = try await HoldWorld.make()
        let h = w.f.harness
        let admin = try await h.person("admin2", roles: [.admin])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("admin2", admin.password, totp: h.code(try #require(admin.totpSecret)))
            let page = try await b.get("/admin/retention")
            #expect(page.status == .ok && page.text.contains("7 years (2,557 days)"))
            let shorter = try await b.post("/admin/retention/period", [("name", "default"), ("amount", "3"), ("unit", "years"), ("description", "")])
            #expect(shorter.status == .conflict && shorter.text.contains("cannot be shortened"))
            let created = try await b.post("/admin/retention/classes", [("name", "finra-6y"), ("amount", "6"), ("unit", "years"), ("description", "FINRA 4511")])
            #expect(created.status == .seeOther)
            let rule = try await b.post("/admin/retention/rules", [("kind", "platform"), ("value", "slack"), ("class", "finra-6y")])
            #expect(rule.status == .seeOther)
            let listed = try await b.get("/admin/retention")
            #expect(listed.text.contains("finra-6y") && listed.text.contains("6 years (2,192 days)"))
            w.clock.set(HoldWorld.sent + HoldWorld.sevenYears * 2)
            // Years later the session is long gone: sign in again.
            try await b.signIn("admin2", admin.password, totp: h.code(try #require(admin.totpSecret)))
            try await b.get("/admin/retention")
            let dry = try await b.post("/admin/retention/run", [("mode", "dry")])
            #expect(dry.status == .ok && dry.text.contains("4 would be disposed of") && dry.text.contains("id=\"would-go\""), "\(dry.status) \(dry.text.prefix(3000))")
            #expect(try w.system.archive.read { try $0.retention.disposedCount() } == 0)
        }
    }
}
