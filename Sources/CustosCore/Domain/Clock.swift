import Synchronization

/// The source of "now" (unix seconds). Injected everywhere so tests can move time.
public protocol Clock: Sendable {
    /// Current time in unix seconds.
    func now() -> Int64
}

/// Wall-clock time.
public struct SystemClock: Clock {
    public init() {}
    public func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }
}

/// A clock tests set and advance by hand.
public final class ManualClock: Clock {
    private let current: Mutex<Int64>

    public init(_ start: Int64 = 1_767_225_600) { current = Mutex(start) }  // 2026-01-01T00:00:00Z

    public func now() -> Int64 { current.withLock { $0 } }

    /// Moves time forward by `seconds`.
    public func advance(_ seconds: Int64) { current.withLock { $0 += seconds } }

    /// Sets the time.
    public func set(_ value: Int64) { current.withLock { $0 = value } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
