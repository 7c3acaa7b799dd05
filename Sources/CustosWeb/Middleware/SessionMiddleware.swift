import CustosCore
import CustosCrypto
import Hummingbird

/// Loads the session named by the cookie (if alive) into the context and derives the CSRF token.
struct SessionMiddleware: RouterMiddleware {
    let signIn: SignInService
    let cookies: CookieJar

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        if let token = CookieJar.value(cookies.sessionName, in: request), token.utf8.count == 43,
           let (session, user) = try signIn.resolve(token: token) {
            context.auth = Authenticated(token: token, session: session, user: user)
            context.csrfToken = CSRF.token(forSession: token)
            return try await next(request, context)
        }
        // Signed out: a double-submit token in its own cookie protects the sign-in form.
        if let existing = CookieJar.value(cookies.loginCSRFName, in: request), existing.utf8.count == 43 {
            context.csrfToken = existing
            return try await next(request, context)
        }
        context.csrfToken = SecretToken.generate()
        var response = try await next(request, context)
        if context.auth == nil {
            response.headers.append(.init(name: .setCookie, value: cookies.loginCSRF(context.csrfToken)))
        }
        return response
    }
}

/// CSRF tokens: derived from the session token, so nothing extra is stored and a token is
/// useless without the session it belongs to.
enum CSRF {
    static func token(forSession token: String) -> String {
        Hex.encode(BLAKE2b.hash(Array("custos/csrf/v1:\(token)".utf8)))
    }
}
