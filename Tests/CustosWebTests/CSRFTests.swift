import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every state-changing form needs the session's CSRF token and a same-site Origin (P8).
@Suite struct CSRFTests {
    @Test func formsWithoutOrWithWrongTokenOrForeignOriginChangeNothing() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            try await b.get("/admin/users/new")
            let fields = [("username", "mallory"), ("display_name", "M"), ("role", "security")]
            let none = try await b.post("/admin/users", fields, csrf: "")
            #expect(none.status == .forbidden)
            #expect(none.text.contains("nothing was changed"))
            let wrong = try await b.post("/admin/users", fields, csrf: String(repeating: "0", count: 64))
            #expect(wrong.status == .forbidden)
            let foreign = try await b.post("/admin/users", fields, origin: "https://evil.example")
            #expect(foreign.status == .forbidden)
            #expect(try h.system.users.all().contains { $0.username == "mallory" } == false)
            // The same form with the right token and no Origin header (non-browser client) works.
            let ok = try await b.post("/admin/users", fields)
            #expect(ok.status == .created)
        }
    }

    @Test func signInFormNeedsItsDoubleSubmitToken() async throws {
        let h = try await Harness.make()
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run { client in
            let b = Browser(client)
            try await b.get("/login")
            let forged = try await b.post("/login", [("username", "aude"), ("password", p.password)], csrf: "forged")
            #expect(forged.status == .forbidden)
            #expect(await b.cookies["custos_session"] == nil)
            // A token from a different browser does not work either.
            let other = Browser(client)
            try await other.get("/login")
            let stolen = await other.csrf
            let cross = try await b.post("/login", [("username", "aude"), ("password", p.password)], csrf: stolen)
            #expect(cross.status == .forbidden)
        }
    }

    @Test func getNeverChangesStateAndLogoutNeedsPost() async throws {
        let h = try await Harness.make()
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("aude", p.password)
            let r = try await b.get("/logout")
            #expect(r.status == .notFound || r.status == .methodNotAllowed)
            #expect(try await b.get("/").status == .ok)
        }
    }
}

/// One mapping from domain errors to statuses (issue 18): a form that shows the error beside what was typed
/// answers with the status the error page and the API would give for the same error.
@Suite struct ErrorStatusTests {
    @Test func everyDomainErrorHasOneStatus() {
        let table: [(DomainError, HTTPResponse.Status)] = [
            (.invalidInput("x"), .badRequest), (.authenticationFailed("x"), .unauthorized), (.forbidden("x"), .forbidden),
            (.notFound("x"), .notFound), (.conflict("x"), .conflict), (.roleConflict("x"), .conflict), (.gone("x"), .gone),
            (.throttled("x", retryAfter: 1), .tooManyRequests), (.auditUnavailable, .serviceUnavailable),
        ]
        for (error, status) in table { #expect(error.httpStatus == status, "\(error)") }
    }
}
