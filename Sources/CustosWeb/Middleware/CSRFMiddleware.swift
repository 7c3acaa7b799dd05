import CustosCrypto
import Hummingbird
import NIOCore

/// Refuses state-changing requests that did not come from a Custos form: the Origin (when the
/// browser sends one) must be this site, and the `csrf` field must match the session's token.
/// The APIs under /api/ are exempt: capture clients present bearer tokens and custodian devices sign
/// each request; neither is authenticated by a cookie, so a forged cross-site request carries nothing.
struct CSRFMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, !request.uri.path.hasPrefix("/api/") else {
            return try await next(request, context)
        }
        // Browsers mark cross-site requests; refuse them before reading anything.
        if let site = request.headers[.secFetchSite], site != "same-origin", site != "none" {
            throw HTTPError(.forbidden, message: Self.message)
        }
        // With Referrer-Policy: no-referrer, Chromium sends `Origin: null` on same-origin form
        // posts, so "null" counts as absent and the token decides; any other origin must be ours.
        if let origin = request.headers[.origin], origin != "null" {
            let host = request.head.authority ?? ""
            guard origin == "http://\(host)" || origin == "https://\(host)" else {
                throw HTTPError(.forbidden, message: Self.message)
            }
        }
        // The form is read once here and handed to the handler through the request body.
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: Form.maxBytes) } catch {
            throw HTTPError(.contentTooLarge, message: "The form is too large.")
        }
        let form = try Form(parsing: String(buffer: buffer))
        guard let sent = form["csrf"], !context.csrfToken.isEmpty,
              Sodium.constantTimeEqual(Array(sent.utf8), Array(context.csrfToken.utf8)) else {
            throw HTTPError(.forbidden, message: Self.message)
        }
        return try await next(request, context)
    }

    static let message = "This form has expired or did not come from Custos, so nothing was changed. Go back, reload the page and try again."
}
