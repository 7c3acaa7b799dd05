@testable import CustosCrypto
import Foundation
import Testing

/// Custodian keys under Argon2id (64 MiB, t = 3) and the approval path. Each derivation costs ~0.1–0.3 s.
@Suite struct CustodianKeyTests {
    @Test func wrapStoresCustodianParametersAndUnwraps() throws {
        let wrapped = try CustodianKey.create(passphrase: "correct horse battery staple")
        #expect(wrapped.parameters == Argon2id.Parameters.custodian)
        #expect(wrapped.parameters.memoryKiB == 65536 && wrapped.parameters.iterations == 3 && wrapped.parameters.parallelism == 1)
        #expect(wrapped.salt.count == 16 && wrapped.sealedSecret.count == 72)
        let keyPair = try CustodianKey.unwrap(wrapped, passphrase: "correct horse battery staple")
        #expect(keyPair.publicKey == wrapped.publicKey)
        #expect(cryptoErrorKind { try CustodianKey.unwrap(wrapped, passphrase: "correct horse battery stapler") } == "authenticationFailed")
        #expect(cryptoErrorKind { try CustodianKey.create(passphrase: "") } == "invalidInput")
        // Two wraps of the same passphrase use different salts and keys.
        #expect(try CustodianKey.create(passphrase: "correct horse battery staple").salt != wrapped.salt)
    }

    @Test func storedFieldsAreBoundToTheCiphertext() throws {
        let passphrase = "tamper-evident"
        let wrapped = try CustodianKey.create(passphrase: passphrase)
        let stronger = Argon2id.Parameters(memoryKiB: 65536, iterations: 4, parallelism: 1)
        let altered = try WrappedCustodianKey(publicKey: wrapped.publicKey, salt: wrapped.salt, parameters: stronger,
                                              sealedSecret: wrapped.sealedSecret)
        #expect(cryptoErrorKind { try CustodianKey.unwrap(altered, passphrase: passphrase) } == "authenticationFailed")
        let otherKey = try WrappedCustodianKey(publicKey: X25519KeyPair().publicKey, salt: wrapped.salt,
                                               parameters: wrapped.parameters, sealedSecret: wrapped.sealedSecret)
        #expect(cryptoErrorKind { try CustodianKey.unwrap(otherKey, passphrase: passphrase) } == "authenticationFailed")
        // Costs below the custodian minimum (or absurdly high) are refused before any derivation.
        for weak in [Argon2id.Parameters.password, Argon2id.Parameters(memoryKiB: 65536, iterations: 2, parallelism: 1),
                     Argon2id.Parameters(memoryKiB: 1 << 30, iterations: 3, parallelism: 1)] {
            #expect(cryptoErrorKind { try WrappedCustodianKey(publicKey: wrapped.publicKey, salt: wrapped.salt, parameters: weak,
                                                              sealedSecret: wrapped.sealedSecret) } == "invalidInput")
        }
    }

    @Test func serialisationIsStable() throws {
        let wrapped = try WrappedCustodianKey(publicKey: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
                                              parameters: .custodian, sealedSecret: [UInt8](repeating: 3, count: 72))
        let bytes = wrapped.serialized
        #expect(bytes.count == 133)
        #expect(Array(bytes[49..<61]) == hexBytes("00010000" + "00000003" + "00000001"))
        #expect(try WrappedCustodianKey(serialized: bytes) == wrapped)
        #expect(try JSONDecoder().decode(WrappedCustodianKey.self, from: JSONEncoder().encode(wrapped)) == wrapped)
        #expect(cryptoErrorKind { try WrappedCustodianKey(serialized: bytes + [0]) } == "invalidInput")
        #expect(cryptoErrorKind { try WrappedCustodianKey(serialized: Array(bytes.dropLast())) } == "invalidInput")
    }

    @Test func ceremonyApprovalsAndOpening() throws {
        let passphrases = ["first custodian phrase", "second custodian phrase", "third custodian phrase"]
        let custodians = try passphrases.map { try CustodianKey.create(passphrase: $0) }
        let ceremony = try ThresholdKey.ceremony(epoch: 1, threshold: 2, custodianPublicKeys: custodians.map(\.publicKey))
        let envelopes = try (0..<3).map {
            try Envelope.seal(Array("message \($0)".utf8), header: EnvelopeHeader(uid: "c\($0)", epoch: 1, platform: "teams", sentAt: 5),
                              publicKey: ceremony.publicKey)
        }
        let rs = envelopes.map(\.ephemeralPublic)
        try CustodianKey.verifyShare(passphrase: passphrases[2], wrappedKey: custodians[2], sealedShare: ceremony.sealedShares[2],
                                     commitments: ceremony.commitments)
        let approvals = try [0, 2].map {
            try CustodianKey.approve(passphrase: passphrases[$0], wrappedKey: custodians[$0], sealedShare: ceremony.sealedShares[$0],
                                     commitments: ceremony.commitments, ephemeralKeys: rs)
        }
        for (i, envelope) in envelopes.enumerated() {
            let partials = approvals.map { $0[i] }
            #expect(partials.allSatisfy { $0.verify(ephemeralPublic: envelope.ephemeralPublic, commitments: ceremony.commitments) })
            #expect(try envelope.open(partials: partials, commitments: ceremony.commitments) == Array("message \(i)".utf8))
            #expect(cryptoErrorKind { try envelope.open(partials: [partials[0]], commitments: ceremony.commitments) } == "invalidInput")
        }
        // The wrong passphrase, another custodian's share, or the wrong epoch's commitments are refused.
        #expect(cryptoErrorKind { try CustodianKey.approve(passphrase: passphrases[1], wrappedKey: custodians[0],
            sealedShare: ceremony.sealedShares[0], commitments: ceremony.commitments, ephemeralKeys: rs) } == "authenticationFailed")
        #expect(cryptoErrorKind { try CustodianKey.approve(passphrase: passphrases[0], wrappedKey: custodians[0],
            sealedShare: ceremony.sealedShares[1], commitments: ceremony.commitments, ephemeralKeys: rs) } == "invalidKey")
        let (otherEpoch, _) = try ThresholdKey.generate(epoch: 2, threshold: 2, shareCount: 3)
        #expect(cryptoErrorKind { try CustodianKey.verifyShare(passphrase: passphrases[0], wrappedKey: custodians[0],
            sealedShare: ceremony.sealedShares[0], commitments: otherEpoch) } == "invalidInput")
    }

    @Test func corruptedShareIsCaughtAtApproval() throws {
        let passphrase = "a custodian with a bad share"
        let wrapped = try CustodianKey.create(passphrase: passphrase)
        let (commitments, _) = try ThresholdKey.generate(epoch: 1, threshold: 2, shareCount: 2)
        // A well-formed share (version 1, epoch 1, index 1) whose value is not on the committed polynomial.
        var plaintext: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]
        plaintext += Ristretto255.Scalar.random().bytes
        let sealed = try SealedShare(epoch: 1, index: 1, custodianPublicKey: wrapped.publicKey,
                                     sealed: SealedBox.seal(plaintext, to: wrapped.publicKey))
        #expect(cryptoErrorKind { try CustodianKey.approve(passphrase: passphrase, wrappedKey: wrapped, sealedShare: sealed,
                                                           commitments: commitments, ephemeralKeys: [.generator]) } == "invalidKey")
    }

    @Test func changingThePassphraseKeepsTheKey() throws {
        let wrapped = try CustodianKey.create(passphrase: "old phrase")
        let rewrapped = try CustodianKey.changePassphrase(wrapped, from: "old phrase", to: "new phrase")
        #expect(rewrapped.publicKey == wrapped.publicKey && rewrapped.salt != wrapped.salt)
        #expect(cryptoErrorKind { try CustodianKey.unwrap(rewrapped, passphrase: "old phrase") } == "authenticationFailed")
        #expect(try CustodianKey.unwrap(rewrapped, passphrase: "new phrase").publicKey == wrapped.publicKey)
    }
}
