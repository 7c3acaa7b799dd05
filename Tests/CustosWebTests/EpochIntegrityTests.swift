@testable import CustosCrypto
import CustosCore
import CustosTestSupport
import CustosWeb
import Foundation
import HummingbirdTesting
import Testing

/// Root on the server edits an epoch after its custodians signed it (triggers dropped): the server stops
/// serving keys, refuses envelopes naming the epoch, and `custos verify` names it.
@Suite struct EpochIntegrityTests {
    static func alter(_ h: Harness, transcript: [UInt8], hash: [UInt8]? = nil) throws {
        try h.system.withRawDatabase { db in
            try db.dropTriggers("key_epochs_write_once")
            if let hash {
                _ = try db.run("UPDATE key_epochs SET transcript = ?, transcript_hash = ? WHERE epoch = 1", transcript, hash)
            } else {
                _ = try db.run("UPDATE key_epochs SET transcript = ? WHERE epoch = 1", transcript)
            }
        }
    }

    @Test(arguments: [false, true])
    func aTranscriptAlteredAfterSigningIsRefusedByTheServer(rehash: Bool) async throws {
        let f = try await ArchiveFixture.make()
        let h = f.harness
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let genuine = try #require(try h.system.ceremonies.chain().first).transcript
        // Swap one dealer's record of a share box, keep everything else (and, if asked, make the hash agree).
        var bytes = genuine.serialized
        bytes[bytes.count - 2 * 32 - 10] ^= 1
        let altered = try EpochTranscript(serialized: bytes)
        try Self.alter(h, transcript: altered.serialized, hash: rehash ? altered.hash : nil)
        try await h.run(cleanup: false) { client in
            let keys = try await client.execute(uri: "/api/v1/archive-keys", method: .get, headers: [:], body: nil)
            #expect(keys.status == .serviceUnavailable)
        }
        let (chain, problem) = try h.system.ceremonies.verifiedPrefix()
        #expect(chain.isEmpty && problem?.epoch == 1)
        let token = try #require(try h.system.captureTokens.authenticate(f.token))
        let result = try h.system.ingest.ingest([try f.item("after the edit", uid: "email:edited")], token: token, client: "test")
        #expect(result[0].status == .rejected)
        let report = try h.system.verifyArchive()
        #expect(!report.ok && report.failure?.contains("key epoch 1") == true, "\(report.failure ?? "")")
    }
}
