import CustosCore
import CustosCrypto
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Sign-in, forced password change, TOTP enrolment and the second factor, end to end in-process.
@Suite struct AuthFlowTests {
    @Test func firstAdminMustChangePasswordThenEnrolTOTPBeforeAnythingElse() async throws {
        let h = try await Harness.make()
        let admin = h.admin
        try await h.run { client in
            let b = Browser(client)
            let r = try await b.signIn(admin.user.username, admin.oneTimePassword)
            #expect(r.status == .seeOther)
            #expect(r.headers[.location] == "/account/password")
            // Every admin page sends the person back to the password change first.
            #expect(try await b.get("/admin/users").headers[.location] == "/account/password")
            #expect(try await b.get("/").headers[.location] == "/account/password")
            try await b.get("/account/password")
            let newPassword = "correct horse battery staple"
            let changed = try await b.post("/account/password", [("current_password", admin.oneTimePassword),
                                                                  ("new_password", newPassword), ("confirm_password", newPassword)])
            #expect(changed.headers[.location] == "/account/totp")
            // Still no admin work before TOTP is enrolled.
            #expect(try await b.get("/admin/users").headers[.location] == "/account/totp")
            let page = try await b.get("/account/totp")
            let secretText = try #require(page.text.firstMatch(of: /id="totp-secret">([A-Z2-7 ]+)</)?.1)
            let secret = try #require(Base32.decode(String(secretText)))
            let enrolment = try #require(page.text.firstMatch(of: /name="enrolment" value="([0-9a-f]+)"/)?.1)
            let wrong = try await b.post("/account/totp", [("enrolment", String(enrolment)), ("code", "000000")])
            #expect(wrong.status == .badRequest)
            let ok = try await b.post("/account/totp", [("enrolment", String(enrolment)), ("code", h.code(secret))])
            #expect(ok.headers[.location] == "/?done=totp")
            #expect(try await b.get("/admin/users").status == .ok)

            // Sign out, then sign in again: password, then the TOTP step (a fresh time step).
            try await b.post("/logout", [])
            #expect(try await b.get("/admin/users").headers[.location] == "/login")
            h.clock.advance(30)
            let again = try await b.signIn(admin.user.username, newPassword, totp: h.code(secret))
            #expect(again.headers[.location] == "/")
            // The old one-time password no longer works.
            try await b.post("/logout", [])
            let old = try await b.signIn(admin.user.username, admin.oneTimePassword)
            #expect(old.status == .unauthorized)
            #expect(old.text.contains("The username or password is not correct."))
        }
    }

    /// The adversary: someone who learnt an account's one-time password before its owner. They may change the
    /// password (the owner will notice they cannot sign in), but they cannot bind the account to their own TOTP
    /// device first and leave it for the owner to inherit.
    @Test func aOneTimePasswordCannotEnrolASecondFactorBeforeThePasswordIsChanged() async throws {
        let h = try await Harness.make()
        let admin = h.admin
        try await h.run { client in
            let b = Browser(client)
            #expect(try await b.signIn(admin.user.username, admin.oneTimePassword).headers[.location] == "/account/password")
            let page = try await b.get("/account/totp")
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/account/password")
            #expect(!page.text.contains("totp-secret"))
            // A forged enrolment posted straight to the form (with the session's own CSRF token, from the password
            // page) is refused the same way, and nothing is enrolled.
            #expect(try await b.get("/account/password").status == .ok)
            let posted = try await b.post("/account/totp", [("enrolment", String(repeating: "ab", count: 60)), ("code", "123456")])
            #expect(posted.status == .seeOther)
            #expect(posted.headers[.location] == "/account/password")
            let user = try #require(try h.system.archive.read { try $0.users.find(username: admin.user.username) })
            #expect(!user.totpEnrolled)
            #expect(try h.system.archive.read { try $0.audit.count(action: AuditAction.totpEnrolled.rawValue) } == 0)
        }
    }

    @Test func totpCodeCannotBeReplayedAndWrongCodeIsRefused() async throws {
        let h = try await Harness.make()
        let p = try await h.person("cato", roles: [.custodian])
        let secret = try #require(p.totpSecret)
        try await h.run { client in
            let b = Browser(client)
            let code = h.code(secret)
            #expect(try await b.signIn("cato", p.password, totp: code).headers[.location] == "/")
            try await b.post("/logout", [])
            // Same code again within its time step: refused.
            let replay = try await b.signIn("cato", p.password, totp: code)
            #expect(replay.status == .unauthorized)
            let wrong = try await b.post("/login/totp", [("code", "123456")])
            #expect(wrong.status == .unauthorized)
            #expect(try await b.get("/").headers[.location] == "/login/totp")
        }
    }

    @Test func newTokenAtEverySignInAndLogoutEndsTheSessionOnTheServer() async throws {
        let h = try await Harness.make()
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("aude", p.password)
            let first = try #require(await b.cookies["custos_session"])
            // The pre-sign-in cookie is never promoted to a session.
            let preSignIn = await b.cookies["custos_csrf"]
            #expect(preSignIn != first)
            // Signing in again from another browser yields another token; both are distinct sessions.
            let other = Browser(client)
            try await other.signIn("aude", p.password)
            let second = try #require(await other.cookies["custos_session"])
            #expect(first != second)
            // Logout kills the session server-side: replaying its cookie fails, the other session lives on.
            try await b.get("/")
            #expect(try await b.post("/logout", []).headers[.location] == "/login?signed_out=1")
            let replay = Browser(client)
            await replay.setCookie("custos_session", first)
            #expect(try await replay.get("/").headers[.location] == "/login")
            #expect(try await other.get("/").status == .ok)
            // Signing in again in the same browser replaces the token.
            try await b.signIn("aude", p.password)
            let third = try #require(await b.cookies["custos_session"])
            #expect(third != first && third != second)
        }
    }

    @Test func disablingAUserEndsTheirSessionsAtOnce() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        let aude = try await h.person("aude", roles: [.auditor])
        try await h.run { client in
            let a = Browser(client)
            try await a.signIn("aude", aude.password)
            #expect(try await a.get("/").status == .ok)
            let admin = Browser(client)
            try await admin.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            try await admin.get("/admin/users/\(aude.user.id)")
            let r = try await admin.post("/admin/users/\(aude.user.id)/disable", [])
            #expect(r.status == .seeOther)
            #expect(try await a.get("/").headers[.location] == "/login")
            #expect(try await a.signIn("aude", aude.password).status == .unauthorized)
        }
    }

    @Test func roleSwitchingIsExplicitAndAudited() async throws {
        let h = try await Harness.make()
        let p = try await h.person("lee", roles: [.legal, .security])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("lee", p.password)
            #expect(try await b.get("/").text.contains("acting as <strong>Legal</strong>"))
            try await b.post("/account/role", [("role", "security")])
            #expect(try await b.get("/").text.contains("acting as <strong>Security</strong>"))
            let refused = try await b.post("/account/role", [("role", "admin")])
            #expect(refused.status == .forbidden)
        }
        let switched = try h.system.archive.read { try $0.audit.count(action: AuditAction.roleSwitched.rawValue) }
        #expect(switched == 1)
        let last = try #require(try h.system.archive.read { try $0.audit.last() })
        #expect(last.action == AuditAction.roleSwitched.rawValue && last.role == "legal" && last.details.contains("\"to\":\"security\""))
    }

    @Test func adminCreatesUserWithOneTimePasswordAndRoleConflictsAreRefused() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            try await b.get("/admin/users/new")
            let conflict = try await b.post("/admin/users", [("username", "mixed"), ("display_name", "Mixed"),
                                                             ("role", "admin"), ("role", "custodian")])
            #expect(conflict.status == .conflict)  // roleConflict: 409 on this form as on every other page
            #expect(conflict.text.contains("cannot be combined"))
            #expect(conflict.text.contains("value=\"mixed\""))  // nothing the person typed is lost
            let created = try await b.post("/admin/users", [("username", "newbie"), ("display_name", "New <b>Bie</b>"), ("role", "auditor")])
            #expect(created.status == .created)
            let otp = try #require(created.text.firstMatch(of: /id="one-time-password">([a-z0-9-]+)</)?.1)
            let list = try await b.get("/admin/users")
            #expect(list.text.contains("New &lt;b&gt;Bie&lt;/b&gt;"))
            #expect(!list.text.contains("<b>Bie</b>"))
            let n = Browser(client)
            #expect(try await n.signIn("newbie", String(otp)).headers[.location] == "/account/password")
        }
        // The database trigger refuses the conflict even if application code is bypassed.
        #expect(throws: (any Error).self) {
            try h.system.withRawDatabase { db in
                try db.run("INSERT INTO user_roles (user_id, role, granted_at) VALUES (?, 'custodian', 0)", boss.user.id)
            }
        }
    }

    @Test func securityHeadersAndGenericErrorPages() async throws {
        let h = try await Harness.make()
        try await h.run { client in
            let r = try await client.execute(uri: "/login", method: .get, headers: [:], body: nil)
            #expect(r.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(r.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(r.headers[.xContentTypeOptions] == "nosniff")
            #expect(r.headers[.referrerPolicy] == "no-referrer")
            #expect(r.headers[.strictTransportSecurity] == nil)  // plain http on loopback
            let cookie = try #require(r.headers[values: .setCookie].first)
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let missing = try await client.execute(uri: "/no/such/page?<script>", method: .get, headers: [:], body: nil)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentSecurityPolicy] != nil)
            #expect(!missing.text.contains("<script>"))
            #expect(missing.text.contains("Request id"))
        }
    }

    @Test func tlsModeUsesHostPrefixedSecureCookiesAndHSTS() async throws {
        let h = try await Harness.make(configuration: WebConfiguration(tls: true))
        try await h.run { client in
            let r = try await client.execute(uri: "/login", method: .get, headers: [:], body: nil)
            #expect(r.headers[.strictTransportSecurity]?.contains("max-age=") == true)
            let cookie = try #require(r.headers[values: .setCookie].first)
            #expect(cookie.hasPrefix("__Host-") && cookie.contains("Secure") && cookie.contains("Path=/"))
        }
    }
}
