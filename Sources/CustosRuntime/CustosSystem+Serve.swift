import CustosCore
import Logging
import ServiceLifecycle
import UnixSignals

extension CustosSystem {
    /// Runs a serving instance until one of `gracefulShutdownSignals` arrives or the task is cancelled: the
    /// disposition schedule, the housekeeping timer and then `services` (the web application, then anything that
    /// needs it) in one service group. A signal shuts the group down gracefully in reverse order: the given
    /// services first (the web application stops accepting connections and finishes the requests in flight),
    /// then the timer and the schedule, each after the round it may be in. What is still running
    /// `gracefulShutdownLimit` after the signal is cancelled: a client that never finishes its request cannot keep
    /// the server up (its connection is closed unanswered). Then, however the group ended, the newest signed head
    /// is written and the database closed.
    public func serve(_ services: [any Service], housekeepingEvery: Duration = .seconds(30),
                      disposition: DispositionSchedule = DispositionSchedule(),
                      gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint], gracefulShutdownLimit: Duration = .seconds(20),
                      logger: Logger = Logger(label: "custos")) async throws {
        let all: [any Service] = [DispositionScheduleService(schedule: disposition, system: self),
                                  HousekeepingService(system: self, every: housekeepingEvery)] + services
        // Each named by its type: the group would otherwise describe a service by reflection, which reaches any
        // keys inside what it holds, and put that in its logs and errors.
        var configuration = ServiceGroupConfiguration(
            services: all.map { .init(service: $0, serviceName: String(describing: type(of: $0))) },
            gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        configuration.maximumGracefulShutdownDuration = gracefulShutdownLimit
        let group = ServiceGroup(configuration: configuration)
        do {
            try await group.run()
        } catch {
            closeAfterServing(logger)
            throw error
        }
        closeAfterServing(logger)
    }

    /// A serving instance's last step: waits until the newest committed audit head is in the head file, then
    /// closes the database (see `Database.close`). Nothing may use this system afterwards.
    public func close() throws {
        archive.auditLog.flushHead()
        try store.close()
    }

    private func closeAfterServing(_ logger: Logger) {
        // Another server of the archive may take the background jobs now rather than when the lease runs out.
        backgroundLease.release()
        do {
            try close()
        } catch {
            logger.error("closing the database failed: \(String(describing: type(of: error)))")
        }
    }
}
