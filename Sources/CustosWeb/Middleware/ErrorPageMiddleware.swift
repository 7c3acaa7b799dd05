import CustosCore
import CustosRuntime
import CustosViews
import Hummingbird
import Logging

/// Turns every error into a proper status and a page that explains itself. Domain errors show
/// their own message; anything unexpected shows a generic page with the request id, and its
/// details go to the log only — never to the page (P8).
struct ErrorPageMiddleware: RouterMiddleware {
    let renderer: Renderer
    let tls: Bool
    /// The inner instance lets the router's "no such route" through, so FileMiddleware (further
    /// out) can still serve a static file for that path.
    var passRouteNotFound = false

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let redirect as Redirect {
            return Response(status: .seeOther, headers: [.location: redirect.location])
        } catch let e as HTTPError where passRouteNotFound && e.status == .notFound {
            throw e
        } catch {
            let (status, message) = Self.describe(error, context: context)
            if status.code >= 500 {
                context.logger.error("request failed", metadata: [
                    "request_id": .string(context.id), "error_type": .string(String(reflecting: type(of: error))),
                    "error": .string(Self.loggable(error)),
                ])
            }
            // Only the headers an error is meant to carry (Allow on a 405, Retry-After on a 429).
            var extra = (error as? HTTPError)?.headers.filter { $0.name == .allow || $0.name == .retryAfter } ?? []
            if let seconds = (error as? DomainError)?.retryAfter { extra.append(.init(name: .retryAfter, value: "\(seconds)")) }
            if request.uri.path.hasPrefix("/api/") {
                let body = "{\"error\":\(CanonicalJSON.string(message)),\"request_id\":\(CanonicalJSON.string(context.id))}"
                var response = Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                                        body: .init(byteBuffer: ByteBuffer(string: body)))
                response.headers.append(contentsOf: extra)
                return response
            }
            var response = renderer.page("error", ErrorView(
                chrome: ChromeBuilder.make(status.reasonPhrase, context: context),
                status: Int(status.code), reason: status.reasonPhrase, message: message, requestID: context.id,
                signInLink: status == .unauthorized || context.auth == nil), status: status)
            response.headers.append(contentsOf: extra)
            SecurityHeadersMiddleware.apply(to: &response.headers, tls: tls)
            return response
        }
    }

    /// The status and the message a person may see for an error.
    static func describe(_ error: any Error, context: AppContext) -> (HTTPResponse.Status, String) {
        switch error {
        case let e as DomainError:
            return (e.httpStatus, e.message)
        case let e as HTTPError:
            return (e.status, e.body ?? defaultMessage(e.status))
        case let e as any HTTPResponseError:
            return (e.status, defaultMessage(e.status))
        default:
            return (.internalServerError, "Something went wrong on our side and nothing was changed. If it happens again, give your administrator the request id below.")
        }
    }

    static func defaultMessage(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "There is no page at this address."
        case 405: "This address does not accept that kind of request."
        case 413: "What you sent is too large."
        case 400..<500: "The request could not be processed."
        default: "Something went wrong on our side and nothing was changed."
        }
    }

    /// Error text for the log: our own error types carry no secrets or content; others are named by type only.
    static func loggable(_ error: any Error) -> String {
        if error is DomainError || error is StartupError { return String(describing: error) }
        if String(reflecting: type(of: error)).hasPrefix("CustosStore.SQLiteError") { return String(describing: error) }
        return "(details withheld)"
    }
}

/// The error page's view model.
struct ErrorView: Sendable {
    var chrome: Chrome
    var status: Int
    var reason: String
    var message: String
    var requestID: String
    var signInLink: Bool
}
