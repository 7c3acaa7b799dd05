import CustosCore
import CustosCrypto
import CustosWeb
import Foundation
import HTTPTypes
import Testing

/// Security's audit explorer: filters, entry detail with its sealing checkpoint, exports whose hashes
/// chain, verification on demand that notices tampering, and every look recorded.
@Suite struct AuditExplorerTests {
    @Test func filterReadExportAndVerify() async throws {
        let h = try await Harness.make()
        let sec = try await h.person("sec1", roles: [.security])
        let aud = try await h.person("aud1", roles: [.auditor])
        try await h.run { client in
            // Some activity: a failed and a good sign-in, searches.
            let a = Browser(client)
            try await a.signIn("aud1", "not the password")
            try await a.signIn("aud1", aud.password)
            try await a.get("/search?participant=someone%40example.com")
            #expect(try await a.get("/audit").status == .forbidden)

            let b = Browser(client)
            try await b.signIn("sec1", sec.password)
            let all = try await b.get("/audit")
            #expect(all.status == .ok && all.text.contains("id=\"head-seq\""))
            let failed = try await b.get("/audit?action=login.failed")
            #expect(failed.text.contains("<td>login.failed</td>") && !failed.text.contains("<td>login.succeeded</td>"))
            let byActor = try await b.get("/audit?actor=aud1&action=search.run")
            #expect(byActor.text.components(separatedBy: "<td>search.run</td>").count - 1 == 1)
            let bad = try await b.get("/audit?action=%3Cscript%3E")
            #expect(bad.status == .badRequest && bad.text.contains("Unknown action “&lt;script&gt;”"))

            // One entry, as stored.
            let stored = try #require(try h.system.archive.read { try $0.audit.entries(action: "login.failed").first })
            let entry = try await b.get("/audit/\(stored.seq)")
            #expect(entry.text.contains(Hex.encode(stored.hash)) && entry.text.contains("login.failed"))

            // Export: every entry oldest first, each row's previous hash is the row before's hash.
            try await b.get("/audit")
            let csv = try await b.post("/audit/export", [("format", "csv")])
            #expect(csv.status == .ok && csv.headers[.contentDisposition]?.contains("custos-audit.csv") == true)
            let rows = csv.text.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            #expect(rows.count >= 5)
            for (prev, next) in zip(rows, rows.dropFirst()) { #expect(next[next.count - 2] == prev[prev.count - 1]) }
            try await b.get("/audit")
            let jsonl = try await b.post("/audit/export", [("format", "jsonl"), ("action", "login.failed")])
            let lines = jsonl.text.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("\"action\":\"login.failed\""))

            // Verify now: holds; after an edit behind the triggers, it names the entry.
            try await b.get("/audit")
            let ok = try await b.post("/audit/verify", [])
            #expect(ok.status == .ok && ok.text.contains("id=\"verification-result\" class=\"status-ok\""))
            try h.system.withRawDatabase { db in
                try db.dropTriggers("audit_events_no_update")
                _ = try db.run("UPDATE audit_events SET actor = 'mallory' WHERE seq = ?", stored.seq)
            }
            try await b.get("/audit")
            let broken = try await b.post("/audit/verify", [])
            #expect(broken.status == .conflict && broken.text.contains("Verification FAILED") && broken.text.contains("\(stored.seq)"))
        }
        let recorded = try h.system.archive.read { uow in
            (try uow.audit.count(action: "audit.viewed"), try uow.audit.count(action: "audit.exported"), try uow.audit.count(action: "audit.verified"))
        }
        #expect(recorded.0 >= 6 && recorded.1 == 2 && recorded.2 == 2)
    }
}
