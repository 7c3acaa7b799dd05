@testable import CustosCrypto
import Foundation
import Testing

/// The custodian's key file: only its passphrase opens it, every field is bound, shares survive a reseal.
@Suite struct CustodianKeyFileTests {
    @Test func onlyThePassphraseOpensItAndSharesSurviveResealing() throws {
        let file = try CustodianKeyFile.create(passphrase: "correct horse battery staple")
        let device = try file.unlock(passphrase: "correct horse battery staple")
        #expect(device.identity == file.identity)
        #expect(cryptoErrorKind { try file.unlock(passphrase: "correct horse battery stapler") } == "authenticationFailed")
        #expect(cryptoErrorKind { try file.unlock(passphrase: "") } == "invalidInput")

        // A 1-of-1 epoch gives the device a share; it is kept across seal and unlock.
        let epoch = try CeremonyHarness.newKey([device], k: 1)
        #expect(device.shareIndex(epoch: 1) == 1)
        let resealed = try device.sealed(passphrase: "a new passphrase for the file")
        #expect(resealed.salt != file.salt)
        let again = try resealed.unlock(passphrase: "a new passphrase for the file")
        #expect(again.identity == device.identity && again.shareMatches(epoch: 1, commitments: epoch.transcript.feldman))
        again.forgetShare(epoch: 1)
        #expect(again.shareIndex(epoch: 1) == nil)

        // JSON round trip; a lowered cost or swapped identity is refused or fails to open.
        let json = try JSONEncoder().encode(resealed)
        #expect(try JSONDecoder().decode(CustodianKeyFile.self, from: json) == resealed)
        let cheap = Argon2id.Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)
        #expect(cryptoErrorKind { try CustodianKeyFile(identity: resealed.identity, salt: resealed.salt, parameters: cheap, sealed: resealed.sealed) } == "invalidInput")
        let other = try CeremonyHarness.device().identity
        let swapped = try CustodianKeyFile(identity: other, salt: resealed.salt, parameters: resealed.parameters, sealed: resealed.sealed)
        #expect(cryptoErrorKind { try swapped.unlock(passphrase: "a new passphrase for the file") } == "authenticationFailed")
        // The file holds no secret in clear.
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(resealed.identity.fingerprint) && text.contains("custos-custodian-key\\/1"))
    }

    @Test func signaturesVerifyUnderTheDeviceKey() throws {
        let device = try CeremonyHarness.device()
        let message = Array("hello".utf8)
        let signature = try device.sign(message)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: device.identity.signingKey))
        let headers = try device.requestHeaders(method: "POST", path: "/api/v1/x", body: [1, 2], time: 1_700_000_000)
        let values = Dictionary(uniqueKeysWithValues: headers)
        let nonce = try #require(values[DeviceRequestSignature.nonceHeader])
        let sig = try ThresholdWire.bytes(base64: try #require(values[DeviceRequestSignature.signatureHeader]))
        let signed = DeviceRequestSignature.message(method: "POST", path: "/api/v1/x", body: [1, 2], time: 1_700_000_000, nonce: nonce)
        #expect(Ed25519.verify(signature: sig, message: signed, publicKey: device.identity.signingKey))
        let altered = DeviceRequestSignature.message(method: "POST", path: "/api/v1/x", body: [1, 3], time: 1_700_000_000, nonce: nonce)
        #expect(!Ed25519.verify(signature: sig, message: altered, publicKey: device.identity.signingKey))
    }
}
