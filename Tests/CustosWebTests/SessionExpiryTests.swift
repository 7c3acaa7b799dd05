import CustosCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Idle timeout 15 minutes, absolute 12 hours (NIST 800-63B AAL3), on the server.
@Suite struct SessionExpiryTests {
    @Test func idleSessionExpiresAfterFifteenMinutes() async throws {
        let h = try await Harness.make()
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("aude", p.password)
            h.clock.advance(14 * 60)
            #expect(try await b.get("/").status == .ok)  // activity refreshes the idle timer
            h.clock.advance(14 * 60)
            #expect(try await b.get("/").status == .ok)
            h.clock.advance(15 * 60 + 1)
            #expect(try await b.get("/").headers[.location] == "/login")
        }
    }

    @Test func activeSessionEndsAtTwelveHoursRegardless() async throws {
        let h = try await Harness.make()
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("aude", p.password)
            for _ in 0..<(12 * 6 - 1) {  // a request every 10 minutes for just under 12 hours
                h.clock.advance(10 * 60)
                #expect(try await b.get("/").status == .ok)
            }
            h.clock.advance(10 * 60)
            #expect(try await b.get("/").headers[.location] == "/login")
        }
        #expect(try h.system.archive.read { try $0.sessions.count(userID: p.user.id) } == 0)
    }
}
