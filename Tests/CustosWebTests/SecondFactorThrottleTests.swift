import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Someone who has the password cannot brute-force the TOTP step, and one code signs in once (issue 18, 1 and 3).
@Suite struct SecondFactorThrottleTests {
    @Test func retypingThePasswordDoesNotResetTheCountOfWrongCodes() async throws {
        let h = try await Harness.make()
        let p = try await h.person("cato", roles: [.custodian])
        let secret = try #require(p.totpSecret)
        try await h.run { client in
            // Password, four wrong codes, the password again in another browser, one more wrong code: locked.
            let first = Browser(client)
            #expect(try await first.signIn("cato", p.password).headers[.location] == "/login/totp")
            try await first.get("/login/totp")
            for i in 0..<4 {
                #expect(try await first.post("/login/totp", [("code", h.wrongCode(secret, i))]).status == .unauthorized)
            }
            let waiting = Browser(client)
            #expect(try await waiting.signIn("cato", p.password).headers[.location] == "/login/totp")
            let second = Browser(client)
            #expect(try await second.signIn("cato", p.password).headers[.location] == "/login/totp")
            try await second.get("/login/totp")
            let fifth = try await second.post("/login/totp", [("code", h.wrongCode(secret, 4))])
            #expect(fifth.status == .tooManyRequests)
            #expect(fifth.text.contains("Sign-in is paused for this account"))
            #expect(Int(fifth.headers[.retryAfter] ?? "") ?? 0 > 0)
            // Every session of the account that waited at the TOTP step has ended.
            #expect(try await first.get("/login/totp").headers[.location] == "/login")
            #expect(try await waiting.get("/login/totp").headers[.location] == "/login")
            #expect(try h.count("SELECT count(*) FROM sessions WHERE stage = 'totp'") == 0)
            // The right password no longer leads to a TOTP step, so the right code is never even tried.
            let locked = try await Browser(client).signIn("cato", p.password, totp: h.code(secret))
            #expect(locked.status == .tooManyRequests)
            // After the window, password and code sign in, and that clears the count.
            h.clock.advance(15 * 60 + 1)
            #expect(try await Browser(client).signIn("cato", p.password, totp: h.code(secret)).headers[.location] == "/")
        }
        #expect(try h.audited(.totpFailed) == 5)
        let locks = try h.system.archive.read { try $0.audit.entries(action: AuditAction.loginThrottled.rawValue) }
        #expect(locks.first?.details.contains("\"scope\":\"second factor\"") == true)
    }

    @Test func theLockIsCheckedBeforeACodeIsValidated() async throws {
        let h = try await Harness.make()
        let p = try await h.person("cato", roles: [.custodian])
        let secret = try #require(p.totpSecret)
        let s = h.system.signIn
        let pending = try await s.signIn(username: "cato", password: p.password, client: "192.0.2.1")
        for i in 0..<5 {
            #expect(throws: DomainError.self) {
                try s.verifyTOTP(session: pending.session, user: pending.user, code: h.wrongCode(secret, i), client: "192.0.2.1")
            }
        }
        // The right code on the session as it was: refused by the lock, and its step stays unused.
        do {
            _ = try s.verifyTOTP(session: pending.session, user: pending.user, code: h.code(secret), client: "192.0.2.1")
            Issue.record("a code was validated while the second factor was locked")
        } catch {
            #expect(isThrottled(error))
        }
        let user = try #require(try h.system.users.find(id: p.user.id))
        #expect(user.totpLastCounter == nil)
        try? FileManager.default.removeItem(atPath: h.dir)
    }

    @Test func oneCodeUsedBySignInsRunningAtTheSameMomentSignsInOnce() async throws {
        let h = try await Harness.make()
        let p = try await h.person("cato", roles: [.custodian])
        let secret = try #require(p.totpSecret)
        let s = h.system.signIn
        // Two sign-ins read the account before either used the code: each holds the same, stale account.
        let a = try await s.signIn(username: "cato", password: p.password, client: "192.0.2.1")
        let b = try await s.signIn(username: "cato", password: p.password, client: "192.0.2.2")
        let code = h.code(secret)
        #expect(try s.verifyTOTP(session: a.session, user: a.user, code: code, client: "192.0.2.1").stage == .active)
        do {
            _ = try s.verifyTOTP(session: b.session, user: b.user, code: code, client: "192.0.2.2")
            Issue.record("one code signed in twice")
        } catch {
            #expect(isDomain(error) { if case .authenticationFailed = $0 { true } else { false } })
        }
        #expect(try h.count("SELECT count(*) FROM sessions WHERE stage = 'active'") == 1)
        // Over HTTP, two browsers sending one code at once: exactly one gets in.
        h.clock.advance(30)
        try await h.run { client in
            let x = Browser(client), y = Browser(client)
            try await x.signIn("cato", p.password)
            try await y.signIn("cato", p.password)
            try await x.get("/login/totp")
            try await y.get("/login/totp")
            let now = h.code(secret)
            async let rx = x.post("/login/totp", [("code", now)])
            async let ry = y.post("/login/totp", [("code", now)])
            let answers = [try await rx, try await ry].map { $0.headers[.location] == "/" }
            #expect(answers.filter { $0 }.count == 1)
        }
    }
}
