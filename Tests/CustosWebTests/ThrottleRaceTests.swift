import CustosCore
import CustosWeb
import Foundation
import Testing

/// Attempts sent in parallel cannot pass a throttle together: each is reserved before its secret is
/// checked (issue 18, 2): sign-in, the current-password check and custodian approvals.
@Suite struct ThrottleRaceTests {
    @Test func aBurstOfParallelWrongSignInsRecordsAtMostTheLimit() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let p = try await h.person("aude", roles: [.auditor])
        let s = h.system.signIn
        let refused = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<40 {
                group.addTask {
                    do { _ = try await s.signIn(username: "aude", password: "wrong password \(i)", client: "192.0.2.9") } catch {
                        return isThrottled(error)
                    }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(try h.audited(.loginFailed) == 5)
        // Past the limit, attempts are refused before any hashing; failures that found the limit reached (by
        // attempts still in flight) say so too.
        #expect(refused >= 35)
        #expect(try h.count("SELECT count(*) FROM login_failures") <= 3 * 5)
        // The owner from another address is not locked out.
        h.clock.advance(1)
        #expect(try await s.signIn(username: "aude", password: p.password, client: "198.51.100.7").session.stage == .active)
    }

    @Test func parallelWrongCurrentPasswordsAreThrottledAndAuditedLikeSignIn() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let p = try await h.person("aude", roles: [.auditor])
        let signedIn = try await h.system.signIn.signIn(username: "aude", password: p.password, client: "192.0.2.9")
        let actor = Actor(userID: p.user.id, username: "aude", role: .auditor, client: "192.0.2.9")
        let accounts = h.system.accounts
        let outcomes = await withTaskGroup(of: String.self) { group in
            for i in 0..<20 {
                group.addTask {
                    do {
                        try await accounts.changePassword(user: signedIn.user, session: signedIn.session, current: "not the password \(i)",
                                                          new: "a brand new passphrase \(i)", confirm: "a brand new passphrase \(i)", actor: actor)
                        return "changed"
                    } catch {
                        return isThrottled(error) ? "throttled" : "failed"
                    }
                }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(outcomes["changed"] == nil)
        #expect(try h.audited(.passwordCheckFailed) == 5)
        #expect((outcomes["throttled"] ?? 0) >= 15 && (outcomes["throttled"] ?? 0) + (outcomes["failed"] ?? 0) == 20)
        #expect(try h.audited(.loginThrottled) == 1)
        // The same lock holds at the sign-in form from that address.
        await #expect(throws: DomainError.self) {
            try await h.system.signIn.signIn(username: "aude", password: p.password, client: "192.0.2.9")
        }
    }

    @Test func parallelForgedApprovalsRecordAtMostTheLimit() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file()
        let refused = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do { _ = try await w.approveForged(request, by: 0, using: 1) } catch { return isThrottled(error) }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(try w.system.archive.read { try $0.audit.count(action: AuditAction.requestApprovalFailed.rawValue) } == 5)
        #expect(refused == 15)
        #expect(try w.system.archive.read { try $0.audit.count(action: AuditAction.requestApprovalThrottled.rawValue) } == 1)
        // The custodian's right partials wait for the window; then they count.
        await #expect(throws: DomainError.self) { try await w.approve(request, by: 0, step: 0) }
        try await w.approve(request, by: 0, step: 15 * 60 + 1)
        #expect(try w.system.decryption.detail(id: request, user: w.auditor.user, role: .auditor).approvals == 1)
    }
}
