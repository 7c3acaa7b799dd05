@testable import CustosCrypto
import CustosCaptureClient
import CustosCore
import CustosTestSupport
import CustosWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The attack an outside review found: an administrator alone creates custodians and an auditor it controls
/// (it sees their one-time passwords), takes their accounts over, enrols devices for them, and proposes a
/// key ceremony over its puppets. Here it does all of that through the web and the device API, and fails:
/// the epoch never comes into force without k genuine custodians of the epoch before, a row forced into the
/// database is served to nobody, envelopes sealed to it are refused, and a capture client with the archive's
/// trust root never seals to it.
@Suite struct PuppetAdminTests {
    /// The administrator creates an account on the web and signs in as it: new password, TOTP enrolled.
    static func puppet(_ admin: Browser, _ client: any TestClientProtocol, _ h: Harness, _ name: String, role: Role) async throws -> (Browser, Person) {
        try await admin.get("/admin/users/new")
        let created = try await admin.post("/admin/users", [("username", name), ("display_name", name.capitalized), ("role", role.rawValue)])
        #expect(created.status == .created, "the administrator creates \(name)")
        let otp = String(try #require(created.text.firstMatch(of: /id="one-time-password">([a-z0-9-]+)</)?.1))
        let b = Browser(client)
        try await b.signIn(name, otp)
        try await b.get("/account/password")
        let password = "a puppet's own passphrase 0123456789"
        try await b.post("/account/password", [("current_password", otp), ("new_password", password), ("confirm_password", password)])
        var secret: [UInt8]?
        if role.requiresTOTP {
            let page = try await b.get("/account/totp")
            secret = try #require(Base32.decode(String(try #require(page.text.firstMatch(of: /id="totp-secret">([A-Z2-7 ]+)</)?.1))))
            let enrolment = String(try #require(page.text.firstMatch(of: /name="enrolment" value="([0-9a-f]+)"/)?.1))
            try await b.post("/account/totp", [("enrolment", enrolment), ("code", h.code(secret!))])
        }
        let user = try #require(try h.system.users.all().first { $0.username == name })
        return (b, Person(user: user, password: password, totpSecret: secret))
    }

    @Test func anAdministratorAloneCannotPutAKeyInFrontOfCaptureClients() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        let h = w.f.harness
        let root = try w.f.trustRoot
        let boss = try await h.person("boss", roles: [.admin])
        try await h.run { client in
            let admin = Browser(client)
            try await admin.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            // 1. Puppets: two custodians and an auditor, their accounts taken over, their devices enrolled by the admin.
            var puppets: [TestCustodian] = []
            for name in ["puppet1", "puppet2"] {
                let (b, person) = try await Self.puppet(admin, client, h, name, role: .custodian)
                let (code, _) = try await DeviceClient.makeCode(b)
                let device = try CeremonyDriver.unenrolled(person.user)
                let proof = try device.withDevice { try $0.enrolmentProof(code: code) }
                let enrolled = try await DeviceClient.enrol(client, code: code, encryptionKey: device.identity.encryptionKey.bytes,
                                                            signingKey: device.identity.signingKey, proof: proof)
                #expect(enrolled.status == .created, "\(enrolled.text)")
                puppets.append(device)
            }
            _ = try await Self.puppet(admin, client, h, "puppetauditor", role: .auditor)

            // 2. The admin proposes a new key over its puppets and the puppets run the whole ceremony.
            try await admin.get("/admin/keys")
            let proposed = try await admin.post("/admin/keys", [("kind", "new_key"), ("custodian", "\(puppets[0].user.id)"),
                                                                ("custodian", "\(puppets[1].user.id)"), ("threshold", "2")])
            #expect(proposed.status == .seeOther)
            let devices = puppets.map { CeremonyDevice(client, $0, h.clock) }
            let state = try await devices[0].state()
            #expect(state.previousEpoch == 1 && state.predecessors.count == 3)
            let setup = try CeremonySetup(serialized: [UInt8](Data(base64Encoded: state.setup)!))
            let dealings = try puppets.map { try $0.withDevice { try $0.dealer(for: setup, previousEpoch: nil).dealing() } }
            for i in 0...1 { _ = try await devices[i].post(state.id, "commit", .init(digest: CeremonyDevice.b64(dealings[i].digest))) }
            for i in 0...1 { _ = try await devices[i].post(state.id, "dealing", .init(dealing: CeremonyDevice.b64(dealings[i].serialized))) }
            for i in 0...1 {
                _ = try puppets[i].withDevice { try $0.receive(dealings, setup: setup) }
                _ = try await devices[i].post(state.id, "receipt", .init(complaints: []))
            }
            let signing = try await devices[0].state()
            let transcript = try EpochTranscript(serialized: [UInt8](Data(base64Encoded: try #require(signing.transcript))!))
            for i in 0...1 {
                let sig = try puppets[i].withDevice { try $0.endorse(transcript).signature }
                #expect(try await devices[i].post(state.id, "signature", .init(signature: CeremonyDevice.b64(sig))).text.contains("\"signed\""))
            }
            // 3. It never comes into force: it waits for two of the genuine custodians of epoch 1, who never sign.
            let waiting = try await devices[0].state()
            #expect(waiting.status == "open" && waiting.phase == "sign")
            #expect(waiting.waitingFor.joined().contains("custodians still to endorse"))
            let page = try await admin.get("/admin/keys")
            #expect(page.text.contains("2 of the custodians of epoch 1 must also sign"))
            #expect(try h.system.ceremonies.chain().map(\.epoch) == [1])
            let served = try await client.execute(uri: "/api/v1/archive-keys", method: .get, headers: [:], body: nil)
            let chain = try JSONDecoder().decode(ArchiveKeysResponse.self, from: Data(served.body.readableBytesView))
            let rootBytes = try EpochChain.parseRoot(root)
            #expect(chain.epochs.count == 1 && chain.epochs[0].transcript.hash == rootBytes)

            // 4. Root on the server forces the puppet epoch into the table, signatures and all.
            let puppetSignatures = try puppets.map { p in try p.withDevice { try $0.endorse(transcript) } }
            try h.system.withRawDatabase { db in
                _ = try db.run("""
                    INSERT INTO key_epochs (epoch, threshold, share_count, public_key, commitments, created_at, created_by, kind,
                                            previous_epoch, transcript, transcript_hash) VALUES (2, 2, 2, ?, ?, 0, 'root', 'new_key', 1, ?, ?)
                    """, transcript.publicKey.serialized, transcript.feldman.serialized, transcript.serialized, transcript.hash)
                for s in puppetSignatures {
                    _ = try db.run("INSERT INTO epoch_signatures (epoch, signer, signature) VALUES (2, ?, ?)", s.signer, s.signature)
                }
            }
            // The server serves no key to anyone, and refuses envelopes sealed to the forced one.
            #expect(try await client.execute(uri: "/api/v1/archive-keys", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
            #expect(try await client.execute(uri: "/api/v1/archive-key", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
            let header = EnvelopeHeader(uid: "email:for-the-puppets", epoch: 2, platform: "email", sentAt: 1_700_000_000)
            let sealed = try Envelope.seal(Array("sealed to the puppets".utf8), header: header, publicKey: transcript.publicKey)
            var item = try w.f.item("x", uid: "email:for-the-puppets")
            item.epoch = 2
            item.envelope = IngestEnvelope(ephemeral: Data(sealed.ephemeralPublic.bytes).base64EncodedString(), nonce: Data(sealed.nonce).base64EncodedString(),
                                           ciphertext: Data(sealed.ciphertext).base64EncodedString(), ciphertextHash: Data(sealed.ciphertextHash).base64EncodedString())
            let token = try #require(try h.system.captureTokens.authenticate(w.f.token))
            let result = try h.system.ingest.ingest([item], token: token, client: "test")
            #expect(result[0].status == .rejected && result[0].reason?.contains("does not verify") == true)
            // A capture client pinned to the archive's root refuses the forced chain even if it were served.
            let forged = ArchiveKeysResponse(epochs: chain.epochs + [SignedEpoch(transcript: transcript, signatures: puppetSignatures)])
            let trust = try ArchiveTrust(root: root, statePath: NSTemporaryDirectory() + "custos-trust-" + UUID().uuidString)
            #expect(throws: CaptureClientError.untrustedKey("epoch 2 is signed by 0 custodians of epoch 1; 2 are needed")) { try trust.accept(forged) }
            // And custos verify names the forced row.
            let verified = try h.system.verifyArchive()
            #expect(!verified.ok && verified.failure?.contains("key epoch 2") == true)
        }
    }

    @Test func puppetsCannotTakeOverTheKeyByRedistribution() async throws {
        let f = try await ArchiveFixture.make()
        let h = f.harness
        var made: [TestCustodian] = []
        for i in 1...2 { made.append(try CeremonyDriver.enrol(try await h.person("puppet\(i)", roles: [.custodian]).user, system: h.system)) }
        let puppets = made
        _ = try h.system.ceremonies.propose(kind: .redistribution, custodianIDs: puppets.map(\.user.id), threshold: 2, actor: .system("admin"))
        try await h.run { client in
            let device = CeremonyDevice(client, puppets[0], h.clock)
            let state = try await device.state()
            #expect(state.kind == "redistribution" && state.you.dealer == nil && state.phase == "commit")
            // Only holders of epoch 1 deal; a puppet's commitment is refused, and nothing moves without them.
            let refused = try await device.post(state.id, "commit", .init(digest: CeremonyDevice.b64([UInt8](repeating: 1, count: 32))))
            #expect(refused.status == .forbidden)
            #expect(try await device.state().waitingFor.sorted() == ["keeper1", "keeper2", "keeper3"])
            #expect(try h.system.ceremonies.chain().map(\.epoch) == [1])
        }
    }
}
