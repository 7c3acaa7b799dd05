import CustosCore
import Logging
import ServiceLifecycle

/// The serving instance's timer: every `interval` it drops its content-search indexes of ended grants and, on the
/// instance holding the background lease, ends grants whose time is up, lapses requests nobody approved in time
/// (deleting their key material), and deletes expired sessions and old throttle rows.
/// It ends on graceful shutdown, after the round in progress if there is one.
public struct HousekeepingService: Service {
    let decryption: DecryptionService
    let signIn: SignInService
    let lease: BackgroundLease
    public let interval: Duration

    public init(system: CustosSystem, every interval: Duration = .seconds(30)) {
        decryption = system.decryption
        signIn = system.signIn
        lease = system.backgroundLease
        self.interval = interval
    }

    public func run() async {
        await repeating(first: interval, every: interval) { [self] in runOnce() }
    }

    /// One round, on the instance holding the background lease only. A failure is logged by its type only (never its
    /// text, which could carry a value) and the next round tries again.
    public func runOnce() {
        // Every server drops its own in-memory content indexes of grants that ended, wherever they were ended.
        do {
            try decryption.sweepTextIndexes()
        } catch {
            Logger(label: "custos.grants").error("dropping ended grants' content indexes failed: \(String(describing: type(of: error)))")
        }
        // Another server of this archive does the round; expired grants are refused at every view regardless.
        guard lease.renew() else { return }
        do {
            try decryption.expireDue()
        } catch {
            // Expired grants are refused at once regardless, as every content view checks the grant's end time itself.
            Logger(label: "custos.grants").error("ending expired grants failed: \(String(describing: type(of: error)))")
        }
        do {
            _ = try signIn.purgeExpired()
        } catch {
            // Expired sessions are refused when used, and old attempts fall outside every count.
            Logger(label: "custos.sign-in").error("purging expired sessions and throttle rows failed: \(String(describing: type(of: error)))")
        }
    }
}

extension HousekeepingService: CustomStringConvertible {
    /// What printing the service shows (in a log line, an error): never a reflection of the domain services it
    /// holds, which would reach the server keys inside them.
    public var description: String { "HousekeepingService(every: \(interval))" }
}
