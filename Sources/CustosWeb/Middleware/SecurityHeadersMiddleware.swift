import Hummingbird

/// Adds the response headers of DESIGN.md to every response, errors included.
struct SecurityHeadersMiddleware: RouterMiddleware {
    let tls: Bool

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        Self.apply(to: &response.headers, tls: tls)
        return response
    }

    static func apply(to headers: inout HTTPFields, tls: Bool) {
        headers[.contentSecurityPolicy] = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.xFrameOptions] = "DENY"
        headers[.crossOriginOpenerPolicy] = "same-origin"
        headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=()"
        if tls { headers[.strictTransportSecurity] = "max-age=63072000; includeSubDomains" }
    }
}
