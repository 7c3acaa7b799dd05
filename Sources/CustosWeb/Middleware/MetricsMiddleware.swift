import Hummingbird
import Metrics
import Synchronization

/// Counts every request and times it, by route template, method and status:
/// `custos_http_requests_total{route,method,status}` and `custos_http_request_duration_seconds{route,method}`.
///
/// No label ever holds what the client wrote: the route is the template it matched (`/requests/{id}`) and only
/// if it is one the application declared, else "unmatched" (or "static" for a file); a method outside the
/// standard ones is "other"; the status is the server's own. So ids and query strings never reach a label, and
/// the number of series stays bounded whatever clients send.
///
/// The time runs until the response is ready; a streamed body's transfer after that is not included (timing
/// it would take every response off the server's single-write path for in-memory bodies).
struct MetricsMiddleware: RouterMiddleware {
    static let requests = "custos_http_requests_total"
    static let duration = "custos_http_request_duration_seconds"
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// The route templates the application declared; filled in once its routes are registered.
    let routes: RouteTemplates

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status, since: start)
            return response
        } catch {
            record(request, context, status: (error as? any HTTPResponseError)?.status ?? .internalServerError, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: AppContext, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let route = routes.label(for: context.endpointPath)
        let method = Self.methods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        Counter(label: Self.requests, dimensions: [("route", route), ("method", method), ("status", String(status.code))]).increment()
        Metrics.Timer(label: Self.duration, dimensions: [("route", route), ("method", method)]).record(duration: elapsed)
    }
}

/// The set of declared route templates, written once when the router is built and read by every request.
final class RouteTemplates: Sendable {
    private let templates = Mutex<Set<String>>([])

    /// Adds the application's declared routes.
    func register(_ table: [RouteDeclaration]) {
        templates.withLock { $0.formUnion(table.map(\.path)) }
    }

    /// The label for the endpoint Hummingbird matched: a declared template, "static" for a file, else "unmatched".
    func label(for endpoint: String?) -> String {
        guard let endpoint else { return "unmatched" }
        if endpoint == "FileMiddleware" { return "static" }
        return templates.withLock { $0.contains(endpoint) } ? endpoint : "unmatched"
    }
}
