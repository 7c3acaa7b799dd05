/// Errors the domain raises. The web layer maps each case to a status and a page; messages are
/// written for the person in front of the screen and never contain secrets or content.
public enum DomainError: Error, Equatable, Sendable {
    case invalidInput(String)
    case notFound(String)
    case forbidden(String)
    case conflict(String)
    case roleConflict(String)
    /// Too many attempts, or too much work waiting: try again after `retryAfter` seconds.
    case throttled(String, retryAfter: Int64)
    case authenticationFailed(String)
    /// Something that worked once and no longer does (a used or expired one-time code).
    case gone(String)
    /// The audit record could not be written, so the action did not happen (P7).
    case auditUnavailable
}

extension DomainError {
    /// The message to show a person.
    public var message: String {
        switch self {
        case .invalidInput(let m), .notFound(let m), .forbidden(let m), .conflict(let m),
             .roleConflict(let m), .throttled(let m, _), .authenticationFailed(let m), .gone(let m):
            return m
        case .auditUnavailable:
            return "The action was not carried out because it could not be recorded in the audit log."
        }
    }

    /// Seconds to wait before trying again, for a refusal that names them.
    public var retryAfter: Int64? {
        if case .throttled(_, let seconds) = self { return seconds }
        return nil
    }
}

/// The CLI prints errors by their description: a person reads the message, not the case name.
extension DomainError: CustomStringConvertible {
    public var description: String { message }
}
