import Dispatch
import Synchronization

/// Runs CPU-heavy work (Argon2id) off Swift's cooperative pool on a fixed number of serial
/// queues, so a burst of logins cannot starve request handling: at most `width` hashes run at once.
/// Work that anyone can cause (checking a password) goes through `runIfRoom`, which refuses rather than
/// queues once `capacity` such jobs are waiting or running, so its queue stays bounded.
public final class BlockingWork: Sendable {
    private let queues: [DispatchQueue]
    private let next = Atomic<Int>(0)
    private let admitted = Atomic<Int>(0)
    /// The most `runIfRoom` jobs waiting or running at once.
    public let capacity: Int

    /// Thrown by `runIfRoom` when `capacity` jobs are already waiting or running.
    public struct Full: Error, Sendable {}

    /// `width` queues, and room for `capacity` jobs admitted by `runIfRoom`.
    public init(width: Int = 2, capacity: Int = 32) {
        queues = (0..<max(1, width)).map { DispatchQueue(label: "custos.blocking.\($0)") }
        self.capacity = max(1, capacity)
    }

    /// Runs `work` on one of the queues and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % queues.count
        return try await withCheckedThrowingContinuation { continuation in
            queues[index].async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `work` as `run` does, unless `capacity` jobs admitted here are waiting or running: then throws `Full` at once.
    public func runIfRoom<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard admitted.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue < capacity else {
            admitted.wrappingSubtract(1, ordering: .acquiringAndReleasing)
            throw Full()
        }
        defer { admitted.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        return try await run(work)
    }

    /// Whether `runIfRoom` would admit a job now (a hint: another caller may take the room first).
    public var hasRoom: Bool { admitted.load(ordering: .acquiring) < capacity }
}
