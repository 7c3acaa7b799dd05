import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// One code signs in once (issue 18, 3).
@Suite struct SecondFactorThrottleTests {
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
