import CustosCore
import CustosRuntime
import CustosTestSupport
import Foundation
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// Stands in for the web application: on graceful shutdown it takes a moment to finish the request in flight,
/// which writes an audit entry, then ends.
private struct DrainingFrontEnd: Service {
    let system: CustosSystem

    func run() async throws {
        try await gracefulShutdown()
        try await Task.sleep(for: .milliseconds(200))
        _ = try system.captureTokens.create(name: "created while draining", actor: .system("test"))
    }
}

/// A front end whose request never finishes: it ignores graceful shutdown and ends only when cancelled.
private struct StuckFrontEnd: Service {
    func run() async throws {
        try await Task.sleep(for: .seconds(86_400))
    }
}

private struct Failure: Error {}

/// A front end that fails at start.
private struct FailingFrontEnd: Service {
    func run() async throws { throw Failure() }
}

/// `CustosSystem.serve`: the front end drains first, then the signed head is written and the database closed.
@Suite(.timeLimit(.minutes(10))) struct ServeTests {
    @Test func gracefulShutdownLetsTheFrontEndFinishThenWritesTheHeadAndClosesTheDatabase() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        let before = try f.system.archive.read { try $0.audit.last()?.seq ?? 0 }
        let took = try await testGracefulShutdown { trigger in
            let serving = Task {
                try await f.system.serve([DrainingFrontEnd(system: f.system)], housekeepingEvery: .seconds(86_400),
                                         disposition: DispositionSchedule(everyHours: 24, firstDelay: .seconds(86_400)),
                                         gracefulShutdownSignals: [])
            }
            try await Task.sleep(for: .milliseconds(100))
            let start = ContinuousClock.now
            trigger.triggerGracefulShutdown()
            try await serving.value
            return ContinuousClock.now - start
        }
        // The background jobs would otherwise wait out their intervals (a day).
        #expect(took < BackgroundServiceTests.promptly)
        #expect(try f.system.sqliteDatabase().isClosed)
        #expect(!FileManager.default.fileExists(atPath: CustosSystem.databasePath(f.dir) + "-wal"))
        let (head, last) = try f.headAndLastEntry()
        #expect(last == before + 1, "the entry written while draining is in the log")
        #expect(head == last, "and the signed head names it")
    }

    @Test func whatIsStillRunningAfterTheLimitIsCancelledAndTheDatabaseStillClosed() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        _ = try f.system.captureTokens.create(name: "before the stop", actor: .system("test"))
        let took = try await testGracefulShutdown { trigger in
            let serving = Task {
                try await f.system.serve([StuckFrontEnd()], housekeepingEvery: .seconds(86_400),
                                         disposition: DispositionSchedule(everyHours: 0), gracefulShutdownSignals: [],
                                         gracefulShutdownLimit: .milliseconds(300))
            }
            try await Task.sleep(for: .milliseconds(100))
            let start = ContinuousClock.now
            trigger.triggerGracefulShutdown()
            // Cut off, not finished (this front end then throws; the web application returns).
            _ = try? await serving.value
            return ContinuousClock.now - start
        }
        #expect(took < BackgroundServiceTests.promptly, "the stuck request would otherwise keep it up for a day")
        #expect(try f.system.sqliteDatabase().isClosed)
        let (head, last) = try f.headAndLastEntry()
        #expect(head != nil && head == last)
    }

    @Test func aFailingServiceStillLeavesTheHeadWrittenAndTheDatabaseClosed() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        _ = try f.system.captureTokens.create(name: "before the failure", actor: .system("test"))
        await #expect(throws: Failure.self) {
            try await f.system.serve([FailingFrontEnd()], gracefulShutdownSignals: [])
        }
        #expect(try f.system.sqliteDatabase().isClosed)
        let (head, last) = try f.headAndLastEntry()
        #expect(head != nil && head == last)
    }
}
