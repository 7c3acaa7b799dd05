import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Failed sign-ins are throttled per account and per address, on the server.
@Suite struct ThrottleTests {
    @Test func fiveFailuresLockTheAccountForFifteenMinutesWithoutRevealingIt() async throws {
        let h = try await Harness.make()
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run { client in
            let b = Browser(client)
            for i in 1...5 {
                let r = try await b.signIn("aude", "wrong password \(i)")
                #expect(r.status == (i < 5 ? .unauthorized : .tooManyRequests))
            }
            // Even the right password is refused while locked, with a message that says why.
            let locked = try await b.signIn("aude", p.password)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.text.contains("Sign-in is paused"))
            // An unknown username gets exactly the same treatment.
            var unknown = TestResponse?.none
            for _ in 1...6 { unknown = try await b.signIn("nobody-here", "whatever password") }
            #expect(unknown?.status == .tooManyRequests)
            #expect(unknown?.text.contains("Sign-in is paused") == true)
            h.clock.advance(15 * 60 + 1)
            #expect(try await b.signIn("aude", p.password).headers[.location] == "/")
        }
        let throttled = try h.system.archive.read { try $0.audit.count(action: AuditAction.loginThrottled.rawValue) }
        #expect(throttled >= 2)
    }

    @Test func manyFailuresFromOneAddressThrottleThatAddress() async throws {
        let h = try await Harness.make(configuration: .behindLoopbackProxy)
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run(.live) { client in
            func attempt(_ user: String, _ password: String, from address: String) async throws -> TestResponse {
                let b = Browser(client)
                _ = try await client.execute(uri: "/login", method: .get, headers: [.xForwardedFor: address], body: nil)
                let page = try await b.get("/login")
                _ = page
                let body = "username=\(user)&password=\(Browser.encode(password))&csrf=\(await b.csrf)"
                return try await client.execute(uri: "/login", method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: await b.cookieHeader, .xForwardedFor: address],
                    body: ByteBuffer(string: body))
            }
            for i in 0..<20 { _ = try await attempt("spray\(i)", "guess", from: "203.0.113.9") }
            let blocked = try await attempt("aude", p.password, from: "203.0.113.9")
            #expect(blocked.status == .tooManyRequests)
            let elsewhere = try await attempt("aude", p.password, from: "198.51.100.7")
            #expect(elsewhere.status == .seeOther)
        }
    }
}
