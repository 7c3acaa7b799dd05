/// Errors the domain raises. The web layer maps each case to a status and a page; messages are
/// written for the person in front of the screen and never contain secrets or content.
public enum DomainError: Error, Equatable, Sendable {
    case invalidInput(String)
    case notFound(String)
    case forbidden(String)
    case conflict(String)
    case roleConflict(String)
    case throttled(String)
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
             .roleConflict(let m), .throttled(let m), .authenticationFailed(let m), .gone(let m):
            return m
        case .auditUnavailable:
            return "The action was not carried out because it could not be recorded in the audit log."
        }
    }
}
