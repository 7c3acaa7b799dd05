import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// X-Forwarded-For names the client only on connections from a trusted proxy (issue 18, 17): the client
/// address drives the per-address sign-in limits and the audit log, so nobody else may choose it.
@Suite struct TrustedProxyTests {
    /// The client connects over loopback; the live server sees it as 127.0.0.1 or ::1, by how "localhost" resolves.
    static let loopback: Set<String> = ["127.0.0.1", "::1"]

    @Test func aForgedForwardedForFromAnUntrustedPeerIsIgnored() async throws {
        let h = try await Harness.make(configuration: WebConfiguration(trustedProxies: [try IPNetwork("10.0.0.0/8")]))
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run(.live) { client in
            // Twenty wrong guesses, each claiming a new address: they all count against the one real peer.
            for i in 1...20 { _ = try await signIn(client, "spray\(i)", "guess", from: "203.0.113.\(i)") }
            let blocked = try await signIn(client, "aude", p.password, from: "203.0.113.99")
            #expect(blocked.status == .tooManyRequests && blocked.text.contains("Sign-in is paused from here"))
        }
        // Twenty failures and the refusal, all from the real peer.
        let entries = try h.system.archive.read { audit in
            try [AuditAction.loginFailed, .loginThrottled].flatMap { try audit.audit.entries(action: $0.rawValue) }
        }
        let clients = Set(entries.map(\.client))
        #expect(entries.count == 21 && clients.count == 1 && clients.isSubset(of: Self.loopback))
    }

    @Test func aTrustedProxyNamesTheClient() async throws {
        let h = try await Harness.make(configuration: .behindLoopbackProxy)
        let p = try await h.person("aude", roles: [.auditor])
        try await h.run(.live) { client in
            // The trusted hop at the right is passed over; the hop the client wrote itself, at the left, is never read.
            let r = try await signIn(client, "aude", p.password, from: "192.0.2.66, 198.51.100.7, 127.0.0.1")
            #expect(r.headers[.location] == "/")
            // A hop that is not an address leaves the peer as the client.
            _ = try await signIn(client, "aude", "wrong password", from: "198.51.100.7, proxy.internal")
        }
        let succeeded = try h.system.archive.read { try $0.audit.entries(action: AuditAction.loginSucceeded.rawValue) }
        #expect(succeeded.map(\.client) == ["198.51.100.7"])
        let failed = try h.system.archive.read { try $0.audit.entries(action: AuditAction.loginFailed.rawValue) }
        #expect(failed.count == 1 && Self.loopback.contains(failed[0].client))
    }
}
