import CustosCore
import CustosCrypto
import CustosStore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// One-time passwords stop working after 72 hours (or as configured); an administrator issues a new one
/// (issue 18, 6).
@Suite struct OneTimePasswordTests {
    @Test func aOneTimePasswordExpiresAfter72HoursAndAnAdministratorIssuesANewOne() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        let created = try await h.system.users.create(username: "newbie", displayName: "New", roles: [.auditor],
                                                      actor: Actor(userID: boss.user.id, username: "boss", role: .admin, client: "t"))
        try await h.run { client in
            h.clock.advance(72 * 3600 - 60)
            let early = Browser(client)
            #expect(try await early.signIn("newbie", created.oneTimePassword).headers[.location] == "/account/password")
            h.clock.advance(60)
            // Signed in a minute before the end, the person cannot use the expired password to choose a new one.
            try await early.get("/account/password")
            let change = try await early.post("/account/password", [("current_password", created.oneTimePassword),
                                                                    ("new_password", "a passphrase of my own"),
                                                                    ("confirm_password", "a passphrase of my own")])
            #expect(change.status == .gone)
            let late = try await Browser(client).signIn("newbie", created.oneTimePassword)
            #expect(late.status == .gone)
            #expect(late.text.contains("This one-time password has expired. Ask your administrator for a new one."))
            // So is the first administrator's, made by `custos init`.
            #expect(try await Browser(client).signIn(h.admin.user.username, h.admin.oneTimePassword).status == .gone)

            let admin = Browser(client)
            try await admin.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            let page = try await admin.get("/admin/users/\(created.user.id)")
            #expect(page.text.contains("id=\"issue-one-time-password\""))
            let issued = try await admin.post("/admin/users/\(created.user.id)/one-time-password", [])
            #expect(issued.status == .ok && issued.text.contains("works for 72 hours"))
            let otp = try #require(issued.text.firstMatch(of: /id="one-time-password">([a-z0-9-]+)</)?.1)
            #expect(try await Browser(client).signIn("newbie", String(otp)).headers[.location] == "/account/password")
            // Nobody reissues their own.
            #expect(try await admin.post("/admin/users/\(boss.user.id)/one-time-password", []).status == .forbidden)
        }
        let refusals = try h.system.archive.read { try $0.audit.entries(action: AuditAction.loginFailed.rawValue) }
        #expect(refusals.filter { $0.details.contains("one-time password expired") }.count == 2)
        #expect(try h.audited(.oneTimePasswordIssued) == 1)
    }

    @Test func theLifetimeIsConfigurable() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let s = h.system
        let admin = UserAdministration(archive: s.archive, hasher: PasswordHasher(), work: BlockingWork(), keys: s.keys,
                                       oneTimePasswordLifetime: 3_600)
        let created = try await admin.create(username: "brief", displayName: "Brief", roles: [.legal], actor: .system("test"))
        #expect(created.user.oneTimePasswordExpiresAt == h.clock.now() + 3_600)
        h.clock.advance(3_600)
        do {
            _ = try await s.signIn.signIn(username: "brief", password: created.oneTimePassword, client: "192.0.2.1")
            Issue.record("an expired one-time password signed in")
        } catch {
            #expect(error as? DomainError == .gone("This one-time password has expired. Ask your administrator for a new one."))
        }
        // A password the person chose does not expire.
        let reissued = try await admin.issueOneTimePassword(userID: created.user.id, actor: .system("test"))
        let signedIn = try await s.signIn.signIn(username: "brief", password: reissued.oneTimePassword, client: "192.0.2.1")
        let actor = Actor(userID: created.user.id, username: "brief", role: .legal, client: "192.0.2.1")
        try await s.accounts.changePassword(user: signedIn.user, session: signedIn.session, current: reissued.oneTimePassword,
                                            new: "a passphrase of my own", confirm: "a passphrase of my own", actor: actor)
        h.clock.advance(365 * 86_400)
        #expect(try await s.signIn.signIn(username: "brief", password: "a passphrase of my own", client: "192.0.2.1").user.oneTimePasswordExpiresAt == nil)
    }

    @Test func theMigrationGivesOutstandingOneTimePasswords72Hours() throws {
        let dir = NSTemporaryDirectory() + "custos-otp-migration-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/Migrations", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let all = Harness.repoRoot.appendingPathComponent("Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: all.path).filter { $0.hasSuffix(".sql") }.sorted()
        for name in files where name < "0012_" {
            try FileManager.default.copyItem(atPath: all.appendingPathComponent(name).path, toPath: dir + "/Migrations/" + name)
        }
        let db = try Database(path: dir + "/custos.sqlite")
        _ = try Migrator(directory: URL(fileURLWithPath: dir + "/Migrations")).migrate(db)
        try db.write { conn in
            try conn.run("""
                INSERT INTO users (username, display_name, password_hash, must_change_password, created_at, password_changed_at)
                VALUES ('waiting', 'W', 'x', 1, 1000, 1000), ('chosen', 'C', 'y', 0, 1000, 2000)
                """)
        }
        let applied = try Migrator(directory: all).migrate(db)
        #expect(applied.first?.name == "0012_sign_in_throttle_and_one_time_passwords.sql")
        let rows = try db.read { try $0.query("SELECT username, one_time_password_expires_at FROM users ORDER BY username") }
        #expect(try rows.map { "\(try $0.text(0)) \(try $0.optionalInt(1).map(String.init) ?? "none")" } == ["chosen none", "waiting \(1000 + 72 * 3600)"])
    }
}
