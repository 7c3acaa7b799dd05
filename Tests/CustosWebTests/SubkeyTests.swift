import CustosCrypto
import CustosRuntime
import CustosTestSupport
import CustosStore
import CustosWeb
import Foundation
import Testing
@testable import CustosCore

/// Issue 18, point 13: the key files are KDF masters only. Each purpose seals under its own subkey, and a data
/// directory from before subkeys has every stored sealed value re-sealed once when it is opened.
@Suite("Subkeys per purpose (issue 18, point 13)")
struct SubkeyTests {
    /// Every sealed column, written out here independently of the store's own list, with what seals it.
    static let columns: [(table: String, keys: [String], column: String, purpose: @Sendable (Int64) -> String?)] = [
        ("messages", ["id"], "conversation_display", { _ in "conversation" }),
        ("message_participants", ["message_id", "token", "part"], "display", { _ in "participant" }),
        ("matters", ["id"], "name", { _ in "matter-name" }),
        ("matters", ["id"], "description", { _ in "matter-description" }),
        ("hold_terms", ["hold_id", "kind", "value"], "display", { _ in "hold-term" }),
        ("hold_notices", ["id"], "person", { _ in "hold-notice" }),
        ("retention_rules", ["id"], "display", { _ in "retention-rule" }),
        ("legal_holds", ["id"], "release_reason", { _ in "hold-release" }),
        ("decryption_requests", ["id"], "justification", { _ in "request-justification" }),
        ("decryption_requests", ["id"], "reference", { _ in "request-reference" }),
        ("saved_searches", ["id"], "name", { "saved-name-\($0)" }),
        ("saved_searches", ["id"], "query", { "saved-query-\($0)" }),
        ("users", ["id"], "totp_secret_sealed", { _ in nil }),  // nil: a TOTP secret, AD custos/totp/<user id>
    ]

    /// The user id a column's purpose depends on: saved_searches.user_id, users.id.
    static func owner(_ table: String) -> String { table == "saved_searches" ? "user_id" : (table == "users" ? "id" : "0") }

    static func additionalData(_ purpose: String?, owner: Int64) -> [UInt8] {
        purpose.map { MetadataIndexer.additionalData($0) } ?? TOTPSecrets.additionalData(owner)
    }

    /// Rewrites every sealed value as it was before subkeys: no version byte, sealed under the metadata.key master.
    static func downgrade(_ system: CustosSystem, master: [UInt8]) throws -> Int {
        try system.withRawDatabase { c in
            var n = 0
            for col in columns {
                let triggers = try c.query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", col.table)
                for t in triggers { try c.execute("DROP TRIGGER \(try t.text(0))") }
                let rows = try c.query("SELECT \(col.column), \(owner(col.table)), " + col.keys.joined(separator: ", ")
                                       + " FROM \(col.table) WHERE \(col.column) IS NOT NULL")
                for r in rows {
                    let purpose = col.purpose(try r.int(1))
                    let ad = additionalData(purpose, owner: try r.int(1))
                    let key = purpose == nil ? system.keys.totpKey : system.keys.displayKey
                    let plain = try Sealing.open(try r.blob(0), key: key, additionalData: ad)
                    let legacy = try XChaCha20Poly1305.sealCombined(plain, key: master, additionalData: ad)
                    try c.run("UPDATE \(col.table) SET \(col.column) = ? WHERE " + col.keys.map { "\($0) = ?" }.joined(separator: " AND "),
                              parameters: [legacy] + Array(r.values[2...]))
                    n += 1
                }
                for t in triggers { try c.execute(try t.text(1)) }
            }
            try c.run("DELETE FROM key_upgrades")
            return n
        }
    }

    /// (values that open under their purpose's subkey, values that open under the master itself)
    static func census(_ system: CustosSystem, master: [UInt8]) throws -> (subkey: Int, master: Int) {
        try system.withRawDatabase { c in
            var counts = (subkey: 0, master: 0)
            for col in columns {
                for r in try c.query("SELECT \(col.column), \(owner(col.table)) FROM \(col.table) WHERE \(col.column) IS NOT NULL") {
                    let purpose = col.purpose(try r.int(1))
                    let ad = additionalData(purpose, owner: try r.int(1))
                    let sealed = try r.blob(0)
                    let key = purpose == nil ? system.keys.totpKey : system.keys.displayKey
                    if (try? Sealing.open(sealed, key: key, additionalData: ad)) != nil { counts.subkey += 1 }
                    if (try? XChaCha20Poly1305.openCombined(sealed, key: master, additionalData: ad)) != nil { counts.master += 1 }
                }
            }
            return counts
        }
    }

    @Test("Each purpose has its own subkey; none is a master, and no two are alike")
    func subkeysAreDistinct() throws {
        let keys = try ServerKeys.ephemeral()
        let all = [keys.metadataKey, keys.blindIndexKey, keys.displayKey, keys.totpKey, keys.enrolmentKey, keys.grantKey, keys.throttleKey]
        #expect(Set(all.map(Hex.encode)).count == all.count)
        // A TOTP secret sealed for a user does not open with the display subkey under the same associated data.
        let sealed = try TOTPSecrets(keys: keys).seal(Array("12345678901234567890".utf8), userID: 7)
        #expect(throws: (any Error).self) { try Sealing.open(sealed, key: keys.displayKey, additionalData: TOTPSecrets.additionalData(7)) }
        #expect(throws: (any Error).self) { try XChaCha20Poly1305.openCombined(Array(sealed.dropFirst()), key: keys.metadataKey,
                                                                                 additionalData: TOTPSecrets.additionalData(7)) }
    }

    // The re-seal is SQLite's: a PostgreSQL archive is born under subkeys (MigrationsPostgres/0005).
    @Test("A data directory from before subkeys is re-sealed once on opening, and everything still reads", .enabled(if: TestDatabase.isSQLite))
    func upgradeReseals() async throws {
        let w = try await HoldWorld.make()
        let h = w.f.harness
        let auditor = try await h.person("reader1", roles: [.auditor])
        let actor = Actor(userID: auditor.user.id, username: "reader1", role: .auditor, client: "192.0.2.3")
        try w.system.search.save(try SearchQuery.parse([("participant", "alice@example.com")]), name: "Alice's mail", user: auditor.user, actor: actor)
        _ = try w.place(try w.scope(participant: "carol@enron.com"))
        let released = try w.place(try w.scope(participant: "dave@example.com"))
        try w.system.holds.release(id: released, reason: "Matter settled; counsel confirmed.", user: w.legal.user, actor: w.legalActor)
        _ = try w.system.decryption.file(messageIDs: try w.ids(sentBy: "alice@example.com"), justification: "Checking the upgrade keeps this.",
                                         reference: "UPGRADE-1", hours: 1, user: auditor.user, actor: actor)
        let master = [UInt8](try #require(FileManager.default.contents(atPath: h.dir + "/keys/metadata.key")))

        let fresh = try Self.census(w.system, master: master)
        #expect(fresh.subkey > 10 && fresh.master == 0, "new values are sealed under subkeys only: \(fresh)")
        let downgraded = try Self.downgrade(w.system, master: master)
        #expect(downgraded == fresh.subkey)
        #expect(try Self.census(w.system, master: master) == (subkey: 0, master: downgraded))

        // Opening the directory re-seals every value once, in one transaction, and records it.
        let reopened = try CustosSystem.open(dataDirectory: h.dir, resources: Resources(root: Harness.repoRoot), clock: h.clock)
        #expect(try Self.census(reopened, master: master) == (subkey: downgraded, master: 0))
        #expect(try reopened.withRawDatabase { try $0.queryOne("SELECT resealed FROM key_upgrades")?.int(0) } == Int64(downgraded))
        #expect(try reopened.sqlite!.resealUnderSubkeys({ _, v in v }, now: 0) == nil, "a second opening re-seals nothing")
        #expect(try reopened.verifyArchive().ok && reopened.verifyAudit().ok, "the seals and the chain are as they were")
        for sql in ["UPDATE messages SET sent_at = 0", "DELETE FROM message_participants", "UPDATE hold_terms SET display = NULL",
                    "DELETE FROM matters"] {
            #expect(throws: (any Error).self, "the re-sealing left \(sql) allowed") {
                try reopened.withRawDatabase { try $0.execute(sql) }
            }
        }

        // And it all still reads: participants and conversations on a search page, the matter, the saved search, and a
        // sign-in with the TOTP code of a secret that was re-sealed.
        let page = try reopened.search.search(try SearchQuery.parse([("participant", "alice@example.com")]), actor: actor)
        #expect(page.hits.count == 2 && page.hits.allSatisfy { $0.senders.contains { $0.contains("alice@example.com") } })
        #expect(page.hits.allSatisfy { $0.conversation == "<thread-1@example.com>" })
        #expect(try reopened.holds.matter(id: w.matter, user: w.legal.user, actor: w.legalActor).matter.name == "SEC inquiry 2026-07")
        #expect(try reopened.search.savedSearches(user: auditor.user).map(\.name) == ["Alice's mail"])
        let keeper = w.f.custodians[0].person
        let secret = try #require(keeper.totpSecret)
        let signedIn = try await reopened.signIn.signIn(username: keeper.user.username, password: keeper.password, client: "192.0.2.4")
        _ = try reopened.signIn.verifyTOTP(session: signedIn.session, user: signedIn.user, code: h.code(secret), client: "192.0.2.4")
    }
}
