import CustosCore
import CustosRuntime
import CustosTestSupport
import CustosStore
import Foundation

/// A fresh data directory opened as `custos serve` opens it (the head file written in the background), removed by
/// `remove()`.
struct RuntimeFixture: Sendable {
    let dir: String
    let system: CustosSystem
    let clock: ManualClock

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func make() async throws -> RuntimeFixture {
        let dir = NSTemporaryDirectory() + "custos-runtime-" + UUID().uuidString
        let resources = Resources(root: repoRoot)
        let clock = ManualClock()
        let (created, _) = try await CustosSystem.initialize(dataDirectory: dir, resources: resources, clock: clock)
        try created.close()
        let system = try CustosSystem.open(dataDirectory: dir, resources: resources, clock: clock, auditHead: .background)
        return RuntimeFixture(dir: dir, system: system, clock: clock)
    }

    /// The sequence number in the head file, and the last entry's in the log (read from a connection of its own, so
    /// it works after the system is closed).
    func headAndLastEntry() throws -> (head: Int64?, last: Int64?) {
        let head = try AuditHeadFile.read(from: (dir as NSString).appendingPathComponent(AuditHeadFile.fileName))?.seq
        let (audit, _) = try CustosSystem.verifyOffline(dataDirectory: dir, resources: Resources(root: Self.repoRoot))
        return (head, audit.ok ? audit.entries : nil)
    }

    /// A count from the database.
    func count(_ sql: String) throws -> Int64 {
        try system.withRawDatabase { try $0.queryOne(sql)?.int(0) ?? -1 }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: dir)
    }
}
