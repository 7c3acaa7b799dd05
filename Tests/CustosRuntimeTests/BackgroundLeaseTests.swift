import CustosCore
import CustosRuntime
import Foundation
import Testing

/// Two servers on one archive race for its background jobs: one wins, the other waits out the lease, and a
/// take-over is audited. (The same on PostgreSQL across processes: Tests/e2e/test_two_nodes.py.)
@Suite struct BackgroundLeaseTests {
    @Test func aSecondServerWaitsForTheLeaseThenTakesItOverAudited() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        let first = BackgroundLease(archive: f.system.archive, period: 60, holder: "node-a")
        let second = BackgroundLease(archive: f.system.archive, period: 60, holder: "node-b")
        #expect(first.renew())
        #expect(!second.renew(), "a live lease belongs to its holder alone")
        f.clock.advance(59)
        #expect(first.renew(), "the holder renews")
        f.clock.advance(59)
        #expect(!second.renew(), "renewed, it is still the first server's")
        f.clock.advance(2)
        #expect(second.renew(), "expired, the other server takes it")
        #expect(!first.renew(), "and the first gets it back only when it is free")
        let takeovers = try f.system.archive.read { try $0.audit.entries(action: AuditAction.backgroundJobsTaken.rawValue) }
        #expect(takeovers.map(\.target) == ["node-a", "node-b"])
        #expect(takeovers.last?.details.contains("\"previous\":\"node-a\"") == true)
        second.release()
        #expect(first.renew(), "a released lease is free at once")
    }
}
