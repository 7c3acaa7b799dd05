import CustosCore
import CustosRuntime
import CustosWeb
import Dispatch
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Requests from people who are not signed in cannot grow the database or the queue of password work without
/// bound (issue 18, 5).
@Suite struct ThrottleHousekeepingTests {
    @Test func refusalsAreAuditedOncePerSubjectAndWindowWithTheirCount() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let s = h.system.signIn
        for i in 0..<5 { _ = try? await s.signIn(username: "nobody-here", password: "guess \(i)", client: "192.0.2.9") }
        let before = try h.count("SELECT count(*) FROM audit_events")
        for i in 0..<30 {
            await #expect(throws: DomainError.self) { try await s.signIn(username: "nobody-here", password: "more \(i)", client: "192.0.2.9") }
        }
        #expect(try h.count("SELECT count(*) FROM audit_events") == before, "refusals within the window add no entry")
        #expect(try h.audited(.loginThrottled) == 1)
        // The next window's lock carries the refusals that got no entry of their own.
        h.clock.advance(15 * 60 + 1)
        for i in 0..<5 { _ = try? await s.signIn(username: "nobody-here", password: "again \(i)", client: "192.0.2.9") }
        let locks = try h.system.archive.read { try $0.audit.entries(action: AuditAction.loginThrottled.rawValue) }
        #expect(locks.count == 2)
        #expect(locks.last?.details.contains("\"refused_unrecorded\":\"30\"") == true)
        #expect(locks.last?.details.contains("\"failures\":\"5\"") == true)
    }

    @Test func theServersTimerPurgesOldFailuresAndExpiredSessions() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let p = try await h.person("aude", roles: [.auditor])
        let s = h.system.signIn
        for i in 0..<7 { _ = try? await s.signIn(username: "someone\(i)", password: "guess", client: "192.0.2.9") }
        _ = try await s.signIn(username: "aude", password: p.password, client: "192.0.2.10")
        #expect(try h.count("SELECT count(*) FROM login_failures") > 0)
        #expect(try h.count("SELECT count(*) FROM sessions") == 1)
        h.clock.advance(24 * 3600 + 1)
        let app = try await buildApplication(system: h.system, configuration: WebConfiguration(port: 0, logLevel: .critical))
        let server = Task {
            try await h.system.serve([app], housekeepingEvery: .seconds(1), disposition: DispositionSchedule(everyHours: 0),
                                     gracefulShutdownSignals: [])
        }
        defer { server.cancel() }
        var left = -1
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            left = try h.count("SELECT (SELECT count(*) FROM login_failures) + (SELECT count(*) FROM throttle_notices) + (SELECT count(*) FROM sessions)")
            if left == 0 { break }
        }
        #expect(left == 0)
    }

    @Test func purgingKeepsWhatStillCounts() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let p = try await h.person("aude", roles: [.auditor])
        let s = h.system.signIn
        for i in 0..<3 { _ = try? await s.signIn(username: "aude", password: "wrong \(i)", client: "192.0.2.9") }
        let kept = try await s.signIn(username: "aude", password: p.password, client: "192.0.2.10")
        h.clock.advance(10 * 60)
        _ = try s.purgeExpired()
        #expect(try h.count("SELECT count(*) FROM login_failures") == 3 * 3, "each failure counts for the pair, the address and the account")
        #expect(try h.count("SELECT count(*) FROM sessions") == 1)
        h.clock.advance(6 * 60)
        let purged = try s.purgeExpired()
        #expect(purged.attempts == 9 && purged.sessions == 1)
        #expect(try s.resolve(token: kept.token) == nil)
    }

    @Test func aFullQueueOfPasswordWorkAnswers429WithRetryAfter() async throws {
        let work = BlockingWork(width: 1, capacity: 1)
        let h = try await Harness.make(work: work)
        let p = try await h.person("aude", roles: [.auditor])
        let gate = DispatchSemaphore(value: 0)
        // One password check holds the only queue, and the only room in it.
        let holder = Task { try await work.runIfRoom { gate.wait() } }
        for _ in 0..<400 where work.hasRoom { try await Task.sleep(for: .milliseconds(5)) }
        // Let the queue go in a while regardless, so a server without the bound answers (wrongly) instead of hanging.
        let release = Task { try await Task.sleep(for: .seconds(3)); gate.signal() }
        let before = try h.count("SELECT count(*) FROM audit_events")
        try await h.run(cleanup: false) { client in
            let busy = try await Browser(client).signIn("aude", "wrong password")
            #expect(busy.status == .tooManyRequests)
            #expect(busy.headers[.retryAfter] == "1")
            #expect(busy.text.contains("The server is busy"))
        }
        #expect(try h.count("SELECT count(*) FROM audit_events") == before)
        #expect(try h.count("SELECT count(*) FROM login_failures") == 0)
        release.cancel()
        gate.signal()
        try await holder.value
        try await h.run { client in
            let r = try await Browser(client).signIn("aude", p.password)
            #expect(r.headers[.location] == "/")
        }
    }
}
