import CustosCore
import CustosCrypto
import CustosTestSupport
import CustosWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The ingest API: bearer tokens, per-item validation, idempotency, write-once storage and
/// the archive's coverage by the audit chain (P1, P4, P5 at the store).
@Suite struct IngestAPITests {
    static func post(_ client: any TestClientProtocol, token: String?, body: String) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/api/v1/messages", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static func encode(_ items: [IngestItem]) throws -> String {
        String(decoding: try JSONEncoder().encode(IngestRequest(messages: items)), as: UTF8.self)
    }

    @Test func archiveKeyIsUnavailableUntilAKeyCeremony() async throws {
        let h = try await Harness.make()
        try await h.run { client in
            let r = try await client.execute(uri: "/api/v1/archive-key", method: .get, headers: [:], body: nil)
            #expect(r.status == .serviceUnavailable)
            #expect(r.text.contains("key ceremony"))
        }
    }

    /// A path that exists but not for the method gets 405 naming what it takes; a path that does
    /// not exist stays 404. Literal segments win over parameters, as in the router. (Unsafe methods
    /// on web pages meet the CSRF check first and get 403.)
    @Test func undeclaredMethodsGet405WithAllow() async throws {
        let h = try await Harness.make()
        try await h.run { client in
            for (method, path, allow) in [(HTTPRequest.Method.trace, "/api/v1/archive-key", "GET"), (.get, "/api/v1/messages", "POST"),
                                          (.delete, "/api/v1/messages", "POST"), (.get, "/audit/verify", "POST"),
                                          (.get, "/requests/7/reject", "POST"), (.get, "/api/v1/custodian/requests/7/approve", "POST")] {
                let r = try await client.execute(uri: path, method: method, headers: [:], body: nil)
                #expect(r.status == .methodNotAllowed, "\(method) \(path)")
                #expect(r.headers[.allow] == allow, "\(method) \(path)")
                if path.hasPrefix("/api/") { #expect(r.headers[.contentType] == "application/json") }
            }
            let missing = try await client.execute(uri: "/api/v1/nothing", method: .trace, headers: [:], body: nil)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.allow] == nil)
        }
    }

    @Test func batchesAreValidatedPerItemStoredOnceAndAudited() async throws {
        let f = try await ArchiveFixture.make()
        let good = try (1...3).map { try f.item("Body of message \($0) that nobody may read", uid: "email:m\($0)") }
        var badHash = try f.item("tampered in transit", uid: "email:bad-hash")
        badHash.envelope.ciphertextHash = Data(repeating: 7, count: 32).base64EncodedString()
        var badPlatform = try f.item("x", uid: "email:bad-platform")
        badPlatform.platform = "E-Mail!"
        let body = try Self.encode(good + [badHash, badPlatform])
        defer { try? FileManager.default.removeItem(atPath: f.harness.dir) }
        let results = try await f.harness.run(cleanup: false) { client -> [IngestResult] in
            let key = try await client.execute(uri: "/api/v1/archive-key", method: .get, headers: [:], body: nil)
            let decoded = try JSONDecoder().decode(ArchiveKeyResponse.self, from: Data(key.body.readableBytesView))
            #expect(decoded.epoch == 1 && decoded.threshold == 2 && decoded.shareCount == 3)
            #expect(decoded.publicKey == Data(f.publicKey.point.bytes).base64EncodedString())
            #expect(try await Self.post(client, token: nil, body: body).status == .unauthorized)
            #expect(try await Self.post(client, token: "cst_" + String(repeating: "A", count: 43), body: body).status == .unauthorized)
            let first = try await Self.post(client, token: f.token, body: body)
            #expect(first.status == .ok)
            let again = try await Self.post(client, token: f.token, body: try Self.encode(good))
            let second = try JSONDecoder().decode(IngestResponse.self, from: Data(again.body.readableBytesView)).results
            #expect(second.map(\.status) == [.duplicate, .duplicate, .duplicate])
            let malformed = try await Self.post(client, token: f.token, body: "{\"messages\": [{\"uid\": 5}]}")
            #expect(malformed.status == .badRequest)
            #expect(malformed.headers[.contentType] == "application/json")
            let tooMany = try await Self.post(client, token: f.token, body: try Self.encode(Array(repeating: good[0], count: 1001)))
            #expect(tooMany.status == .badRequest)
            return try JSONDecoder().decode(IngestResponse.self, from: Data(first.body.readableBytesView)).results
        }
        #expect(results.map(\.status) == [.stored, .stored, .stored, .rejected, .rejected])
        #expect(results[3].reason?.contains("hash") == true)
        #expect(results[4].reason?.contains("platform") == true)
        let system = f.harness.system
        #expect(try system.archive.read { try $0.messages.count() } == 3)
        #expect(try system.archive.read { try $0.messages.countBySender(token: system.indexer.participantToken("ALICE@example.com")) } == 3)
        let ingested = try system.archive.read { try $0.audit.entries(action: AuditAction.messagesIngested.rawValue) }
        #expect(ingested.count == 1)  // the duplicate-only batch stores nothing and needs no record
        #expect(ingested[0].details.contains("\"stored\":\"3\"") && ingested[0].details.contains("\"digest\""))
        #expect(try system.verifyAudit().ok)
        #expect(try system.verifyArchive().ok)
        // Two custodians open a message; the plaintext is what was sealed.
        let plain = try f.open(messageID: try require(results[1].id), with: [0, 2])
        #expect(String(decoding: plain, as: UTF8.self) == "Body of message 2 that nobody may read")
        // One custodian alone cannot.
        #expect(throws: (any Error).self) { _ = try f.open(messageID: try require(results[1].id), with: [1]) }
    }

    @Test func archivedMessagesAreWriteOnceAndTamperingIsNamed() async throws {
        let f = try await ArchiveFixture.make()
        defer { try? FileManager.default.removeItem(atPath: f.harness.dir) }
        let items = try (1...4).map { try f.item("message \($0)", uid: "email:w\($0)") }
        let token = try #require(try f.harness.system.captureTokens.authenticate(f.token))
        _ = try f.harness.system.ingest.ingest(items, token: token, client: "t")
        for sql in ["UPDATE messages SET sent_at = 0 WHERE id = 2", "DELETE FROM messages WHERE id = 2",
                    "UPDATE envelopes SET ciphertext = ciphertext WHERE message_id = 2", "DELETE FROM envelopes",
                    "UPDATE message_participants SET part = 'bcc'", "DELETE FROM message_participants"] {
            #expect(throws: (any Error).self, "\(sql)") { try f.harness.system.withRawDatabase { try $0.execute(sql) } }
        }
        #expect(try f.harness.system.verifyArchive().ok)
        // An attacker who drops the triggers and swaps ciphertext and hash together is still caught.
        try f.harness.system.withRawDatabase { c in
            try c.dropTriggers("envelopes_write_once", "messages_write_once")
            let other = try #require(try c.queryOne("SELECT ciphertext FROM envelopes WHERE message_id = 3"))
            try c.run("UPDATE envelopes SET ciphertext = ? WHERE message_id = 2", try other.blob(0))
        }
        let broken = try f.harness.system.verifyArchive()
        #expect(!broken.ok && broken.failure?.contains("message 2") == true)
        try f.harness.system.withRawDatabase { c in
            try c.execute("UPDATE messages SET ciphertext_hash = (SELECT ciphertext_hash FROM messages WHERE id = 3) WHERE id = 2")
        }
        let swapped = try f.harness.system.verifyArchive()
        #expect(!swapped.ok && swapped.failure?.contains("message 2 no longer matches what was captured: uid, key epoch or ciphertext hash") == true)
        // With message 3's seal too, message 2's own uid still disagrees with it (a seal rewritten to fit is MessageSealTests').
        try f.harness.system.withRawDatabase { c in
            try c.execute("UPDATE messages SET seal = (SELECT seal FROM messages WHERE id = 3) WHERE id = 2")
        }
        let resealed = try f.harness.system.verifyArchive()
        #expect(!resealed.ok && resealed.failure?.contains("message 2") == true)
    }

    @Test func nothingThatIdentifiesParticipantsOrContentIsStoredInClear() async throws {
        let f = try await ArchiveFixture.make()
        defer { try? FileManager.default.removeItem(atPath: f.harness.dir) }
        let secretLine = "The merger closes on Friday; tell nobody outside the deal team."
        let items = [try f.item(secretLine, uid: "email:p1", from: "ceo.person@bigbank.example", to: "counsel@lawfirm.example")]
        let token = try #require(try f.harness.system.captureTokens.authenticate(f.token))
        _ = try f.harness.system.ingest.ingest(items, token: token, client: "t")
        let bytes = try SecretsAtRestTests.bytes(ofDatabaseOf: f.harness.system)
        for needle in [secretLine, "ceo.person@bigbank.example", "bigbank.example", "counsel@lawfirm", "Alice A.", "thread-1@example.com"] {
            #expect(!SecretsAtRestTests.contains(bytes, Array(needle.utf8)), "\(needle) found in the database")
        }
    }

    @Test func keyCeremonyPageRefusesBadChoicesAndProposesNothingMore() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        let keeper = try await h.person("keeper", roles: [.custodian])
        let other = try await h.person("other", roles: [.custodian])
        _ = try CeremonyDriver.enrol(keeper.user, system: h.system)
        try await h.run { client in
            let a = Browser(client)
            try await a.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            let page = try await a.get("/admin/keys")
            #expect(page.text.contains("other") && page.text.contains("has not enrolled a custodian device"))
            #expect(!page.text.contains("type=\"password\""))
            let tooFew = try await a.post("/admin/keys", [("custodian", "\(keeper.user.id)"), ("threshold", "2")])
            #expect(tooFew.status == .badRequest && tooFew.text.contains("at least two custodians"))
            let notReady = try await a.post("/admin/keys", [("custodian", "\(keeper.user.id)"), ("custodian", "\(other.user.id)"), ("threshold", "2")])
            #expect(notReady.status == .badRequest && notReady.text.contains("has not enrolled a custodian device"))
            _ = try CeremonyDriver.enrol(other.user, system: h.system)
            let proposed = try await a.post("/admin/keys", [("custodian", "\(keeper.user.id)"), ("custodian", "\(other.user.id)"), ("threshold", "2")])
            #expect(proposed.status == .seeOther)
            // Proposing made no key: the devices have not acted, so nothing is served to capture clients.
            #expect(try h.system.ceremonies.chain().isEmpty)
            let keys = try await client.execute(uri: "/api/v1/archive-keys", method: .get, headers: [:], body: nil)
            #expect(keys.status == .serviceUnavailable)
            let inProgress = try await a.get("/admin/keys")
            #expect(inProgress.text.contains("id=\"open-ceremony\"") && inProgress.text.contains("keeper") && inProgress.text.contains("Waiting for"))
            let again = try await a.post("/admin/keys", [("custodian", "\(keeper.user.id)"), ("custodian", "\(other.user.id)"), ("threshold", "2")])
            #expect(again.status == .conflict && again.text.contains("still in progress"))
        }
    }
}
