import CustosCore
import CustosCrypto
import CustosRuntime
import CustosTestSupport
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A fresh data directory, system and router per test, with a manual clock.
struct Harness: Sendable {
    let dir: String
    let system: CustosSystem
    let clock: ManualClock
    let configuration: WebConfiguration
    let table: [RouteDeclaration]
    let admin: UserAdministration.Created

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func make(configuration: WebConfiguration = WebConfiguration(), throttle: ThrottlePolicy = ThrottlePolicy(),
                     work: BlockingWork = BlockingWork()) async throws -> Harness {
        let dir = NSTemporaryDirectory() + "custos-test-" + UUID().uuidString
        let clock = ManualClock()
        let resources = Resources(root: repoRoot)
        let database = try await TestDatabase.make(resources: resources)
        let (initialised, admin) = try await CustosSystem.initialize(dataDirectory: dir, database: database, resources: resources, clock: clock)
        try initialised.store.close()
        let system = try CustosSystem.open(dataDirectory: dir, database: database, resources: resources, clock: clock,
                                           throttlePolicy: throttle, work: work)
        let (_, table) = try await buildRouter(system: system, configuration: configuration)
        return Harness(dir: dir, system: system, clock: clock, configuration: configuration, table: table, admin: admin)
    }

    /// Runs `body` against the application, then removes the data directory: in-process by default, or
    /// `.live` on a loopback port when a test needs a real connection (a peer address).
    @discardableResult
    func run<T: Sendable>(_ setup: TestingSetup = .router, cleanup: Bool = true,
                          _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let (router, _) = try await buildRouter(system: system, configuration: configuration)
        let app = Application(router: router)
        defer { if cleanup { try? FileManager.default.removeItem(atPath: dir) } }
        return try await app.test(setup, body)
    }

    /// A ready user in `role` with a random password (and TOTP where the role needs it).
    func person(_ username: String, roles: Set<Role>) async throws -> Person {
        let password = Credentials.oneTimePassword()
        let totp = roles.contains(where: \.requiresTOTP) ? TOTP.generateSecret() : nil
        let user = try await system.users.provisionReady(username: username, displayName: username.capitalized, roles: roles,
                                                         password: password, totpSecret: totp, actor: .system("test"))
        return Person(user: user, password: password, totpSecret: totp)
    }

    /// The current TOTP code for a secret at the harness clock's time.
    func code(_ secret: [UInt8], offset: Int64 = 0) -> String {
        TOTP(secret: secret).code(at: Date(timeIntervalSince1970: TimeInterval(clock.now() + offset)))
    }
}

/// A test user and its credentials.
struct Person: Sendable {
    var user: User
    var password: String
    var totpSecret: [UInt8]?
}

/// A browser-like cookie jar and CSRF token holder for in-process requests.
actor Browser {
    var cookies: [String: String] = [:]
    var csrf: String = ""
    let client: any TestClientProtocol

    init(_ client: any TestClientProtocol) { self.client = client }

    var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    @discardableResult
    func get(_ path: String) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if !cookies.isEmpty { headers[.cookie] = cookieHeader }
        let response = try await client.execute(uri: path, method: .get, headers: headers, body: nil)
        absorb(response)
        return response
    }

    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], csrf override: String? = nil, origin: String? = nil) async throws -> TestResponse {
        var all = fields
        all.append(("csrf", override ?? csrf))
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if !cookies.isEmpty { headers[.cookie] = cookieHeader }
        if let origin { headers[.origin] = origin }
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
        absorb(response)
        return response
    }

    /// Signs in with password (and TOTP code when asked); returns the final response.
    @discardableResult
    func signIn(_ username: String, _ password: String, totp: String? = nil) async throws -> TestResponse {
        try await get("/login")
        let r = try await post("/login", [("username", username), ("password", password)])
        if r.headers[.location] == "/login/totp", let totp {
            try await get("/login/totp")
            return try await post("/login/totp", [("code", totp)])
        }
        return r
    }

    func setCookie(_ name: String, _ value: String?) { cookies[name] = value }
    func setCSRF(_ value: String) { csrf = value }

    private func absorb(_ response: TestResponse) {
        for field in response.headers[values: .setCookie] {
            let pair = field.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || field.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        let html = String(buffer: response.body)
        if let range = html.range(of: "name=\"csrf\" value=\"") {
            let rest = html[range.upperBound...]
            if let end = rest.firstIndex(of: "\"") { csrf = String(rest[..<end]) }
        }
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}
