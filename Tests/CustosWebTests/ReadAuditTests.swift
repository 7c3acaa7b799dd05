import CustosCore
import CustosTestSupport
import CustosWeb
import Foundation
import Testing

/// Issue 18, points 7 to 10, played by the people they must hold against: every page that shows message
/// metadata or the log writes an entry before it shows anything; security never sees who took part in a
/// request; an administrator holds no other role and changes no one's roles of its own.
@Suite struct ReadAuditTests {
    static func entries(_ h: Harness) throws -> Int {
        try h.system.withRawDatabase { Int(try $0.queryOne("SELECT count(*) FROM audit_events")?.int(0) ?? 0) }
    }

    static func last(_ h: Harness) throws -> (action: String, target: String, details: String) {
        try h.system.withRawDatabase { db in
            let r = try #require(try db.queryOne("SELECT action, target, details FROM audit_events ORDER BY seq DESC LIMIT 1"))
            return (try r.text(0), try r.text(1), try r.text(2))
        }
    }

    @Test func everyPageThatShowsMessageMetadataWritesAnEntryFirst() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        let h = w.f.harness
        let legalPerson = try await h.person("lawyer", roles: [.legal])
        let request = try w.file()
        try await CeremonyDriver.approve(request, by: w.f.custodians[0].device, system: w.system)
        try await CeremonyDriver.approve(request, by: w.f.custodians[1].device, system: w.system)
        let matter = try w.system.holds.createMatter(name: "Audit walk", description: "", user: legalPerson.user,
                                                   actor: w.actor(legalPerson, .legal))
        try await h.run { client in
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            let legal = Browser(client)
            try await legal.signIn("lawyer", legalPerson.password)
            let conversation = try #require(try await auditor.get("/messages/\(w.ids[0])").text.firstMatch(of: /href="(\/conversations\/[0-9a-f]+)"/)?.1)
            // Each page, by the role that may see it, and the action its entry must carry.
            let pages: [(Browser, String, String)] = [
                (auditor, "/search?platform=email", "search.run"),
                (auditor, "/messages/\(w.ids[0])", "message.metadata_viewed"),
                (auditor, String(conversation), "search.run"),
                (auditor, "/requests/new?message_id=\(w.ids[0])&message_id=\(w.ids[1])", "search.run"),
                (auditor, "/requests/\(request)", "search.run"),
                (auditor, "/messages/\(w.ids[1])/content", "content.viewed"),
                (legal, "/matters/\(matter)/holds/new?participant=alice%40example.com", "hold.previewed"),
                (legal, "/search?participant=alice%40example.com", "search.run"),
            ]
            for (browser, path, action) in pages {
                let before = try Self.entries(h)
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path): \(page.status)")
                #expect(try Self.entries(h) > before, "\(path) wrote no audit entry")
                let actions = try h.system.withRawDatabase { db in
                    try db.query("SELECT action FROM audit_events WHERE seq > ?", Int64(before)).map { try $0.text(0) }
                }
                #expect(actions.contains(action), "\(path): \(actions)")
            }
            // Naming ids on the request form no longer lists metadata unseen: the entry names them.
            try await auditor.get("/requests/new?message_id=\(w.ids[1])")
            let listed = try Self.last(h)
            #expect(listed.action == "search.run" && listed.details.contains("\"message_ids\":\"\(w.ids[1])\""))
        }
    }

    @Test func securitySeesNoParticipantAndEveryRequestViewIsAudited() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        let h = w.f.harness
        let sec = try await h.person("sec", roles: [.security])
        let request = try w.file()
        try await h.run { client in
            let security = Browser(client)
            try await security.signIn("sec", sec.password)
            let page = try await security.get("/requests/\(request)")
            #expect(page.status == .ok && page.text.contains("id=\"no-participants\""))
            for needle in ["alice@example.com", "bob@example.org", "Alice A."] { #expect(!page.text.contains(needle), "\(needle) shown to security") }
            #expect(try Self.last(h).action == "request.viewed")
            let auditor = Browser(client)
            try await auditor.signIn("auditor1", w.auditor.password)
            let own = try await auditor.get("/requests/\(request)")
            #expect(own.text.contains("alice@example.com"))
            let keeper = w.f.custodians[0].person
            let custodian = Browser(client)
            try await custodian.signIn(keeper.user.username, keeper.password, totp: h.code(try #require(keeper.totpSecret)))
            try await custodian.get("/requests/\(request)")
            let views = try h.system.archive.read { try $0.audit.entries(action: "request.viewed") }
            #expect(Set(views.map(\.role)) == ["security", "auditor", "custodian"], "\(views.map(\.role))")
            #expect(views.allSatisfy { $0.target == "request:\(request)" })
        }
    }

    @Test func viewingOneAuditEntryIsAudited() async throws {
        let h = try await Harness.make()
        let sec = try await h.person("sec", roles: [.security])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("sec", sec.password)
            #expect(try await b.get("/audit/1").status == .ok)
            let seen = try Self.last(h)
            #expect(seen.action == "audit.viewed" && seen.target == "audit:1")
            #expect(try await b.get("/audit/999999").status == .notFound)
            #expect(try Self.last(h).target == "audit:999999")
        }
    }

    @Test func anAdministratorHoldsNoOtherRoleAndNobodyChangesTheirOwnRoles() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        let other = try await h.person("other", roles: [.admin])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            for role in ["legal", "security", "auditor", "custodian"] {
                try await b.get("/admin/users/new")
                let r = try await b.post("/admin/users", [("username", "mixed\(role)"), ("display_name", "Mixed"), ("role", "admin"), ("role", role)])
                #expect(r.status == .conflict && r.text.contains("cannot be combined"), "admin + \(role)")
            }
            // The administrator cannot give itself another role, nor take any away, on the web.
            try await b.get("/admin/users/\(boss.user.id)")
            let own = try await b.post("/admin/users/\(boss.user.id)/roles", [("role", "admin"), ("role", "security")])
            #expect(own.status == .conflict, "\(own.status)")  // admin + security conflicts before ownership is looked at
            let ownOnly = try await b.post("/admin/users/\(boss.user.id)/roles", [("role", "admin")])
            #expect(ownOnly.status == .forbidden, "\(ownOnly.status)")
            #expect(ownOnly.text.contains("Nobody changes their own roles"))
            // Another administrator may change the first's roles (to one that does not conflict).
            let c = Browser(client)
            try await c.signIn("other", other.password, totp: h.code(other.totpSecret!, offset: 30))
            try await c.get("/admin/users/\(boss.user.id)")
            #expect(try await c.post("/admin/users/\(boss.user.id)/roles", [("role", "security")]).status == .seeOther)
        }
        // Below the application, the schema refuses both.
        #expect(throws: (any Error).self) {
            try h.system.withRawDatabase { db in
                _ = try db.run("INSERT INTO user_roles (user_id, role, granted_at, granted_by) VALUES (?, 'legal', 0, NULL)", other.user.id)
            }
        }
        let clerk = try await h.person("clerk", roles: [.auditor])
        #expect(throws: (any Error).self) {
            try h.system.withRawDatabase { db in
                _ = try db.run("INSERT INTO user_roles (user_id, role, granted_at, granted_by) VALUES (?, 'legal', 0, ?)", clerk.user.id, clerk.user.id)
            }
        }
    }
}
