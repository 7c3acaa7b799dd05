import CustosCore
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// NIST SP 800-63B-4 at the form people use (issue 18): a person without TOTP choosing their first password is
/// held to 15 characters and the shipped blocklist; the refusal says why and changes nothing.
@Suite struct PasswordPolicyWebTests {
    @Test func aCommonOrShortPasswordIsRefusedAtTheFormAndNothingChanges() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        let created = try await h.system.users.create(username: "reader", displayName: "Reader", roles: [.auditor],
                                                      actor: Actor(userID: boss.user.id, username: "boss", role: .admin, client: "t"))
        try await h.run { client in
            let b = Browser(client)
            #expect(try await b.signIn("reader", created.oneTimePassword).headers[.location] == "/account/password")
            let page = try await b.get("/account/password")
            #expect(page.text.contains("at least 15 characters") && page.text.contains("minlength=\"15\""))
            for (bad, says) in [("short password", "at least 15 characters"), ("Password2024!!!!", "among the most common"),
                                ("sunshinesunshine", "among the most common"), ("reader's own password", "username")] {
                let r = try await b.post("/account/password", [("current_password", created.oneTimePassword), ("new_password", bad),
                                                               ("confirm_password", bad)])
                #expect(r.status == .badRequest, "\(bad)")
                #expect(r.text.contains(says), "\(bad): \(r.text.prefix(300))")
                #expect(!r.text.contains(bad), "the refused password is echoed back")
            }
            let good = "harbour lantern quietly"
            let ok = try await b.post("/account/password", [("current_password", created.oneTimePassword), ("new_password", good),
                                                            ("confirm_password", good)])
            #expect(ok.status == .seeOther)
        }
        let user = try #require(try h.system.archive.read { try $0.users.find(username: "reader") })
        #expect(!user.mustChangePassword)
        #expect(try h.audited(.passwordChanged) == 1)
    }
}
