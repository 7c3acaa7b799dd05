import CustosCore
import CustosTestSupport
import CustosCrypto
import CustosWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Custodian devices over HTTP, played as an adversary: enrolment with a code made on the web page, and the
/// signature every later API request carries (time, nonce, method, path, body, device in force).
@Suite struct CustodianDeviceTests {
    typealias D = DeviceClient

    @Test func enrolWithACodeFromThePageThenSignedRequestsWorkOnceEach() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let cato = try await h.person("cato", roles: [.custodian])
        let keys = try DeviceKeys()
        try await h.run(cleanup: false) { client in
            let b = try await D.signedIn(client, h, cato)
            let before = try await b.get(Paths.custodianDevice)
            #expect(before.status == .ok && before.text.contains("id=\"no-device\"") && before.text.contains("custos custodian init --key FILE"))
            #expect(before.text.contains("href=\"/custodian/device\" aria-current=\"page\""))
            let (code, page) = try await D.makeCode(b)
            // The in-process client reaches the server as Host: localhost.
            #expect(page.contains("custos custodian enrol --server http://localhost --key custodian.key --code \(code)"))
            #expect(page.contains("valid for 15 minutes"))
            // Only the code's hash is kept.
            #expect(!SecretsAtRestTests.contains(try SecretsAtRestTests.bytes(ofDatabaseOf: h.system), Array(code.utf8)))

            let enrolled = try await D.enrol(client, code: code, keys: keys)
            #expect(enrolled.status == .created)
            #expect(try D.fields(enrolled) == ["username": "cato", "fingerprint": keys.identity.fingerprint])
            let after = try await b.get(Paths.custodianDevice)
            #expect(after.text.contains("<code id=\"device-fingerprint\">\(keys.identity.fingerprint)</code>"))
            #expect(after.text.contains("2026-01-01 00:00 UTC"))
            // A code works once.
            let again = try await D.enrol(client, code: code, keys: try DeviceKeys())
            #expect(again.status == .gone && D.error(again).contains("already used"))

            let headers = try D.headers(keys, method: "GET", path: Paths.apiCustodianWhoami, time: h.clock.now())
            let whoami = try await D.send(client, .get, Paths.apiCustodianWhoami, headers: headers)
            #expect(whoami.status == .ok)
            #expect(try D.fields(whoami) == ["username": "cato", "fingerprint": keys.identity.fingerprint])
            // The very same request again is a replay.
            let replay = try await D.send(client, .get, Paths.apiCustodianWhoami, headers: headers)
            #expect(replay.status == .unauthorized && D.error(replay).contains("already received"))
            // Unsigned, or signed by a session only: refused.
            #expect(try await D.send(client, .get, Paths.apiCustodianWhoami, headers: [:]).status == .unauthorized)
            #expect(try await b.get(Paths.apiCustodianWhoami).status == .unauthorized)
        }
        #expect(try D.audit(h, .enrolmentCodeCreated).count == 1)
        let enrolment = try #require(try D.audit(h, .deviceEnrolled).first)
        #expect(enrolment.actor == "cato" && enrolment.details.contains(keys.identity.fingerprint))
        let refused = try D.audit(h, .deviceRequestRefused)
        #expect(refused.count == 1 && refused[0].details.contains("nonce replayed") && refused[0].details.contains(keys.identity.fingerprint))
    }

    @Test func badEnrolmentsAreRefusedAndStoreNothing() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let cato = try await h.person("cato", roles: [.custodian])
        let keys = try DeviceKeys()
        try await h.run(cleanup: false) { client in
            let b = try await D.signedIn(client, h, cato)
            let (code, _) = try await D.makeCode(b)
            let y = keys.identity.encryptionKey.bytes, v = keys.identity.signingKey
            // A code nobody made.
            let wrong = try await D.enrol(client, code: "enr_" + String(repeating: "A", count: 32), keys: keys)
            #expect(wrong.status == .forbidden && D.error(wrong).contains("not valid"))
            // A proof signed by another key than the one enrolled.
            let forged = try await D.enrol(client, code: code, encryptionKey: y, signingKey: v,
                                           proof: try keys.proof(code: code, signer: Ed25519.generateKeyPair()))
            #expect(forged.status == .forbidden && D.error(forged).contains("does not verify"))
            // A proof made for another code.
            let otherCode = try await D.enrol(client, code: code, encryptionKey: y, signingKey: v, proof: try keys.proof(code: code + "A"))
            #expect(otherCode.status == .forbidden)
            // The identity element as encryption key, a truncated key, garbage base64.
            let identityKey = try await D.enrol(client, code: code, encryptionKey: [UInt8](repeating: 0, count: 32), signingKey: v,
                                                proof: try keys.proof(code: code))
            #expect(identityKey.status == .badRequest && D.error(identityKey).contains("identity"))
            #expect(try await D.enrol(client, code: code, encryptionKey: Array(y.prefix(31)), signingKey: v, proof: try keys.proof(code: code)).status == .badRequest)
            let junk = try await client.execute(uri: Paths.apiCustodianEnrol, method: .post, headers: [:],
                                                body: ByteBuffer(string: "{\"code\":\"\(code)\",\"encryption_key\":\"%%\",\"signing_key\":\"x\",\"proof\":\"y\"}"))
            #expect(junk.status == .badRequest)
            #expect(try D.count(h, "custodian_devices") == 0)
            // None of that used the code up; a newer code replaces it, and an expired one is refused.
            let (newer, _) = try await D.makeCode(b)
            let replaced = try await D.enrol(client, code: code, keys: keys)
            #expect(replaced.status == .gone && D.error(replaced).contains("expired or was replaced"))
            h.clock.advance(16 * 60)
            let expired = try await D.enrol(client, code: newer, keys: keys)
            #expect(expired.status == .gone)
            #expect(try D.count(h, "custodian_devices") == 0)
            #expect(try h.system.devices.device(of: cato.user.id) == nil)
            // A fresh code within its 15 minutes works (the idle session ended meanwhile: sign in again).
            let b2 = try await D.signedIn(client, h, cato)
            let (fresh, _) = try await D.makeCode(b2)
            h.clock.advance(14 * 60)
            #expect(try await D.enrol(client, code: fresh, keys: keys).status == .created)
            // The same keys cannot be enrolled twice, not even by their owner.
            let (another, _) = try await D.makeCode(b2)
            #expect(try await D.enrol(client, code: another, keys: keys).status == .conflict)
            #expect(try D.count(h, "custodian_devices") == 1)
        }
        let refusals = try D.audit(h, .enrolmentRefused).map(\.details)
        #expect(refusals.count == 6)
        #expect(refusals.contains { $0.contains("unknown code") } && refusals.contains { $0.contains("proof does not verify") })
        #expect(refusals.contains { $0.contains("code expired") } && refusals.contains { $0.contains("keys already enrolled") })
    }

    @Test func onlyAnActiveCustodianMakesCodesAndEnrols() async throws {
        let h = try await Harness.make()
        let aude = try await h.person("aude", roles: [.auditor])
        let cato = try await h.person("cato", roles: [.custodian])
        try await h.run { client in
            let auditor = try await D.signedIn(client, h, aude)
            #expect(try await auditor.get(Paths.custodianDevice).status == .forbidden)
            #expect(try await auditor.post(Paths.custodianDeviceCode, []).status == .forbidden)
            // The service refuses too, whatever the route says.
            #expect(throws: DomainError.self) { try h.system.devices.createEnrolmentCode(user: aude.user, actor: .system("test")) }
            #expect(try D.count(h, "device_enrolment_codes") == 0)
            // A custodian disabled after making a code cannot use it.
            let b = try await D.signedIn(client, h, cato)
            let (code, _) = try await D.makeCode(b)
            try h.system.users.setDisabled(userID: cato.user.id, disabled: true, actor: .system("test"))
            let refused = try await D.enrol(client, code: code, keys: try DeviceKeys())
            #expect(refused.status == .forbidden && D.error(refused).contains("not an active key custodian"))
            #expect(try D.count(h, "custodian_devices") == 0)
        }
    }

    @Test func aSignatureCoversTimeMethodPathBodyAndDevice() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let cato = try await h.person("cato", roles: [.custodian])
        let keys = try DeviceKeys()
        try await h.run(cleanup: false) { client in
            let b = try await D.signedIn(client, h, cato)
            let (code, _) = try await D.makeCode(b)
            #expect(try await D.enrol(client, code: code, keys: keys).status == .created)
            let path = Paths.apiCustodianWhoami
            let now = h.clock.now()
            func refused(_ r: TestResponse, _ label: String) { #expect(r.status == .unauthorized, "\(label): \(r.status)") }
            // Six minutes off either way.
            refused(try await D.send(client, .get, path, headers: try D.headers(keys, method: "GET", path: path, time: now - 360)), "late")
            refused(try await D.send(client, .get, path, headers: try D.headers(keys, method: "GET", path: path, time: now + 360)), "early")
            // Path, query, method or body changed after signing.
            refused(try await D.send(client, .get, path, headers: try D.headers(keys, method: "GET", path: path + "?as=other", time: now)), "path")
            refused(try await D.send(client, .get, path + "?as=other", headers: try D.headers(keys, method: "GET", path: path, time: now)), "query")
            refused(try await D.send(client, .get, path, headers: try D.headers(keys, method: "POST", path: path, time: now)), "method")
            let secretBody = Array("{\"note\":\"TOP-SECRET-BODY\"}".utf8)
            refused(try await D.send(client, .get, path, headers: try D.headers(keys, method: "GET", path: path, body: secretBody, time: now),
                                     body: secretBody + [0x20]), "body")
            // A device nobody enrolled, a malformed time, a missing signature.
            refused(try await D.send(client, .get, path, headers: try D.headers(try DeviceKeys(), method: "GET", path: path, time: now)), "unknown")
            var plus = try D.headers(keys, method: "GET", path: path, time: now)
            plus[HTTPField.Name("Custos-Time")!] = "+\(now)"
            refused(try await D.send(client, .get, path, headers: plus), "time form")
            var unsigned = try D.headers(keys, method: "GET", path: path, time: now)
            unsigned[HTTPField.Name("Custos-Signature")!] = nil
            refused(try await D.send(client, .get, path, headers: unsigned), "unsigned")
            // Within five minutes it works, with the body it signed.
            let ok = try await D.send(client, .get, path, headers: try D.headers(keys, method: "GET", path: path, body: secretBody, time: now - 290),
                                      body: secretBody)
            #expect(ok.status == .ok)
            // Nonces are forgotten once the time check alone refuses their replay.
            #expect(try D.count(h, "device_request_nonces") == 1)
            h.clock.advance(11 * 60)
            #expect(try await D.send(client, .get, path, headers: try D.headers(keys, method: "GET", path: path, time: h.clock.now())).status == .ok)
            #expect(try D.count(h, "device_request_nonces") == 1)
        }
        let refusals = try D.audit(h, .deviceRequestRefused)
        #expect(refusals.count == 9)
        #expect(refusals.allSatisfy { !$0.details.contains("TOP-SECRET") && !$0.target.contains("TOP-SECRET") })
        #expect(refusals.filter { $0.details.contains("time out of range") }.count == 2)
        #expect(refusals.filter { $0.details.contains("bad signature") }.count == 4)
    }

    @Test func aReplacedDeviceAndADisabledCustodiansDeviceAreRefused() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let cato = try await h.person("cato", roles: [.custodian])
        let first = try DeviceKeys(), second = try DeviceKeys()
        try await h.run(cleanup: false) { client in
            let b = try await D.signedIn(client, h, cato)
            #expect(try await D.enrol(client, code: try await D.makeCode(b).code, keys: first).status == .created)
            #expect(try await D.enrol(client, code: try await D.makeCode(b).code, keys: second).status == .created)
            let path = Paths.apiCustodianWhoami
            let old = try await D.send(client, .get, path, headers: try D.headers(first, method: "GET", path: path, time: h.clock.now()))
            #expect(old.status == .unauthorized && D.error(old).contains("replaced"))
            #expect(try await D.send(client, .get, path, headers: try D.headers(second, method: "GET", path: path, time: h.clock.now())).status == .ok)
            let page = try await b.get(Paths.custodianDevice)
            #expect(page.text.contains(second.identity.fingerprint) && !page.text.contains(first.identity.fingerprint))
            try h.system.users.setDisabled(userID: cato.user.id, disabled: true, actor: .system("test"))
            #expect(try await D.send(client, .get, path, headers: try D.headers(second, method: "GET", path: path, time: h.clock.now())).status == .unauthorized)
            try h.system.users.setDisabled(userID: cato.user.id, disabled: false, actor: .system("test"))
            try h.system.users.setRoles(userID: cato.user.id, roles: [.auditor], actor: .system("test"))
            #expect(try await D.send(client, .get, path, headers: try D.headers(second, method: "GET", path: path, time: h.clock.now())).status == .unauthorized)
        }
        let revoked = try D.audit(h, .deviceRevoked)
        #expect(revoked.count == 1 && revoked[0].details.contains(first.identity.fingerprint))
        #expect(try D.audit(h, .deviceRequestRefused).map(\.details).filter { $0.contains("not an active custodian") }.count == 2)
    }

    @Test func theDataDirectoryHoldsOnlyTheDevicesPublicKeys() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let cato = try await h.person("cato", roles: [.custodian])
        let keys = try DeviceKeys()
        try await h.run(cleanup: false) { client in
            let b = try await D.signedIn(client, h, cato)
            #expect(try await D.enrol(client, code: try await D.makeCode(b).code, keys: keys).status == .created)
            let path = Paths.apiCustodianWhoami
            #expect(try await D.send(client, .get, path, headers: try D.headers(keys, method: "GET", path: path, time: h.clock.now())).status == .ok)
        }
        var everything: [UInt8] = []
        // The data directory and, on PostgreSQL, the database's own files.
        let files = (FileManager.default.enumerator(atPath: h.dir)?.compactMap { $0 as? String } ?? []).map { h.dir + "/" + $0 }
            + (TestDatabase.isPostgres ? try TestDatabase.storageFiles(h.system) : [])
        for file in files {
            if let data = FileManager.default.contents(atPath: file) { everything += [UInt8](data) }
        }
        #expect(files.contains { $0.hasSuffix(TestDatabase.isPostgres ? "pg_wal" : "custos.sqlite") || $0.contains("/base/") })
        // The public keys are there (so the search below looks in the right place) …
        #expect(SecretsAtRestTests.contains(everything, keys.identity.signingKey))
        #expect(SecretsAtRestTests.contains(everything, keys.identity.encryptionKey.bytes))
        // … and no secret half, in any form.
        #expect(!SecretsAtRestTests.contains(everything, keys.signing.seed), "Ed25519 seed in the data directory")
        #expect(!SecretsAtRestTests.contains(everything, Array(keys.signing.secretKey.prefix(32))))
        #expect(!SecretsAtRestTests.contains(everything, keys.scalar.bytes), "ristretto255 secret scalar in the data directory")
    }
}
