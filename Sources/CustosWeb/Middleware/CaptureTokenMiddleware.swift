import CustosCore
import Hummingbird

/// For the ingest API only: resolves `Authorization: Bearer cst_…` to a live capture token.
/// Sessions and CSRF do not apply there; a token is all a capture client ever holds.
struct CaptureTokenMiddleware: RouterMiddleware {
    let tokens: CaptureTokenService

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/api/"), let header = request.headers[.authorization],
              header.hasPrefix("Bearer ") else {
            return try await next(request, context)
        }
        var context = context
        context.captureToken = try tokens.authenticate(String(header.dropFirst(7)))
        return try await next(request, context)
    }
}
