import CustosCore
import CustosWeb
import Foundation
import HTTPTypes
import Testing

/// The access report page and its CSV through the web app, for security only.
@Suite struct AccessReportWebTests {
    @Test func securityReadsThePageAndTheCSV() async throws {
        let h = try await Harness.make()
        let sec = try await h.person("sec1", roles: [.security])
        let aud = try await h.person("aud1", roles: [.auditor])
        try await h.run { client in
            let a = Browser(client)
            try await a.signIn("aud1", "not the password <b>")
            try await a.signIn("aud1", aud.password)
            #expect(try await a.get("/reports/access").status == .forbidden)
            // Four months on, the administrator from set-up has not signed in for 90 days: a flag.
            h.clock.advance(120 * 86_400)
            let b = Browser(client)
            try await b.signIn("sec1", sec.password)
            let page = try await b.get("/reports/access")
            #expect(page.status == .ok && page.text.contains("id=\"chart-weekly\"") && page.text.contains("<svg"))
            #expect(page.text.contains("Privileged account without a sign-in for 90 days"))
            #expect(page.text.contains("<span class=\"flag-subject\">admin</span>"))
            let q1 = try await b.get("/reports/access?quarter=2026-Q1")
            #expect(q1.text.contains("<td>aud1</td><td>1</td><td>1</td><td>0</td>"))
            let csv = try await b.get("/reports/access.csv?quarter=2026-Q1")
            #expect(csv.status == .ok && csv.headers[.contentDisposition]?.contains("custos-access-2026-Q1.csv") == true)
            #expect(csv.text.contains("logins,aud1,failed,1\r\n"))
            let bad = try await b.get("/reports/access?quarter=2026-Q9")
            #expect(bad.status == .badRequest)
        }
        #expect(try h.system.archive.read { try $0.audit.count(action: "report.generated") } == 3)
    }
}
