import CustosCore
import CustosViews
import Hummingbird

/// Sign-in with password, the TOTP step, and sign-out.
struct AuthController {
    let signIn: SignInService
    let renderer: Renderer
    let cookies: CookieJar

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.login, .anyone) { _, context in
            if let auth = context.auth, auth.session.stage == .active { throw Redirect(Paths.home) }
            return renderer.page("login", LoginView(chrome: ChromeBuilder.make("Sign in", context: context), username: ""))
        }
        routes.post(Paths.login, .anyone, login)
        routes.get(Paths.loginTOTP, .pendingTOTP) { _, context in
            renderer.page("login-totp", TOTPStepView(chrome: ChromeBuilder.make("Enter your code", context: context)))
        }
        routes.post(Paths.loginTOTP, .pendingTOTP, totp)
        routes.post(Paths.logout, .anyone) { _, context in
            if let auth = context.auth { try signIn.signOut(session: auth.session, actor: context.actor) }
            var response = Response(status: .seeOther, headers: [.location: Paths.login + "?signed_out=1"])
            response.headers.append(.init(name: .setCookie, value: cookies.clearSession()))
            return response
        }
    }

    @Sendable func login(_ request: Request, _ context: AppContext) async throws -> Response {
        let form = try await Form.read(request, context: context)
        let username = form["username"] ?? ""
        do {
            guard let password = form["password"], !password.isEmpty, !username.isEmpty else {
                throw DomainError.invalidInput("Enter your username and password.")
            }
            if let old = context.auth { try? signIn.signOut(session: old.session, actor: context.actor) }
            let result = try await signIn.signIn(username: username, password: password, client: context.clientAddress)
            var response = Response(status: .seeOther, headers: [.location: Self.nextStep(after: result.session, user: result.user)])
            response.headers.append(.init(name: .setCookie, value: cookies.session(result.token)))
            return response
        } catch let error as DomainError {
            var response = renderer.page("login", LoginView(chrome: ChromeBuilder.make("Sign in", context: context, error: error.message),
                                                            username: username), status: error.httpStatus)
            response.headers.addRetryAfter(for: error)
            return response
        }
    }

    @Sendable func totp(_ request: Request, _ context: AppContext, _ auth: Authenticated) async throws -> Response {
        let form = try await Form.read(request, context: context)
        do {
            let session = try signIn.verifyTOTP(session: auth.session, user: auth.user, code: form["code"] ?? "",
                                                client: context.clientAddress)
            return Response(status: .seeOther, headers: [.location: Self.nextStep(after: session, user: auth.user)])
        } catch let error as DomainError {
            if case .throttled = error {
                var response = renderer.page("login", LoginView(chrome: ChromeBuilder.make("Sign in", context: context, error: error.message),
                                                                username: auth.user.username), status: .tooManyRequests)
                response.headers.append(.init(name: .setCookie, value: cookies.clearSession()))
                response.headers.addRetryAfter(for: error)
                return response
            }
            return renderer.page("login-totp", TOTPStepView(chrome: ChromeBuilder.make("Enter your code", context: context, error: error.message)),
                                 status: error.httpStatus)
        }
    }

    /// Where a person goes after a sign-in step: the TOTP step, a forced password change, TOTP
    /// enrolment where their roles require it, or the overview.
    static func nextStep(after session: Session, user: User) -> String {
        if session.stage == .totp { return Paths.loginTOTP }
        if user.mustChangePassword { return Paths.accountPassword }
        if user.roles.contains(where: \.requiresTOTP) && !user.totpEnrolled { return Paths.accountTOTP }
        return Paths.home
    }
}

extension HTTPFields {
    /// Adds `Retry-After` when the error names a wait.
    mutating func addRetryAfter(for error: DomainError) {
        if let seconds = error.retryAfter { self[.retryAfter] = "\(seconds)" }
    }
}

struct LoginView: Sendable {
    var chrome: Chrome
    var username: String
}

struct TOTPStepView: Sendable {
    var chrome: Chrome
}
