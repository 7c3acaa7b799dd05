import CustosCore
import Hummingbird

/// Who may use a route. Every route declares one; there is no default, so nothing is open by accident.
public enum Access: Sendable, Equatable, CustomStringConvertible {
    /// Anyone, signed in or not (sign-in page, health check).
    case anyone
    /// A sign-in that passed the password and now owes a TOTP code.
    case pendingTOTP
    /// Any fully signed-in person, even one who still has to change the password or enrol TOTP
    /// (the account pages and sign-out).
    case accountSetup
    /// A fully signed-in person with setup complete, acting in any role.
    case signedIn
    /// A fully signed-in person with setup complete, acting in one of these roles.
    case roles(Set<Role>)
    /// A capture client presenting a live capture token as `Authorization: Bearer`.
    case captureToken
    /// A custodian device whose signature over this very request verified (`DeviceSignatureMiddleware`).
    case custodianDevice

    public var description: String {
        switch self {
        case .anyone: "anyone"
        case .pendingTOTP: "pending-totp"
        case .accountSetup: "account-setup"
        case .signedIn: "signed-in"
        case .roles(let r): r.sorted().map(\.rawValue).joined(separator: "+")
        case .captureToken: "capture-token"
        case .custodianDevice: "custodian-device"
        }
    }
}

/// Thrown to send the browser elsewhere with 303 See Other.
public struct Redirect: Error {
    public var location: String
    public init(_ location: String) { self.location = location }
}

/// Decides whether the request may proceed; throws a redirect or a 403 otherwise.
enum AccessCheck {
    static func enforce(_ access: Access, context: AppContext) throws {
        if case .anyone = access { return }
        if case .captureToken = access {
            guard context.captureToken != nil else {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"],
                                message: "A live capture token is required (Authorization: Bearer cst_…).")
            }
            return
        }
        if case .custodianDevice = access {
            guard context.device != nil else {
                throw HTTPError(.unauthorized, message: "A request signed by an enrolled custodian device is required "
                                + "(Custos-Device, Custos-Time, Custos-Nonce and Custos-Signature headers).")
            }
            return
        }
        guard let auth = context.auth else { throw Redirect(Paths.login) }
        switch access {
        case .anyone, .captureToken, .custodianDevice:
            return
        case .pendingTOTP:
            guard auth.session.stage == .totp else { throw Redirect(Paths.home) }
        case .accountSetup:
            guard auth.session.stage == .active else { throw Redirect(Paths.loginTOTP) }
        case .signedIn, .roles:
            guard auth.session.stage == .active else { throw Redirect(Paths.loginTOTP) }
            if auth.user.mustChangePassword { throw Redirect(Paths.accountPassword) }
            if auth.user.roles.contains(where: \.requiresTOTP), !auth.user.totpEnrolled {
                throw Redirect(Paths.accountTOTP)
            }
            if case .roles(let allowed) = access {
                guard let role = auth.session.activeRole, allowed.contains(role) else {
                    throw HTTPError(.forbidden, message: "Your current role may not open this page.")
                }
            }
        }
    }
}
