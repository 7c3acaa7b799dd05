import CustosCore
import CustosViews
import Hummingbird

/// The overview after sign-in: what the active role is for and where to go from here.
struct HomeController {
    let renderer: Renderer
    let decryption: DecryptionService
    let holds: HoldService

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.home, .signedIn) { request, context, auth in
            let done = request.uri.queryParameters["done"].map(String.init)
            let notice = done.flatMap { ["password": "Your password was changed.", "totp": "Two-factor sign-in is set up."][$0] }
            let role = auth.session.activeRole
            var waiting: String?
            var link = Paths.requests
            if role == .custodian {
                let pending = try decryption.list(user: auth.user, role: role).filter { $0.status == .pending }.count
                waiting = pending == 0 ? "No decryption request is waiting for a decision."
                    : pending == 1 ? "1 decryption request is waiting for a decision." : "\(pending) decryption requests are waiting for a decision."
            } else if role == .auditor {
                let live = try decryption.list(user: auth.user, role: role).filter { $0.status == .granted }.count
                waiting = live == 0 ? nil : live == 1 ? "You hold 1 live grant." : "You hold \(live) live grants."
            } else if role == .legal {
                let matters = try holds.matters(actor: context.actor)
                let open = matters.filter { $0.record.status == .open }.count
                let active = matters.reduce(0) { $0 + $1.record.activeHolds }
                waiting = "\(active) active legal hold\(active == 1 ? "" : "s") in \(open) open matter\(open == 1 ? "" : "s")."
                link = Paths.matters
            }
            return renderer.page("home", HomeView(
                chrome: ChromeBuilder.make("Overview", context: context, current: Paths.home, notice: notice),
                roleTitle: role?.title ?? "No role", roleSummary: role.map(Self.summary) ?? "",
                isAdmin: role == .admin, usersPath: Paths.adminUsers,
                lastLogin: auth.user.lastLoginAt.map(TimeFormat.utc) ?? "—",
                totpEnrolled: auth.user.totpEnrolled, totpPath: Paths.accountTOTP,
                requests: waiting, requestsPath: link))
        }
        routes.get(Paths.healthz, .anyone) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
        }
    }

    static func summary(_ role: Role) -> String {
        switch role {
        case .admin: "You manage accounts, roles and settings. You cannot search the archive or read content: that separation is deliberate."
        case .auditor: "You search the metadata index (who, when, where, how big) and file decryption requests that key custodians must approve."
        case .legal: "You open matters and place legal holds, which nothing can dispose of until you release them."
        case .custodian: "You hold a share of the archive key, on your own device: it never reaches this server. You approve decryption requests with `custos custodian approve` on that device, and you can never approve your own."
        case .security: "You review the audit log and verify its integrity: every action, hash-chained and signed."
        }
    }
}

struct HomeView: Sendable {
    var chrome: Chrome
    var roleTitle: String
    var roleSummary: String
    var isAdmin: Bool
    var usersPath: String
    var lastLogin: String
    var totpEnrolled: Bool
    var totpPath: String
    /// Custodians: requests waiting for a decision; auditors: live grants.
    var requests: String?
    var requestsPath: String
}
