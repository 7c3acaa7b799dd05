import CustosCore
import CustosViews
import Hummingbird

/// A person's own account: password, TOTP enrolment, active role.
struct AccountController {
    let accounts: AccountService
    let renderer: Renderer

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.accountPassword, .accountSetup) { _, context in
            passwordPage(context, error: nil, status: .ok)
        }
        routes.post(Paths.accountPassword, .accountSetup, changePassword)
        routes.get(Paths.accountTOTP, .accountSetup) { _, context, auth in
            try Self.passwordFirst(auth)
            if auth.user.totpEnrolled {
                return renderer.page("account/totp", TOTPEnrolView(chrome: ChromeBuilder.make("Two-factor sign-in", context: context, current: Paths.accountPassword),
                                                                   enrolled: true, required: false, secret: "", uri: "", enrolment: ""))
            }
            let pending = try accounts.beginTOTPEnrolment(user: auth.user, session: auth.session)
            return totpPage(context, pending: pending, error: nil, status: .ok)
        }
        routes.post(Paths.accountTOTP, .accountSetup, enrolTOTP)
        routes.post(Paths.accountRole, .accountSetup) { request, context, auth in
            let form = try await Form.read(request, context: context)
            guard let role = Role(rawValue: form["role"] ?? "") else { throw DomainError.invalidInput("Choose a role.") }
            try accounts.switchRole(user: auth.user, session: auth.session, to: role, actor: context.actor)
            return Response(status: .seeOther, headers: [.location: Paths.home])
        }
    }

    @Sendable func changePassword(_ request: Request, _ context: AppContext, _ auth: Authenticated) async throws -> Response {
        let form = try await Form.read(request, context: context)
        do {
            try await accounts.changePassword(user: auth.user, session: auth.session, current: form["current_password"] ?? "",
                                              new: form["new_password"] ?? "", confirm: form["confirm_password"] ?? "",
                                              actor: context.actor)
        } catch let error as DomainError {
            var response = passwordPage(context, error: error.message, status: error.httpStatus)
            response.headers.addRetryAfter(for: error)
            return response
        }
        var user = auth.user
        user.mustChangePassword = false
        let next = AuthController.nextStep(after: auth.session, user: user)
        return Response(status: .seeOther, headers: [.location: next == Paths.home ? Paths.home + "?done=password" : next])
    }

    /// A one-time password opens only the password change. Whoever learnt it (it was printed, mailed or read out)
    /// must not be able to plant their own second factor and leave: the account would then need their device at
    /// every sign-in, even after an administrator issues a new one-time password (which keeps the enrolment).
    static func passwordFirst(_ auth: Authenticated) throws {
        if auth.user.mustChangePassword { throw Redirect(Paths.accountPassword) }
    }

    @Sendable func enrolTOTP(_ request: Request, _ context: AppContext, _ auth: Authenticated) async throws -> Response {
        try Self.passwordFirst(auth)
        let form = try await Form.read(request, context: context)
        let sealed = form["enrolment"] ?? ""
        do {
            try accounts.confirmTOTPEnrolment(user: auth.user, session: auth.session, sealed: sealed, code: form["code"] ?? "",
                                              actor: context.actor)
        } catch let error as DomainError {
            guard let pending = try? accounts.reopenTOTPEnrolment(user: auth.user, session: auth.session, sealed: sealed) else {
                let fresh = try accounts.beginTOTPEnrolment(user: auth.user, session: auth.session)
                return totpPage(context, pending: fresh, error: error.message, status: error.httpStatus)
            }
            return totpPage(context, pending: pending, error: error.message, status: error.httpStatus)
        }
        return Response(status: .seeOther, headers: [.location: Paths.home + "?done=totp"])
    }

    private func passwordPage(_ context: AppContext, error: String?, status: HTTPResponse.Status) -> Response {
        let forced = context.auth?.user.mustChangePassword ?? false
        return renderer.page("account/password", PasswordView(
            chrome: ChromeBuilder.make("Change password", context: context, current: Paths.accountPassword, error: error),
            forced: forced, minimumLength: context.auth.map { PasswordPolicy.minimumLength(for: $0.user) } ?? PasswordPolicy.minimumAlone,
            totpEnrolled: context.auth?.user.totpEnrolled ?? false), status: status)
    }

    private func totpPage(_ context: AppContext, pending: AccountService.PendingEnrolment, error: String?, status: HTTPResponse.Status) -> Response {
        let required = context.auth?.user.roles.contains(where: \.requiresTOTP) ?? false
        return renderer.page("account/totp", TOTPEnrolView(
            chrome: ChromeBuilder.make("Two-factor sign-in", context: context, current: Paths.accountPassword, error: error),
            enrolled: false, required: required, secret: Self.grouped(pending.secretBase32), uri: pending.provisioningURI,
            enrolment: pending.sealed), status: status)
    }

    /// Groups a base32 key in fours so it can be typed by hand.
    static func grouped(_ s: String) -> String {
        stride(from: 0, to: s.count, by: 4).map { i in
            let start = s.index(s.startIndex, offsetBy: i)
            return String(s[start..<s.index(start, offsetBy: min(4, s.count - i))])
        }.joined(separator: " ")
    }
}

struct PasswordView: Sendable {
    var chrome: Chrome
    var forced: Bool
    var minimumLength: Int
    var totpEnrolled: Bool
}

struct TOTPEnrolView: Sendable {
    var chrome: Chrome
    var enrolled: Bool
    var required: Bool
    var secret: String
    var uri: String
    var enrolment: String
}
