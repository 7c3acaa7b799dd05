import CustosCore
import CustosViews

/// Builds the layout's view model from the request context: navigation follows the active role.
enum ChromeBuilder {
    static func make(_ title: String, context: AppContext, current: String = "", notice: String? = nil, error: String? = nil) -> Chrome {
        guard let auth = context.auth, auth.session.stage == .active else {
            return Chrome(title: title, csrf: context.csrfToken, signedIn: false, username: "", displayName: "",
                          activeRole: "", otherRoles: [], canSwitchRole: false, nav: [], notice: notice, error: error)
        }
        let role = auth.session.activeRole
        var nav = [Chrome.NavItem(href: Paths.home, label: "Overview", current: current == Paths.home)]
        if role == .admin {
            nav.append(.init(href: Paths.adminUsers, label: "Users", current: current == Paths.adminUsers))
            nav.append(.init(href: Paths.adminKeys, label: "Archive keys", current: current == Paths.adminKeys))
            nav.append(.init(href: Paths.adminTokens, label: "Capture tokens", current: current == Paths.adminTokens))
            nav.append(.init(href: Paths.adminRetention, label: "Retention", current: current == Paths.adminRetention))
        }
        if role == .auditor || role == .legal {
            nav.append(.init(href: Paths.search, label: "Search", current: current == Paths.search))
        }
        if role == .legal {
            nav.append(.init(href: Paths.matters, label: "Matters and holds", current: current == Paths.matters))
        }
        if role == .auditor || role == .custodian || role == .security {
            nav.append(.init(href: Paths.requests, label: "Decryption requests", current: current == Paths.requests))
        }
        if role == .security {
            nav.append(.init(href: Paths.audit, label: "Audit log", current: current == Paths.audit))
            nav.append(.init(href: Paths.reportAccess, label: "Access report", current: current == Paths.reportAccess))
        }
        if role == .custodian {
            nav.append(.init(href: Paths.custodianDevice, label: "Custodian device", current: current == Paths.custodianDevice))
        }
        nav.append(.init(href: Paths.accountPassword, label: "Account", current: current == Paths.accountPassword))
        let others = auth.user.sortedRoles.filter { $0 != role }.map { Chrome.RoleOption(value: $0.rawValue, title: $0.title) }
        return Chrome(title: title, csrf: context.csrfToken, signedIn: true, username: auth.user.username,
                      displayName: auth.user.displayName, activeRole: role?.title ?? "", otherRoles: others, canSwitchRole: !others.isEmpty,
                      nav: nav, notice: notice, error: error)
    }
}
