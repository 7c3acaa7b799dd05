import CustosCore
import CustosViews
import Hummingbird

/// The administrator's account pages: list, create, roles, disable and enable.
struct AdminController {
    let users: UserAdministration
    let renderer: Renderer

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.adminUsers, .roles([.admin])) { _, context in
            let rows = try users.all().map(UserRow.init)
            return renderer.page("admin/users", UsersView(chrome: ChromeBuilder.make("Users", context: context, current: Paths.adminUsers),
                                                          users: rows, newUserPath: Paths.adminUsersNew))
        }
        routes.get(Paths.adminUsersNew, .roles([.admin])) { _, context in
            newUserPage(context, username: "", displayName: "", roles: [], error: nil, status: .ok)
        }
        routes.post(Paths.adminUsers, .roles([.admin]), create)
        routes.get(Paths.adminUser, .roles([.admin])) { request, context in
            let user = try findUser(context)
            let done = request.uri.queryParameters["done"].map(String.init)
            return userPage(context, user: user, notice: done.flatMap { Self.notices[$0] }, error: nil, status: .ok)
        }
        routes.post(Paths.adminUserRoles, .roles([.admin])) { request, context in
            let user = try findUser(context)
            let form = try await Form.read(request, context: context)
            let roles = Set(form.all("role").compactMap(Role.init(rawValue:)))
            do {
                try users.setRoles(userID: user.id, roles: roles, actor: context.actor)
            } catch let error as DomainError where error != .auditUnavailable {
                return userPage(context, user: user, notice: nil, error: error.message, status: error.httpStatus)
            }
            return Response(status: .seeOther, headers: [.location: Paths.with(Paths.adminUser, id: user.id) + "?done=roles"])
        }
        for (path, disabled) in [(Paths.adminUserDisable, true), (Paths.adminUserEnable, false)] {
            routes.post(path, .roles([.admin])) { _, context in
                let user = try findUser(context)
                try users.setDisabled(userID: user.id, disabled: disabled, actor: context.actor)
                return Response(status: .seeOther, headers: [.location: Paths.with(Paths.adminUser, id: user.id) + (disabled ? "?done=disabled" : "?done=enabled")])
            }
        }
        routes.post(Paths.adminUserOneTimePassword, .roles([.admin]), issueOneTimePassword)
    }

    static let notices = [
        "roles": "Roles saved. The person's open sessions were ended; they sign in again to use the new roles.",
        "disabled": "Account disabled. Its sessions ended at once.",
        "enabled": "Account enabled.",
    ]

    @Sendable func create(_ request: Request, _ context: AppContext) async throws -> Response {
        let form = try await Form.read(request, context: context)
        let username = form["username"] ?? ""
        let display = form["display_name"] ?? ""
        let roleValues = form.all("role")
        let roles = Set(roleValues.compactMap(Role.init(rawValue:)))
        guard roles.count == roleValues.count else { throw DomainError.invalidInput("Unknown role.") }
        do {
            let created = try await users.create(username: username, displayName: display, roles: roles, actor: context.actor)
            return renderer.page("admin/user-created", UserCreatedView(
                chrome: ChromeBuilder.make("Account created", context: context, current: Paths.adminUsers),
                username: created.user.username, password: created.oneTimePassword, reissued: false,
                hours: Int(users.oneTimePasswordLifetime / 3_600), userPath: Paths.with(Paths.adminUser, id: created.user.id)),
                status: .created)
        } catch let error as DomainError where error != .auditUnavailable {
            return newUserPage(context, username: username, displayName: display, roles: roles, error: error.message, status: error.httpStatus)
        }
    }

    /// A new one-time password for someone else's account (theirs expired, or was lost).
    @Sendable func issueOneTimePassword(_ request: Request, _ context: AppContext) async throws -> Response {
        let user = try findUser(context)
        let issued = try await users.issueOneTimePassword(userID: user.id, actor: context.actor)
        return renderer.page("admin/user-created", UserCreatedView(
            chrome: ChromeBuilder.make("One-time password issued", context: context, current: Paths.adminUsers),
            username: issued.user.username, password: issued.oneTimePassword, reissued: true,
            hours: Int(users.oneTimePasswordLifetime / 3_600), userPath: Paths.with(Paths.adminUser, id: issued.user.id)))
    }

    private func findUser(_ context: AppContext) throws -> User {
        guard let id = context.parameters.get("id", as: Int64.self), let user = try users.find(id: id) else {
            throw DomainError.notFound("There is no such user.")
        }
        return user
    }

    private func newUserPage(_ context: AppContext, username: String, displayName: String, roles: Set<Role>, error: String?,
                             status: HTTPResponse.Status) -> Response {
        renderer.page("admin/user-new", NewUserView(
            chrome: ChromeBuilder.make("New user", context: context, current: Paths.adminUsers, error: error),
            username: username, displayName: displayName, roles: RoleChoice.all(checked: roles),
            action: Paths.adminUsers), status: status)
    }

    private func userPage(_ context: AppContext, user: User, notice: String?, error: String?, status: HTTPResponse.Status) -> Response {
        renderer.page("admin/user", UserDetailView(
            chrome: ChromeBuilder.make(user.username, context: context, current: Paths.adminUsers, notice: notice, error: error),
            user: UserRow(user), roles: RoleChoice.all(checked: user.roles),
            rolesAction: Paths.with(Paths.adminUserRoles, id: user.id),
            disableAction: Paths.with(Paths.adminUserDisable, id: user.id),
            enableAction: Paths.with(Paths.adminUserEnable, id: user.id),
            oneTimePasswordAction: Paths.with(Paths.adminUserOneTimePassword, id: user.id),
            isSelf: context.auth?.user.id == user.id), status: status)
    }
}

/// A user as the admin pages show it.
struct UserRow: Sendable {
    var id: Int64
    var username: String
    var displayName: String
    var roles: String
    var status: String
    var disabled: Bool
    var totp: String
    var mustChange: Bool
    var lastLogin: String
    var path: String

    init(_ u: User) {
        id = u.id
        username = u.username
        displayName = u.displayName
        roles = u.sortedRoles.map(\.title).joined(separator: ", ")
        disabled = u.disabled
        status = u.disabled ? "Disabled" : (u.mustChangePassword ? "Awaiting first sign-in" : "Active")
        totp = u.totpEnrolled ? "Enrolled" : "Not enrolled"
        mustChange = u.mustChangePassword
        lastLogin = u.lastLoginAt.map(TimeFormat.utc) ?? "Never"
        path = Paths.with(Paths.adminUser, id: u.id)
    }
}

/// A role checkbox.
struct RoleChoice: Sendable {
    var value: String
    var title: String
    var checked: Bool

    static func all(checked: Set<Role>) -> [RoleChoice] {
        Role.allCases.map { RoleChoice(value: $0.rawValue, title: $0.title, checked: checked.contains($0)) }
    }
}

struct UsersView: Sendable { var chrome: Chrome; var users: [UserRow]; var newUserPath: String }
struct NewUserView: Sendable { var chrome: Chrome; var username: String; var displayName: String; var roles: [RoleChoice]; var action: String }
struct UserCreatedView: Sendable {
    var chrome: Chrome; var username: String; var password: String; var reissued: Bool; var hours: Int; var userPath: String
}
struct UserDetailView: Sendable {
    var chrome: Chrome; var user: UserRow; var roles: [RoleChoice]
    var rolesAction: String; var disableAction: String; var enableAction: String; var oneTimePasswordAction: String; var isSelf: Bool
}
