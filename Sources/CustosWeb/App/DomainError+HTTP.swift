import CustosCore
import HTTPTypes

extension DomainError {
    /// The one mapping from domain errors to HTTP statuses: error pages, forms that show the error beside what was
    /// typed, and the JSON API all answer with this.
    public var httpStatus: HTTPResponse.Status {
        switch self {
        case .invalidInput: .badRequest
        case .authenticationFailed: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict, .roleConflict: .conflict
        case .gone: .gone
        case .throttled: .tooManyRequests
        case .auditUnavailable: .serviceUnavailable
        }
    }
}
