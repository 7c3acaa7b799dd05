import CustosCore
import CustosCrypto
import CustosStore
import CustosTestSupport
import Foundation
import Testing

/// P2: with everything in the data directory and no custodian device, no envelope opens, and no share
/// (nor the secret they define) lies anywhere in it; with two custodians' devices, envelopes open to the
/// original bytes.
enum P2Checks {
    /// One stored envelope, as the database holds it.
    struct Stored {
        var uid: String
        var envelope: Envelope
    }

    static func dataDirectoryOpensNothing(_ archive: TestArchive, _ mails: [RawMail]) throws {
        let (commitments, custodians) = try keyMaterial(archive)
        let sample = try storedEnvelopes(archive, every: max(1, mails.count / 40))
        #expect(sample.count >= 20)

        // 1. No share s_i, nor the secret s they define, lies anywhere in the directory in clear. The shares come
        //    from the custodians' devices (here, in memory); s is rebuilt from two of them in this test only.
        var shares: [(index: Int, scalar: Ristretto255.Scalar)] = []
        for c in custodians {
            shares.append(try c.withDevice { device in
                let index = try #require(device.shareIndex(epoch: commitments.epoch))
                return (index, try CeremonyDriver.shareScalar(of: device, epoch: commitments.epoch))
            })
            #expect(try Ristretto255.Point.baseMultiple(shares.last!.scalar) == commitments.publicShare(for: shares.last!.index), "share extracted as s_i")
        }
        let secret = try lagrangeAtZero(shares[0], shares[1])
        #expect(try Ristretto255.Point.baseMultiple(secret) == commitments.publicKey.point, "s rebuilt in the test only")
        let files = allFiles(under: archive.dir)
        #expect(files.contains { $0.hasSuffix("keys/metadata.key") })
        for needle in shares.map(\.scalar.bytes) + [secret.bytes] {
            for path in files {
                #expect(!ByteHaystack.file(path, contains: needle), "\(path) holds key material in clear")
                #expect(!ByteHaystack.file(path, contains: Array(Hex.encode(needle).utf8)), "\(path) holds key material in hex")
            }
        }

        // 2. Every 32 bytes of server key material fails as Z, as the message key and as a scalar.
        var candidates: [[UInt8]] = []
        for path in files where path.contains("/keys/") {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            if let decoded = Hex.decode(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
                candidates.append(contentsOf: windows(decoded))
            }
            candidates.append(contentsOf: windows(bytes))
        }
        candidates += commitments.points.map(\.bytes)
        #expect(candidates.count >= 3)
        var attempts = 0
        for stored in sample.prefix(10) {
            let e = stored.envelope
            for c in candidates + [e.ephemeralPublic.bytes] {
                if let z = try? Ristretto255.Point(bytes: c) {
                    #expect(throws: (any Error).self) { try e.open(combinedKey: z, publicKey: commitments.publicKey) }
                }
                #expect(throws: (any Error).self) {
                    try XChaCha20Poly1305.open(e.ciphertext, key: c, nonce: e.nonce, additionalData: e.header.canonicalEncoding)
                }
                let scalar = try Ristretto255.Scalar(reducing: c + [UInt8](repeating: 0, count: 32))
                if let z = try? e.ephemeralPublic.multiplied(by: scalar) {
                    #expect(throws: (any Error).self) { try e.open(combinedKey: z, publicKey: commitments.publicKey) }
                }
                attempts += 3
            }
        }
        #expect(attempts > 0)

        // 3. Positive control: any two custodians' partials open the envelopes to the files' exact bytes.
        let byUID = Dictionary(mails.map { ($0.uid, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        let ephemeral = sample.map(\.envelope.ephemeralPublic)
        let partials = try custodians.map { c in
            try c.withDevice { try $0.partialDecryptions(commitments: commitments, ephemeralKeys: ephemeral) }
        }
        for (j, stored) in sample.enumerated() {
            let pair = [(0, 1), (1, 2), (0, 2)][j % 3]
            let plaintext = try stored.envelope.open(partials: [partials[pair.0][j], partials[pair.1][j]], commitments: commitments)
            #expect(plaintext == byUID[stored.uid], "message \(stored.uid) opens to its file's bytes")
            #expect(throws: (any Error).self) { try stored.envelope.open(partials: [partials[pair.0][j]], commitments: commitments) }
        }
    }

    static func keyMaterial(_ archive: TestArchive) throws -> (FeldmanCommitments, [TestCustodian]) {
        let commitments = try archive.system.withRawDatabase { db in
            try FeldmanCommitments(serialized: try #require(db.query("SELECT commitments FROM key_epochs WHERE epoch = 1").first).blob(0))
        }
        return (commitments, archive.custodians)
    }

    /// Every `every`-th stored message with its envelope, rebuilt with all of `Envelope`'s checks.
    static func storedEnvelopes(_ archive: TestArchive, every: Int) throws -> [Stored] {
        try archive.system.withRawDatabase { db in
            let rows = try db.query("""
                SELECT m.uid, m.ciphertext_hash, e.header, e.ephemeral, e.nonce, e.ciphertext
                FROM messages m JOIN envelopes e ON e.message_id = m.id WHERE m.id % ? = 0 ORDER BY m.id
                """, every)
            return try rows.map { r in
                Stored(uid: try r.text(0), envelope: try Envelope(
                    header: EnvelopeHeader(canonicalEncoding: r.blob(2)), ephemeralPublic: Ristretto255.Point(bytes: r.blob(3)),
                    nonce: r.blob(4), ciphertext: r.blob(5), ciphertextHash: r.blob(1)))
            }
        }
    }

    /// s = λ_a·s_a + λ_b·s_b at x = 0 (test-only: the product never rebuilds s).
    static func lagrangeAtZero(_ a: (index: Int, scalar: Ristretto255.Scalar), _ b: (index: Int, scalar: Ristretto255.Scalar)) throws
        -> Ristretto255.Scalar {
        let xa = Ristretto255.Scalar(UInt64(a.index))
        let xb = Ristretto255.Scalar(UInt64(b.index))
        let la = xb * (try (xb - xa).inverted())
        let lb = xa * (try (xa - xb).inverted())
        return la * a.scalar + lb * b.scalar
    }

    static func windows(_ bytes: [UInt8]) -> [[UInt8]] {
        guard bytes.count >= 32 else { return [] }
        return (0...(bytes.count - 32)).map { Array(bytes[$0..<($0 + 32)]) }
    }

    static func allFiles(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = (root as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
        }
        return files
    }
}
