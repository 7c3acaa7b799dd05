import CustosCore
import CustosRuntime
import CustosTestSupport
import CustosWeb
import Foundation
import HTTPTypes
import Testing

/// Notes and second-level review over HTTP: a reviewer notes and escalates, the same reviewer cannot close its own
/// escalation, an auditor without a grant can do neither, a second reviewer with a grant of its own resolves it,
/// legal on the matter reads the notes, and no note text reaches the database in clear.
@Suite struct ReviewNotesTests {
    @Test func aSecondReviewerWithAGrantOfItsOwnResolvesAnEscalation() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        let h = w.f.harness
        let second = try await h.person("auditor2", roles: [.auditor])
        let counsel = try await h.person("counsel1", roles: [.legal])
        let matter = try w.system.holds.createMatter(name: "Trading desk review", description: "", user: counsel.user,
                                                     actor: w.actor(counsel, .legal))
        _ = try await ReviewCodingTests.grant(w, matter: matter)
        let noteText = "Ask compliance about the <b>forwarding</b> \(UUID().uuidString)"
        let resolution = "Compliance confirms it was approved \(UUID().uuidString)"
        let escalation = try await h.run { client -> Int64 in
            let first = Browser(client)
            try await first.signIn("auditor1", w.auditor.password)
            #expect(try await first.get("/messages/\(w.ids[0])/content").text.contains("No notes on this message yet."))
            let empty = try await first.post("/messages/\(w.ids[0])/notes", [("note", "   ")])
            #expect(empty.status == .badRequest && empty.text.contains("Write the note"))
            #expect(try await first.post("/messages/\(w.ids[0])/notes", [("note", "Nothing unusual here.")]).status == .seeOther)
            let raised = try await first.post("/messages/\(w.ids[1])/notes", [("note", noteText), ("escalate", "yes")])
            #expect(raised.status == .seeOther && raised.headers[.location] == "/messages/\(w.ids[1])/content?noted=1#notes")
            let page = try await first.get("/messages/\(w.ids[1])/content")
            #expect(page.text.contains("Ask compliance about the &lt;b&gt;forwarding&lt;/b&gt;") && page.text.contains("asks for a second review"))
            // The author sees no way to close its own escalation, and a forged attempt is refused.
            #expect(!page.text.contains("class=\"resolve-form\""))
            let escalation = try #require(try w.system.archive.read { try $0.notes.notes(messageID: w.ids[1]) }.first?.id)
            let own = try await first.post("/notes/\(escalation)/resolve", [("resolution", "I checked it myself.")])
            #expect(own.status == .forbidden)

            // A second auditor without a grant over the message can neither note nor resolve.
            let other = Browser(client)
            try await other.signIn("auditor2", second.password)
            #expect(try await other.get("/search").status == .ok)
            #expect(try await other.post("/notes/\(escalation)/resolve", [("resolution", resolution)]).status == .forbidden)
            #expect(try await other.post("/messages/\(w.ids[1])/notes", [("note", "sneaking in")]).status == .forbidden)
            return escalation
        }
        // With a grant of its own over the escalated message, the second reviewer resolves it.
        h.clock.advance(600)
        let request = try w.system.decryption.file(messageIDs: [w.ids[1]], justification: "Second-level review of an escalation.",
                                                   reference: "MATTER-2026-020", hours: 1, matterID: matter, user: second.user,
                                                   actor: w.actor(second, .auditor))
        try await w.approve(request, by: 0)
        try await w.approve(request, by: 1)
        try await h.run { client in
            let other = Browser(client)
            try await other.signIn("auditor2", second.password)
            let page = try await other.get("/messages/\(w.ids[1])/content")
            #expect(page.text.contains("class=\"resolve-form\"") && page.text.contains("forwarding"))
            let done = try await other.post("/notes/\(escalation)/resolve", [("resolution", resolution)])
            #expect(done.status == .seeOther)
            #expect(try await other.post("/notes/\(escalation)/resolve", [("resolution", "again")]).status == .conflict)
            #expect(try await other.get("/messages/\(w.ids[1])/content").text.contains("second review done"))

            // Legal on the matter reads the notes and the resolution; legal elsewhere does not.
            let legal = Browser(client)
            try await legal.signIn("counsel1", counsel.password)
            let notes = try await legal.get("/matters/\(matter)/notes")
            #expect(notes.status == .ok && notes.text.contains("<strong id=\"open-escalations\">0</strong> escalations open, 1 resolved, 2 notes"))
            #expect(notes.text.contains("Compliance confirms it was approved"))
        }
        let outsider = try await h.person("counsel2", roles: [.legal])
        try await h.run { client in
            let legal = Browser(client)
            try await legal.signIn("counsel2", outsider.password)
            #expect(try await legal.get("/matters/\(matter)/notes").status == .forbidden)
        }
        let log = try w.system.archive.read { uow in
            (try uow.audit.entries(action: AuditAction.reviewNoted.rawValue), try uow.audit.entries(action: AuditAction.escalationResolved.rawValue),
             try uow.audit.entries(action: AuditAction.reviewRefused.rawValue))
        }
        #expect(log.0.count == 2 && log.0.last?.details.contains("\"escalated\":\"yes\"") == true)
        #expect(log.1.count == 1 && log.1.first?.actor == "auditor2" && log.1.first?.details.contains("\"raised_by\":\"auditor1\"") == true)
        #expect(log.2.map(\.actor) == ["auditor2", "auditor2"])
        let bytes = try SecretsAtRestTests.bytes(ofDatabaseOf: w.system)
        for secret in [noteText, resolution] {
            #expect(!SecretsAtRestTests.contains(bytes, Array(secret.suffix(36).utf8)), "a note or resolution is in the database in clear")
        }
        // Security's quarterly report counts the escalation and how long it stayed open, from the audit log.
        let security = try await h.person("security1", roles: [.security])
        let report = try w.system.accessReports.generate(Quarter(containing: h.clock.now()), format: "html", actor: w.actor(security, .security))
        #expect(report.escalations.raised == 1 && report.escalations.resolved == 1 && report.escalations.openAtEnd == 0)
        #expect(report.escalations.longestOpenSeconds ?? 0 >= 600)
        #expect(report.csv.contains("escalations,quarter,raised,1\r\n"))
        // Security finds every step in the audit explorer.
        let shown = try await AuditExplorerView.counts(h, [.reviewNoted, .escalationResolved, .reviewRefused, .reviewNotesViewed])
        #expect(shown == ["review.noted": 2, "review.escalation_resolved": 1, "review.refused": 2, "review.notes_viewed": 1])
        // The resolved escalation cannot be reopened or rewritten by a statement either.
        #expect(throws: (any Error).self) {
            try w.system.withRawDatabase { try $0.run("UPDATE review_notes SET resolved_at = NULL, resolved_by = NULL, resolution = NULL") }
        }
    }
}

/// What security sees of review in the audit explorer.
enum AuditExplorerView {
    /// The number of entries `/audit?action=…` lists for each action, as a signed-in security person sees them.
    static func counts(_ h: Harness, _ actions: [AuditAction]) async throws -> [String: Int] {
        let security = try await h.person("explorer-\(UUID().uuidString.prefix(6).lowercased())", roles: [.security])
        return try await h.run { client in
            let b = Browser(client)
            try await b.signIn(security.user.username, security.password)
            var out: [String: Int] = [:]
            for action in actions {
                let page = try await b.get("/audit?action=\(action.rawValue)")
                out[action.rawValue] = page.text.components(separatedBy: "<tr><td><a href=\"/audit/").count - 1
            }
            return out
        }
    }
}
