import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Wrong passwords lock an account only from the address they came from; from anywhere they only slow it down
/// a little, so nobody can keep an owner locked out (issue 18, 4).
@Suite struct LockoutAbuseTests {
    @Test func anAttackerElsewhereCannotLockTheOwnerOut() async throws {
        let h = try await Harness.make(configuration: .behindLoopbackProxy)
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run(.live) { client in
            for i in 1...5 {
                let r = try await signIn(client, "aude", "wrong password \(i)", from: "203.0.113.9")
                #expect(r.status == (i < 5 ? .unauthorized : .tooManyRequests))
            }
            // That address is paused for this account, even with the right password.
            let there = try await signIn(client, "aude", p.password, from: "203.0.113.9")
            #expect(there.status == .tooManyRequests && there.text.contains("Sign-in is paused for this account from this address"))
            // The owner elsewhere waits a second, then signs in.
            let soon = try await signIn(client, "aude", p.password, from: "198.51.100.7")
            #expect(soon.status == .tooManyRequests && soon.headers[.retryAfter] == "1")
            h.clock.advance(1)
            #expect(try await signIn(client, "aude", p.password, from: "198.51.100.7").headers[.location] == "/")

            // Attackers at many addresses make each attempt on the account wait longer, but never more than a minute.
            var waits: [Int64] = []
            for i in 0..<10 {
                while true {
                    let r = try await signIn(client, "aude", "guess \(i)", from: "203.0.113.\(20 + i)")
                    guard r.status == .tooManyRequests else { break }
                    let wait = try #require(Int64(r.headers[.retryAfter] ?? ""))
                    waits.append(wait)
                    h.clock.advance(wait)
                }
            }
            // The first guess finds the owner's second already passed; then each waits twice as long, up to a minute.
            #expect(waits == [2, 4, 8, 16, 32, 60, 60, 60, 60])
            let owner = try await signIn(client, "aude", p.password, from: "198.51.100.7")
            let wait = try #require(Int64(owner.headers[.retryAfter] ?? ""))
            #expect(owner.status == .tooManyRequests && wait <= 60)
            h.clock.advance(wait)
            #expect(try await signIn(client, "aude", p.password, from: "198.51.100.7").headers[.location] == "/")
        }
        // The access report counts the one lockout (the pair); the waits are not lockouts.
        let report = try h.system.accessReports.generate(Quarter("2026-Q1")!, format: "csv", actor: .system("test"))
        let aude = report.logins.first { $0.account == "aude" }
        #expect(aude?.lockouts == 1 && aude?.failed == 15 && aude?.succeeded == 2)
    }

    @Test func theAddressLimitStillHolds() async throws {
        let h = try await Harness.make(configuration: .behindLoopbackProxy)
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run(.live) { client in
            for i in 0..<20 { _ = try await signIn(client, "spray\(i)", "guess", from: "203.0.113.9") }
            let blocked = try await signIn(client, "aude", p.password, from: "203.0.113.9")
            #expect(blocked.status == .tooManyRequests && blocked.text.contains("Sign-in is paused from here"))
            #expect(try await signIn(client, "aude", p.password, from: "198.51.100.7").status == .seeOther)
        }
    }
}
