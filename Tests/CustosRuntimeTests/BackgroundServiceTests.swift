import CustosCore
import CustosRuntime
import Foundation
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// The background jobs of a serving instance end promptly when their group shuts down gracefully, and say
/// nothing of what they hold when the group names them.
@Suite(.timeLimit(.minutes(10))) struct BackgroundServiceTests {
    /// Far less than the services' intervals below (a day), and far more than ending takes alone: tests running in
    /// parallel on two cores can hold up every task for tens of seconds.
    static let promptly = Duration.seconds(300)

    /// Runs `service` until it has started, triggers graceful shutdown and returns how long it took to end.
    private func shutdownTime(_ service: some Service) async throws -> Duration {
        try await testGracefulShutdown { trigger in
            let running = Task { try await service.run() }
            try await Task.sleep(for: .milliseconds(100))
            let start = ContinuousClock.now
            trigger.triggerGracefulShutdown()
            try await running.value
            return ContinuousClock.now - start
        }
    }

    @Test func housekeepingEndsAtOnceOnGracefulShutdown() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        let took = try await shutdownTime(HousekeepingService(system: f.system, every: .seconds(86_400)))
        #expect(took < Self.promptly, "it sleeps for a day between rounds; shutdown must not wait for that")
    }

    @Test func theDispositionScheduleEndsAtOnceOnGracefulShutdownWhetherOnOrOff() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        for schedule in [DispositionSchedule(everyHours: 24, firstDelay: .seconds(86_400)), DispositionSchedule(everyHours: 0)] {
            let took = try await shutdownTime(DispositionScheduleService(schedule: schedule, system: f.system))
            #expect(took < Self.promptly, "every \(schedule.everyHours) h")
        }
    }

    @Test func anOffScheduleStaysInItsGroupUntilItStops() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        let service = DispositionScheduleService(schedule: DispositionSchedule(everyHours: 0), system: f.system)
        // A service that returned at once would stop every other service of the group with it.
        await testGracefulShutdown { trigger in
            await withTaskGroup(of: String.self) { group in
                group.addTask { await service.run(); return "ended" }
                group.addTask { try? await Task.sleep(for: .milliseconds(300)); return "still running" }
                #expect(await group.next() == "still running")
                trigger.triggerGracefulShutdown()
                #expect(await group.next() == "ended")
            }
        }
    }

    @Test func housekeepingDeletesOldThrottleRowsEveryRound() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        for i in 0..<3 { _ = try? await f.system.signIn.signIn(username: "nobody\(i)", password: "guess", client: "192.0.2.9") }
        #expect(try f.count("SELECT count(*) FROM login_failures") > 0)
        f.clock.advance(24 * 3_600 + 1)
        let running = Task { await HousekeepingService(system: f.system, every: .milliseconds(20)).run() }
        defer { running.cancel() }
        var left: Int64 = -1
        for _ in 0..<100 where left != 0 {
            try await Task.sleep(for: .milliseconds(20))
            left = try f.count("SELECT count(*) FROM login_failures")
        }
        #expect(left == 0)
    }

    @Test func theGroupNamesServicesWithoutReflectingWhatTheyHold() async throws {
        let f = try await RuntimeFixture.make()
        defer { f.remove() }
        #expect("\(HousekeepingService(system: f.system, every: .seconds(30)))" == "HousekeepingService(every: 30.0 seconds)")
        #expect("\(DispositionScheduleService(schedule: DispositionSchedule(everyHours: 24), system: f.system))"
                == "DispositionScheduleService(every 24 h)")
    }
}
