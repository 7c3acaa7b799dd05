import Hummingbird

/// The cookies Custos sets. Over TLS the session cookie carries the `__Host-` prefix; on plain
/// http://127.0.0.1 (local use) browsers refuse that prefix, so the plain name is used.
public struct CookieJar: Sendable {
    public let secure: Bool

    public init(secure: Bool) { self.secure = secure }

    /// Name of the session cookie.
    public var sessionName: String { secure ? "__Host-custos_session" : "custos_session" }
    /// Name of the cookie that carries the pre-sign-in CSRF token (double-submit for the login form).
    public var loginCSRFName: String { secure ? "__Host-custos_csrf" : "custos_csrf" }

    /// The `Set-Cookie` value for a session token (session cookie: no Max-Age, ends with the browser).
    public func session(_ token: String) -> String { make(sessionName, token) }

    /// Clears the session cookie.
    public func clearSession() -> String { make(sessionName, "", maxAge: 0) }

    /// The `Set-Cookie` value for the pre-sign-in CSRF token.
    public func loginCSRF(_ token: String) -> String { make(loginCSRFName, token, maxAge: 3600) }

    private func make(_ name: String, _ value: String, maxAge: Int? = nil) -> String {
        var parts = ["\(name)=\(value)", "Path=/", "HttpOnly", "SameSite=Strict"]
        if secure { parts.append("Secure") }
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        return parts.joined(separator: "; ")
    }

    /// Reads a cookie from the request.
    public static func value(_ name: String, in request: Request) -> String? {
        request.cookies[name]?.value
    }
}
