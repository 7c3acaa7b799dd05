import CustosCore
import CustosCrypto
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting

extension Harness {
    /// The `n`-th six-digit code that the harness clock's time does not accept for `secret`.
    func wrongCode(_ secret: [UInt8], _ n: Int = 0) -> String {
        let valid = Set([-30, 0, 30].map { code(secret, offset: $0) })
        let candidates = (0..<100).map { String(100_000 + $0 * 7_919) }.filter { !valid.contains($0) }
        return candidates[n % candidates.count]
    }

    /// How many audit entries record `action`.
    func audited(_ action: AuditAction) throws -> Int {
        try system.archive.read { try $0.audit.count(action: action.rawValue) }
    }

    /// One row count by raw SQL on the writer (test inspection only).
    func count(_ sql: String) throws -> Int {
        try system.withRawDatabase { Int(try $0.queryOne(sql)?.int(0) ?? -1) }
    }
}

extension WebConfiguration {
    /// A server behind a proxy on this machine: under `.live` the test client's loopback connection is that
    /// proxy, so a test can play any client address through X-Forwarded-For.
    static let behindLoopbackProxy = WebConfiguration(trustedProxies: [try! IPNetwork("127.0.0.1"), try! IPNetwork("::1")])
}

/// Signs in from a browser at `address`, as a proxy would report it in X-Forwarded-For (the harness must
/// run `.live` with `.behindLoopbackProxy`); returns the answer to the password form.
func signIn(_ client: any TestClientProtocol, _ user: String, _ password: String, from address: String) async throws -> TestResponse {
    let b = Browser(client)
    try await b.get("/login")
    let body = "username=\(Browser.encode(user))&password=\(Browser.encode(password))&csrf=\(await b.csrf)"
    return try await client.execute(uri: "/login", method: .post,
        headers: [.contentType: "application/x-www-form-urlencoded", .cookie: await b.cookieHeader, .xForwardedFor: address],
        body: ByteBuffer(string: body))
}

/// Whether `error` is the domain's `throttled`.
func isThrottled(_ error: any Error) -> Bool {
    if case .throttled = error as? DomainError { return true }
    return false
}
