/// Grants and requests open right now, for the operator's gauges.
public struct DecryptionCounts: Sendable, Equatable {
    /// Granted requests whose time is not up.
    public var liveGrants: Int
    /// Requests waiting for approvals whose approval window is still open.
    public var pendingRequests: Int

    public init(liveGrants: Int, pendingRequests: Int) {
        self.liveGrants = liveGrants
        self.pendingRequests = pendingRequests
    }
}

extension DecryptionService {
    /// What is open now: a grant past its end or a request past its window counts no more, even before the
    /// timer has closed it.
    public func openCounts() throws -> DecryptionCounts {
        let now = archive.clock.now()
        return try archive.read { try $0.decryption.openCounts(now: now) }
    }
}
