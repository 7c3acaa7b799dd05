import AsyncHTTPClient
import CustosCrypto
import Foundation

/// A signed-in auditor's browser session against the server under test, obtained the way a person gets one:
/// the sign-in form (with its CSRF cookie and field), the password, then the TOTP step with a current code.
struct WebSession: Sendable {
    /// The `Cookie` header value that carries the session.
    let cookie: String

    /// Signs `username` in at `base` (redirects are not followed, so each step's cookies can be read).
    static func signIn(base: String, username: String, password: String, totpSecret: [UInt8]) async throws -> WebSession {
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                              configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        do {
            let session = try await steps(http, base: base, username: username, password: password, totpSecret: totpSecret)
            try await http.shutdown()
            return session
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private static func steps(_ http: HTTPClient, base: String, username: String, password: String,
                              totpSecret: [UInt8]) async throws -> WebSession {
        let form = try await get(http, base + "/login", cookie: nil)
        guard let loginCSRF = form.cookies["custos_csrf"], let field = csrfField(form.body) else {
            throw BenchError("the sign-in page set no CSRF cookie or field")
        }
        let login = try await post(http, base + "/login", cookie: "custos_csrf=" + loginCSRF,
                                   fields: [("username", username), ("password", password), ("csrf", field)])
        guard login.status == 303, login.location == "/login/totp", let token = login.cookies["custos_session"] else {
            throw BenchError("signing in as \(username) answered \(login.status) → \(login.location ?? "-"), not the TOTP step")
        }
        let cookie = "custos_session=" + token
        let step = try await get(http, base + "/login/totp", cookie: cookie)
        guard let csrf = csrfField(step.body) else { throw BenchError("the TOTP step page has no CSRF field") }
        let code = TOTP(secret: totpSecret).code(at: Date())
        let done = try await post(http, base + "/login/totp", cookie: cookie, fields: [("code", code), ("csrf", csrf)])
        guard done.status == 303, done.location != "/login/totp" else {
            throw BenchError("the TOTP step answered \(done.status) → \(done.location ?? "-")")
        }
        return WebSession(cookie: cookie)
    }

    /// An answer: status, Location, cookies set, body text.
    struct Answer {
        var status: UInt
        var location: String?
        var cookies: [String: String]
        var body: String
    }

    /// GETs `url` with the session cookie (or `cookie`).
    static func get(_ http: HTTPClient, _ url: String, cookie: String?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        return try await send(http, request)
    }

    private static func post(_ http: HTTPClient, _ url: String, cookie: String, fields: [(String, String)]) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Cookie", value: cookie)
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(Data(fields.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&").utf8))
        return try await send(http, request)
    }

    private static func send(_ http: HTTPClient, _ request: HTTPClientRequest) async throws -> Answer {
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 8 << 20)
        var cookies: [String: String] = [:]
        for field in response.headers["Set-Cookie"] {
            let pair = field.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            if pair.count == 2 { cookies[String(pair[0])] = String(pair[1]) }
        }
        return Answer(status: response.status.code, location: response.headers.first(name: "Location"), cookies: cookies,
                      body: String(buffer: body))
    }

    /// The value of the form's hidden `csrf` field.
    static func csrfField(_ html: String) -> String? {
        guard let r = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        let rest = html[r.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// The number in the search page's `id="result-count"` element.
    static func resultCount(_ html: String) -> Int? {
        guard let r = html.range(of: "id=\"result-count\">") else { return nil }
        return Int(html[r.upperBound...].prefix { $0.isNumber })
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
