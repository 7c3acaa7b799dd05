import Foundation

/// Which serving instance of an archive runs its background jobs (grant expiry, lapsed requests, session purges,
/// disposition): whichever holds this lease in the database. A holder renews it every round; when it stops (it
/// crashed, or lost the database), another instance takes it once it has expired, at most `period` seconds later,
/// and the take-over is audited with both names.
public struct BackgroundLease: Sendable {
    public static let name = "background-jobs"

    let archive: Archive
    /// This instance: host, process and a random suffix, so a restarted process is a new holder.
    public let holder: String
    /// Seconds a taken lease lasts without renewal.
    public let period: Int64

    public init(archive: Archive, period: Int64 = 60, holder: String = BackgroundLease.defaultHolder()) {
        self.archive = archive
        self.period = period
        self.holder = holder
    }

    /// Takes or renews the lease; true when this instance holds it for the next `period` seconds. A failure counts as
    /// not holding it: a job is better skipped for a round than run twice.
    public func renew() -> Bool {
        do {
            return try archive.transaction { tx in
                let now = archive.clock.now()
                let previous = try tx.uow.leases.holder(name: Self.name)
                guard try tx.uow.leases.acquire(name: Self.name, holder: holder, now: now, until: now + period) else { return false }
                if previous?.holder != holder {
                    _ = try tx.record(Actor.system("background jobs").draft(.backgroundJobsTaken, target: holder, details: [
                        "previous": previous?.holder ?? "none", "lease_seconds": "\(period)"]))
                }
                return true
            }
        } catch {
            return false
        }
    }

    /// Lets the lease go at once (a stopping server), so another instance need not wait for it to expire.
    public func release() {
        _ = try? archive.store.write { try $0.leases.release(name: Self.name, holder: holder) }
    }

    public static func defaultHolder() -> String {
        let host = ProcessInfo.processInfo.hostName
        let suffix = String(UInt32.random(in: 0x1000_0000...UInt32.max), radix: 16)
        return "\(host)/\(getpid())/\(suffix)"
    }
}
