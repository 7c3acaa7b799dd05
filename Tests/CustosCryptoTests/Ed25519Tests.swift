import CustosCrypto
import Foundation
import Testing

/// Ed25519 against RFC 8032 / SUPERCOP known answers and the CCTV verification edge cases.
@Suite struct Ed25519Tests {
    /// One Ed25519 known answer.
    private struct SignVector {
        let seed: [UInt8], publicKey: [UInt8], signature: [UInt8], message: [UInt8]
    }

    /// Rows of ed25519_sign_vectors_from_sign.c.tsv: seed, public key, signature, message (hex).
    private func signVectors() throws -> [SignVector] {
        let text = try Corpus.text("vectors/libsodium-test-default/ed25519_sign_vectors_from_sign.c.tsv")
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(columns.count == 4)
            return SignVector(seed: try #require(Corpus.bytes(hex: columns[0])),
                              publicKey: try #require(Corpus.bytes(hex: columns[1])),
                              signature: try #require(Corpus.bytes(hex: columns[2])),
                              message: try #require(Corpus.bytes(hex: columns[3])))
        }
    }

    /// All 1,024 vectors: key derivation, deterministic signature and verification, byte-exact.
    /// Rows 1-3 are RFC 8032 §7.1 TEST 1-3.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func libsodiumAndRFC8032SignVectors() throws {
        let vectors = try signVectors()
        #expect(vectors.count == 1024)
        #expect(Corpus.hex(vectors[0].publicKey) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        for (row, vector) in vectors.enumerated() {
            let pair = try Ed25519.keyPair(seed: vector.seed)
            #expect(pair.publicKey == vector.publicKey, "row \(row + 1)")
            #expect(pair.secretKey == vector.seed + vector.publicKey, "row \(row + 1)")
            #expect(try Ed25519.sign(vector.message, secretKey: pair.secretKey) == vector.signature, "row \(row + 1)")
            #expect(Ed25519.verify(signature: vector.signature, message: vector.message, publicKey: vector.publicKey))
            var forged = vector.signature
            forged[row % 64] ^= 0x01
            #expect(!Ed25519.verify(signature: forged, message: vector.message, publicKey: vector.publicKey),
                    "row \(row + 1)")
        }
    }

    @Test func generatedKeysSignAndVerify() throws {
        let pair = Ed25519.generateKeyPair()
        #expect(pair.publicKey.count == 32)
        #expect(pair.secretKey.count == 64)
        #expect(Array(pair.secretKey[32...]) == pair.publicKey)
        let reloaded = try Ed25519.keyPair(seed: pair.seed)
        #expect(reloaded.publicKey == pair.publicKey && reloaded.secretKey == pair.secretKey)
        let message = Array("checkpoint seq=42".utf8)
        let signature = try Ed25519.sign(message, secretKey: pair.secretKey)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: Array("checkpoint seq=43".utf8), publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: Ed25519.generateKeyPair().publicKey))
        #expect(Ed25519.generateKeyPair().publicKey != pair.publicKey)
    }

    @Test func wrongLengthsThrowOrFail() throws {
        let pair = Ed25519.generateKeyPair()
        #expect(throws: CryptoError.self) { try Ed25519.keyPair(seed: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: CryptoError.self) { try Ed25519.sign([1], secretKey: Array(pair.secretKey.prefix(32))) }
        let signature = try Ed25519.sign([1], secretKey: pair.secretKey)
        #expect(!Ed25519.verify(signature: Array(signature.dropLast()), message: [1], publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature + [0], message: [1], publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: [1], publicKey: Array(pair.publicKey.dropLast())))
        #expect(!Ed25519.verify(signature: [], message: [1], publicKey: []))
    }

    /// One CCTV vector; `flags` is null for the plain valid signature.
    private struct EdgeCase: Decodable {
        let number: Int, key: String, sig: String, msg: String, flags: [String]?
    }

    /// CCTV "Taming the many EdDSAs" vectors. Required by RFC 8032: reject non-canonical A and R.
    /// Documented for libsodium: small-order public keys (and R) are rejected; its verifier is
    /// cofactorless, so low-order residues fail. What remains, points with only a low-order
    /// *component*, verifies: the README's ed25519-dalek `verify_strict` class. Pinning the whole
    /// partition means a libsodium upgrade that changes verification is noticed here.
    @Test(.enabled(if: Corpus.isAvailable, Corpus.absentMessage))
    func cctvEdgeCases() throws {
        let cases = try JSONDecoder().decode(
            [EdgeCase].self, from: Corpus.data("vectors/ed25519-cctv-edge-cases/ed25519/ed25519vectors.json"))
        #expect(cases.count == 914)
        let rejectedFlags: Set = ["low_order_A", "low_order_R", "non_canonical_A", "non_canonical_R", "low_order_residue"]
        var accepted = 0
        for edge in cases {
            let verified = Ed25519.verify(signature: try #require(Corpus.bytes(hex: edge.sig)),
                                          message: Array(edge.msg.utf8),
                                          publicKey: try #require(Corpus.bytes(hex: edge.key)))
            let mustReject = !rejectedFlags.isDisjoint(with: edge.flags ?? [])
            #expect(verified == !mustReject, "vector \(edge.number) flags \(edge.flags ?? [])")
            if verified { accepted += 1 }
        }
        #expect(accepted == 43)
    }
}
