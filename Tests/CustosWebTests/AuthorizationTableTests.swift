import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Walks every declared route for every role and for anonymous users, and compares the
/// outcome with a table written here independently of the application's own declarations.
@Suite struct AuthorizationTableTests {
    /// Who may use each route: "anyone", "pending-totp", "account-setup", "signed-in", or role names.
    static let expected: [String: String] = [
        "GET /login": "anyone",
        "POST /login": "anyone",
        "GET /login/totp": "pending-totp",
        "POST /login/totp": "pending-totp",
        "POST /logout": "anyone",
        "GET /account/password": "account-setup",
        "POST /account/password": "account-setup",
        "GET /account/totp": "account-setup",
        "POST /account/totp": "account-setup",
        "POST /account/role": "account-setup",
        "GET /": "signed-in",
        "GET /healthz": "anyone",
        // Open at the routing level; answered only to peers in --metrics-from (MetricsTests).
        "GET /metrics": "anyone",
        "GET /admin/users": "admin",
        "GET /admin/users/new": "admin",
        "POST /admin/users": "admin",
        "GET /admin/users/{id}": "admin",
        "POST /admin/users/{id}/roles": "admin",
        "POST /admin/users/{id}/disable": "admin",
        "POST /admin/users/{id}/enable": "admin",
        "POST /admin/users/{id}/one-time-password": "admin",
        "GET /admin/keys": "admin",
        "POST /admin/keys": "admin",
        "GET /admin/capture-tokens": "admin",
        "POST /admin/capture-tokens": "admin",
        "POST /admin/capture-tokens/{id}/revoke": "admin",
        "POST /admin/keys/ceremonies/{id}/cancel": "admin",
        "GET /custodian/device": "custodian",
        "POST /custodian/device/code": "custodian",
        "POST /api/v1/custodian/enrol": "anyone",
        "GET /api/v1/custodian/whoami": "custodian-device",
        "GET /api/v1/archive-key": "anyone",
        "GET /api/v1/archive-keys": "anyone",
        "GET /api/v1/custodian/ceremony": "custodian-device",
        "POST /api/v1/custodian/ceremony/{id}/commit": "custodian-device",
        "POST /api/v1/custodian/ceremony/{id}/dealing": "custodian-device",
        "POST /api/v1/custodian/ceremony/{id}/receipt": "custodian-device",
        "POST /api/v1/custodian/ceremony/{id}/signature": "custodian-device",
        "GET /api/v1/custodian/requests": "custodian-device",
        "GET /api/v1/custodian/requests/{id}": "custodian-device",
        "POST /api/v1/custodian/requests/{id}/approve": "custodian-device",
        "POST /api/v1/custodian/requests/{id}/reject": "custodian-device",
        "POST /api/v1/messages": "capture-token",
        "GET /search": "auditor+legal",
        "POST /search/export": "auditor+legal",
        "POST /search/saved": "auditor+legal",
        "POST /search/saved/{id}/delete": "auditor+legal",
        "GET /messages/{id}": "auditor+legal",
        "GET /conversations/{id}": "auditor+legal",
        "GET /requests": "auditor+custodian+security",
        "GET /requests/new": "auditor",
        "POST /requests": "auditor",
        "GET /requests/{id}": "auditor+custodian+security",
        "POST /requests/{id}/reject": "custodian",
        "POST /requests/{id}/revoke": "custodian+security",
        "GET /requests/{id}/search": "auditor",
        "GET /messages/{id}/content": "auditor",
        "GET /messages/{id}/content/raw": "auditor",
        "POST /messages/{id}/coding": "auditor",
        "POST /messages/{id}/notes": "auditor",
        "POST /notes/{id}/resolve": "auditor",
        "GET /matters/{id}/notes": "legal",
        "GET /coding-layout": "legal",
        "POST /coding-layout": "legal",
        "GET /matters/{id}/coding-layout": "legal",
        "POST /matters/{id}/coding-layout": "legal",
        "GET /matters/{id}/coding.csv": "legal",
        "GET /matters/{id}/privilege-log.csv": "legal",
        "GET /matters": "legal",
        "POST /matters": "legal",
        "GET /matters/{id}": "legal",
        "POST /matters/{id}/edit": "legal",
        "POST /matters/{id}/members": "legal",
        "GET /matters/{id}/holds/new": "legal",
        "POST /matters/{id}/holds": "legal",
        "GET /holds/{id}": "legal",
        "POST /holds/{id}/release": "legal",
        "POST /holds/{id}/notices": "legal",
        "POST /holds/{id}/notices/acknowledge": "legal",
        "GET /admin/retention": "admin",
        "POST /admin/retention/classes": "admin",
        "POST /admin/retention/period": "admin",
        "POST /admin/retention/rules": "admin",
        "POST /admin/retention/rules/{id}/delete": "admin",
        "POST /admin/retention/run": "admin",
        "GET /audit": "security",
        "GET /audit/{id}": "security",
        "POST /audit/verify": "security",
        "POST /audit/export": "security",
        "GET /reports/access": "security",
        "GET /reports/access.csv": "security",
    ]

    @Test func declaredTableMatchesTheExpectedTable() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        var declared: [String: String] = [:]
        for r in h.table { declared["\(r.method) \(r.path)"] = r.access }
        #expect(declared == Self.expected)
        #expect(h.table.count == Self.expected.count, "a route is declared twice")
    }

    @Test func everyRoleIsAdmittedOrDeniedExactlyAsExpected() async throws {
        let h = try await Harness.make()
        var made: [Role: Person] = [:]
        for role in Role.allCases { made[role] = try await h.person("p-\(role.rawValue)", roles: [role]) }
        let people = made
        let routes = h.table
        try await h.run { client in
            // Anonymous: only "anyone" routes answer; everything else sends the browser to sign in.
            for route in routes where route.access != "anyone" {
                let b = Browser(client)
                try await b.get("/login")
                let r = try await Self.call(b, route)
                if Self.apiAccess.contains(route.access) {
                    #expect(r.status == .unauthorized, "anonymous \(route)")
                } else {
                    #expect(r.status == .seeOther && r.headers[.location] == "/login", "anonymous \(route)")
                }
            }
            for role in Role.allCases {
                let person = people[role]!
                let b = Browser(client)
                let totp = person.totpSecret.map { h.code($0) }
                let signedIn = try await b.signIn(person.user.username, person.password, totp: totp)
                #expect(signedIn.headers[.location] == "/", "sign-in as \(role)")
                try await b.get("/")
                for route in routes where !["anyone", "pending-totp"].contains(route.access) && !route.path.hasPrefix("/logout") {
                    // Role switching and account changes are exercised elsewhere; here only admission matters.
                    if route.method == "POST" && route.path.hasPrefix("/account/") { continue }
                    let r = try await Self.call(b, route)
                    if Self.apiAccess.contains(route.access) {
                        // A browser session is never a capture token nor a custodian device's signature.
                        #expect(r.status == .unauthorized, "\(role) must not reach \(route) with a session")
                        continue
                    }
                    let admitted = ["signed-in", "account-setup"].contains(route.access) || route.access.split(separator: "+").contains(Substring(role.rawValue))
                    if admitted {
                        #expect(r.status != .forbidden && r.headers[.location] != "/login", "\(role) should reach \(route), got \(r.status)")
                    } else {
                        #expect(r.status == .forbidden, "\(role) must be refused \(route), got \(r.status)")
                    }
                }
                // A fully signed-in person has no TOTP step pending.
                let pending = try await b.get("/login/totp")
                #expect(pending.status == .seeOther && pending.headers[.location] == "/", "\(role) /login/totp")
            }
        }
    }

    /// Rules of the APIs, whose clients prove themselves on every request instead of by a session.
    static let apiAccess: Set<String> = ["capture-token", "custodian-device"]

    /// Calls a route with a placeholder id (authorization runs before the handler looks it up).
    static func call(_ b: Browser, _ route: RouteDeclaration) async throws -> TestResponse {
        let path = route.path.replacingOccurrences(of: "{id}", with: "999999")
        return route.method == "GET" ? try await b.get(path) : try await b.post(path, [])
    }
}
