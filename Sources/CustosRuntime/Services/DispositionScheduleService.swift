import CustosCore
import Logging
import ServiceLifecycle

/// When a serving instance runs disposition: once every `everyHours` (0: never), counted from the last real
/// run recorded in the database, so restarts neither skip nor repeat a day. The first look comes
/// `firstDelay` after start, then every `checkEvery`.
public struct DispositionSchedule: Sendable {
    public var everyHours: Int
    public var firstDelay: Duration
    public var checkEvery: Duration

    public init(everyHours: Int = 24, firstDelay: Duration = .seconds(600), checkEvery: Duration = .seconds(600)) {
        self.everyHours = everyHours
        self.firstDelay = firstDelay
        self.checkEvery = checkEvery
    }

    /// Whether a run is due at `now`, given the last real run.
    public func isDue(now: Int64, lastRun: DispositionRunRecord?) -> Bool {
        guard everyHours > 0 else { return false }
        guard let last = lastRun else { return true }
        return now - last.startedAt >= Int64(everyHours) * 3_600
    }
}

/// Runs disposition on its `schedule` until graceful shutdown. A run in progress is finished first: it
/// disposes in batches, each committed with its audit entries, and records the run itself at its end.
public struct DispositionScheduleService: Service {
    public let schedule: DispositionSchedule
    let disposition: DispositionService
    let clock: any Clock
    let lease: BackgroundLease

    public init(schedule: DispositionSchedule, system: CustosSystem) {
        self.schedule = schedule
        disposition = system.disposition
        clock = system.clock
        lease = system.backgroundLease
    }

    public func run() async {
        guard schedule.everyHours > 0 else {
            // Off: nothing to do but stay in the group until it stops (a service that returns early stops the group).
            try? await gracefulShutdown()
            return
        }
        await repeating(first: schedule.firstDelay, every: schedule.checkEvery) { [self] in runIfDue() }
    }

    /// One look: a run if one is due. A failure is logged by its type only; the next look tries again.
    public func runIfDue() {
        // Only the instance holding the background lease disposes; the last run is in the database, so whichever
        // instance holds it next sees the same schedule.
        guard lease.renew() else { return }
        do {
            if schedule.isDue(now: clock.now(), lastRun: try disposition.lastRun()) {
                _ = try disposition.run(dryRun: false, actor: .system("disposition schedule"))
            }
        } catch {
            // The run and each disposal are audited as they happen.
            Logger(label: "custos.disposition").error("disposition run failed: \(String(describing: type(of: error)))")
        }
    }
}

extension DispositionScheduleService: CustomStringConvertible {
    /// What printing the service shows (in a log line, an error): never a reflection of the domain services it
    /// holds, which would reach the server keys inside them.
    public var description: String { "DispositionScheduleService(every \(schedule.everyHours) h)" }
}
