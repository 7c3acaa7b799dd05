import Dispatch
import Synchronization

/// Runs CPU-heavy work (Argon2id) off Swift's cooperative pool on a fixed number of serial
/// queues, so a burst of logins cannot starve request handling: at most `width` hashes run at once.
public final class BlockingWork: Sendable {
    private let queues: [DispatchQueue]
    private let next = Atomic<Int>(0)

    public init(width: Int = 2) {
        queues = (0..<max(1, width)).map { DispatchQueue(label: "custos.blocking.\($0)") }
    }

    /// Runs `work` on one of the queues and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % queues.count
        return try await withCheckedThrowingContinuation { continuation in
            queues[index].async { continuation.resume(with: Result { try work() }) }
        }
    }
}
