import CSQLite
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-re-entrant lock that remembers its holder, so that taking it again on the same thread
/// (a repository calling `db.write` inside `db.write`) throws SQLITE_MISUSE instead of
/// trapping in Mutex ("Recursive call to lock Mutex") and taking the whole server down.
public final class ThreadOwnedLock: Sendable {
    public init() {}
    private let mutex = Mutex(())
    /// The holder's thread id, or 0. Only the holder writes its own id, so a thread that reads its
    /// own id knows it holds the lock; a stale id of another thread is harmless.
    private let owner = Atomic<UInt>(0)

    /// True when the calling thread holds this lock.
    public var isHeldByCurrentThread: Bool {
        owner.load(ordering: .relaxed) == Self.currentThread
    }

    /// Runs `body` holding the lock, waiting for it if need be.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        try refuseReentry()
        // The result leaves through a local rather than Mutex's `sending` return, which a generic T
        // computed from a non-Sendable caller closure could not satisfy.
        var result: T?
        try mutex.withLock { _ in try runHolding(body, into: &result) }
        return try Self.unwrap(result)
    }

    /// Runs `body` holding the lock if it is free right now; nil if another caller, or this thread, holds it.
    func withLockIfAvailable<T>(_ body: () throws -> T) throws -> T? {
        guard !isHeldByCurrentThread else { return nil }
        var result: T?
        guard try mutex.withLockIfAvailable({ _ in try runHolding(body, into: &result) }) != nil else { return nil }
        return try Self.unwrap(result)
    }

    private func runHolding<T>(_ body: () throws -> T, into result: inout T?) throws {
        owner.store(Self.currentThread, ordering: .relaxed)
        defer { owner.store(0, ordering: .relaxed) }
        result = try body()
    }

    private func refuseReentry() throws {
        guard !isHeldByCurrentThread else {
            throw SQLiteError.step(code: SQLITE_MISUSE, message: "database lock taken again on the thread that holds it: "
                + "use the connection you were handed instead of calling read/write from inside read/write")
        }
    }

    private static func unwrap<T>(_ result: T?) throws -> T {
        // The body ran and returned normally, so it assigned the result; this cannot fail.
        guard let result else { throw SQLiteError.step(code: SQLITE_INTERNAL, message: "lock body produced no result") }
        return result
    }

    private static var currentThread: UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }
}
