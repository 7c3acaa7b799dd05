import CustosCrypto
import Foundation
import Testing

/// A custodian device's public identity, its fingerprint, and the bytes it signs to enrol and to make requests.
@Suite struct DeviceIdentityTests {
    /// RFC 8032 §7.1 TEST 1: seed and public key.
    static let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let publicKey = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func fixedIdentity() throws -> DeviceIdentity {
        try DeviceIdentity(encryptionKey: Ristretto255.Point.generator, signingKey: publicKey)
    }

    @Test func fingerprintOfAFixedKeyIsStable() throws {
        // Computed apart from this code: Python's hashlib.blake2b(prefix + Y + V, digest_size=32), first 16 bytes.
        let identity = try Self.fixedIdentity()
        #expect(identity.fingerprint == "003c-9cd2-05d0-824f-2d5a-befa-32e0-b24b")
        #expect(identity.fingerprint == (try Self.fixedIdentity()).fingerprint)
        // Either key changes it.
        let other = try DeviceIdentity(encryptionKey: Ristretto255.Point.baseMultiple(Ristretto255.Scalar(2)), signingKey: Self.publicKey)
        #expect(other.fingerprint != identity.fingerprint)
        let otherSigner = try DeviceIdentity(encryptionKey: .generator, signingKey: Ed25519.generateKeyPair().publicKey)
        #expect(otherSigner.fingerprint != identity.fingerprint)
        #expect(identity.fingerprint.wholeMatch(of: /[0-9a-f]{4}(-[0-9a-f]{4}){7}/) != nil)
    }

    @Test func identityElementAndBadSigningKeysAreRefused() throws {
        #expect(throws: CryptoError.self) { try DeviceIdentity(encryptionKey: .identity, signingKey: Self.publicKey) }
        #expect(throws: CryptoError.self) { try DeviceIdentity(encryptionKey: .generator, signingKey: Array(Self.publicKey.prefix(31))) }
        #expect(throws: CryptoError.self) { try DeviceIdentity(encryptionKey: .generator, signingKey: Self.publicKey + [0]) }
        // The Ed25519 identity point (small order) and a non-canonical y are not keys.
        #expect(throws: CryptoError.self) { try DeviceIdentity(encryptionKey: .generator, signingKey: [1] + [UInt8](repeating: 0, count: 31)) }
        #expect(throws: CryptoError.self) { try DeviceIdentity(encryptionKey: .generator, signingKey: [UInt8](repeating: 0xff, count: 32)) }
        #expect(throws: CryptoError.self) { try DeviceIdentity(encryptionKey: [UInt8](repeating: 0, count: 32), signingKey: Self.publicKey) }
        #expect(throws: CryptoError.self) { try DeviceIdentity(encryptionKey: [UInt8](repeating: 0xff, count: 32), signingKey: Self.publicKey) }
    }

    @Test func enrolmentMessageLayout() throws {
        let identity = try Self.fixedIdentity()
        let message = DeviceEnrolment.message(code: "enr_ABC", identity: identity)
        let prefix = Array("custos/v1/device-enrol".utf8)
        #expect(message.count == prefix.count + 32 + 32 + 32)
        #expect(Array(message.prefix(prefix.count)) == prefix)
        #expect(Array(message[prefix.count..<prefix.count + 32]) == BLAKE2b.hash(Array("enr_ABC".utf8)))
        #expect(Array(message[prefix.count + 32..<prefix.count + 64]) == Ristretto255.Point.generator.bytes)
        #expect(Array(message.suffix(32)) == Self.publicKey)
        #expect(DeviceEnrolment.message(code: "enr_ABD", identity: identity) != message)
    }

    @Test func requestMessageLayout() {
        let message = DeviceRequestSignature.message(method: "POST", path: "/api/v1/custodian/x?y=1", body: Array("{\"a\":1}".utf8),
                                                     time: 1_767_225_600, nonce: "AAAAAAAAAAAAAAAAAAAAAA==")
        // The body hash was computed apart from this code (Python's hashlib.blake2b, digest_size=32).
        let expected = "custos/v1/device-request\nPOST\n/api/v1/custodian/x?y=1\n"
            + "10a7ff3e312baec0c356be489739b93f63af84416c40f1c13023eb96c7ed50aa\n1767225600\nAAAAAAAAAAAAAAAAAAAAAA=="
        #expect(String(decoding: message, as: UTF8.self) == expected)
        let empty = DeviceRequestSignature.message(method: "GET", path: "/", body: [], time: -5, nonce: "n")
        #expect(String(decoding: empty, as: UTF8.self)
                == "custos/v1/device-request\nGET\n/\n0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8\n-5\nn")
    }

    @Test func signedHeadersVerifyAndAnyOneBitChangeFails() throws {
        let pair = try Ed25519.keyPair(seed: Self.seed)
        let body = Array("{\"request\":7}".utf8)
        let headers = try DeviceRequestSignature.headers(method: "POST", path: "/api/v1/custodian/approve", body: body, time: 1_767_225_600,
                                                         signingSecretKey: pair.secretKey, signingKey: pair.publicKey)
        let values = Dictionary(uniqueKeysWithValues: headers)
        #expect(headers.map(\.0) == ["Custos-Device", "Custos-Time", "Custos-Nonce", "Custos-Signature"])
        let deviceText = try #require(values["Custos-Device"])
        #expect(DeviceRequestSignature.bytes(base64: deviceText) == pair.publicKey)
        #expect(values["Custos-Time"] == "1767225600")
        let nonce = try #require(values["Custos-Nonce"])
        #expect(DeviceRequestSignature.bytes(base64: nonce)?.count == 16)
        let signatureText = try #require(values["Custos-Signature"])
        let signature = try #require(DeviceRequestSignature.bytes(base64: signatureText))
        let message = DeviceRequestSignature.message(method: "POST", path: "/api/v1/custodian/approve", body: body,
                                                     time: 1_767_225_600, nonce: nonce)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))

        // Every single-bit change of the signed bytes, the signature or the key fails.
        for bit in 0..<(message.count * 8) {
            var changed = message
            changed[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!Ed25519.verify(signature: signature, message: changed, publicKey: pair.publicKey), "message bit \(bit)")
        }
        for bit in 0..<(64 * 8) {
            var changed = signature
            changed[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!Ed25519.verify(signature: changed, message: message, publicKey: pair.publicKey), "signature bit \(bit)")
        }
        for bit in 0..<(32 * 8) {
            var changed = pair.publicKey
            changed[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!Ed25519.verify(signature: signature, message: message, publicKey: changed), "key bit \(bit)")
        }
        // Each field the server rebuilds from the request is covered.
        for other in [DeviceRequestSignature.message(method: "PUT", path: "/api/v1/custodian/approve", body: body, time: 1_767_225_600, nonce: nonce),
                      DeviceRequestSignature.message(method: "POST", path: "/api/v1/custodian/approvE", body: body, time: 1_767_225_600, nonce: nonce),
                      DeviceRequestSignature.message(method: "POST", path: "/api/v1/custodian/approve", body: body + [0], time: 1_767_225_600, nonce: nonce),
                      DeviceRequestSignature.message(method: "POST", path: "/api/v1/custodian/approve", body: body, time: 1_767_225_601, nonce: nonce),
                      DeviceRequestSignature.message(method: "POST", path: "/api/v1/custodian/approve", body: body, time: 1_767_225_600, nonce: nonce + "x")] {
            #expect(!Ed25519.verify(signature: signature, message: other, publicKey: pair.publicKey))
        }
        // Two requests never share a nonce.
        let again = try DeviceRequestSignature.headers(method: "POST", path: "/api/v1/custodian/approve", body: body, time: 1_767_225_600,
                                                       signingSecretKey: pair.secretKey, signingKey: pair.publicKey)
        #expect(Dictionary(uniqueKeysWithValues: again)["Custos-Nonce"] != nonce)
    }

    @Test func enrolmentProofVerifiesOnlyForItsCodeAndKeys() throws {
        let pair = try Ed25519.keyPair(seed: Self.seed)
        let identity = try Self.fixedIdentity()
        let proof = try Ed25519.sign(DeviceEnrolment.message(code: "enr_CODE", identity: identity), secretKey: pair.secretKey)
        #expect(Ed25519.verify(signature: proof, message: DeviceEnrolment.message(code: "enr_CODE", identity: identity), publicKey: identity.signingKey))
        #expect(!Ed25519.verify(signature: proof, message: DeviceEnrolment.message(code: "enr_CODF", identity: identity), publicKey: identity.signingKey))
        let swapped = try DeviceIdentity(encryptionKey: Ristretto255.Point.baseMultiple(Ristretto255.Scalar(3)), signingKey: Self.publicKey)
        #expect(!Ed25519.verify(signature: proof, message: DeviceEnrolment.message(code: "enr_CODE", identity: swapped), publicKey: swapped.signingKey))
    }
}
