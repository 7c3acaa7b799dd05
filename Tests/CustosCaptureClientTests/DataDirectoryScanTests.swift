import CustosCaptureClient
import CustosCore
import CustosCrypto
import CustosTestSupport
import CustosWeb
import Foundation
import Testing

/// P2 as root on the server sees it, after everything that touches keys has happened: a ceremony among the
/// custodians' devices, a capture, a request approved by k custodians from their devices, content read under
/// the grant and the grant ended. Every file of the data directory is searched for every secret the devices
/// hold (encryption secrets, signing seeds, shares), for the archive secret two shares define, and for the
/// grant's message keys: none is there, in bytes or in hex.
@Suite struct DataDirectoryScanTests {
    @Test func afterACeremonyACaptureAndKApprovalsNoSecretIsInTheDataDirectory() async throws {
        try await TestArchive.with { archive in
            let system = archive.system
            let summary = try await archive.uploader().run(Samples.emails(12))
            #expect(summary.captured == 12)
            let auditor = try await system.users.provisionReady(username: "scanaud", displayName: "Scan Auditor", roles: [.auditor],
                                                                password: Credentials.oneTimePassword(), totpSecret: nil, actor: .system("test"))
            let security = try await system.users.provisionReady(username: "scansec", displayName: "Scan Security", roles: [.security],
                                                                 password: Credentials.oneTimePassword(), totpSecret: nil, actor: .system("test"))
            let asAuditor = Actor(userID: auditor.id, username: auditor.username, role: .auditor, client: "test")
            let ids = try system.withRawDatabase { db in try db.query("SELECT id FROM messages ORDER BY id").map { try $0.int(0) } }
            let request = try system.decryption.file(messageIDs: ids, justification: "Scanning the data directory after a grant.",
                                                     reference: "SCAN-1", hours: 1, user: auditor, actor: asAuditor)
            try await CeremonyDriver.approve(request, by: archive.custodians[0], system: system)
            guard case .granted = try await CeremonyDriver.approve(request, by: archive.custodians[2], system: system) else {
                Issue.record("two approvals did not open the grant")
                return
            }
            let opened = try system.decryption.openContent(messageID: ids[0], user: auditor, actor: asAuditor)
            #expect(!opened.message.content.isEmpty)
            let grantKeys = try system.withRawDatabase { db in
                try db.query("SELECT sealed FROM grant_keys WHERE request_id = ?", request).map { try $0.blob(0) }
            }
            #expect(grantKeys.count == ids.count)
            try system.decryption.revoke(id: request, reason: "scan finished",
                                         actor: Actor(userID: security.id, username: security.username, role: .security, client: "test"))

            var needles = try archive.custodians.flatMap { try $0.secrets() }
            let commitments = try #require(try system.ceremonies.chain().first).commitments
            let shares = try archive.custodians.prefix(2).map { c in
                try c.withDevice { (try #require($0.shareIndex(epoch: 1)), try CeremonyDriver.shareScalar(of: $0, epoch: 1)) }
            }
            let secret = try P2Checks.lagrangeAtZero((shares[0].0, shares[0].1), (shares[1].0, shares[1].1))
            #expect(try Ristretto255.Point.baseMultiple(secret) == commitments.publicKey.point, "s rebuilt here, in the test only")
            needles.append(secret.bytes)
            // A revoked grant's keys are deleted and, on SQLite, forgotten for good (secure_delete and a truncated WAL).
            // PostgreSQL keeps deleted row versions until VACUUM and its WAL until recycled, and the application role
            // may not vacuum: there a deleted grant key stays on disk for a while (README, "What holds on PostgreSQL").
            if TestDatabase.isSQLite { needles += grantKeys.map { Array($0.suffix(32)) } }
            let grantNeedles = TestDatabase.isSQLite ? ids.count : 0
            #expect(needles.count == 10 + grantNeedles)
            // The data directory and, on PostgreSQL, the database's own files (a thief of the storage has both).
            let files = P2Checks.allFiles(under: archive.dir) + (TestDatabase.isPostgres ? try TestDatabase.storageFiles(archive.system) : [])
            #expect(files.contains { $0.hasSuffix("custos.sqlite") || $0.contains("/base/") } && files.contains { $0.hasSuffix("keys/metadata.key") })
            for path in files {
                for needle in needles {
                    #expect(!ByteHaystack.file(path, contains: needle), "\(path) holds a secret")
                    #expect(!ByteHaystack.file(path, contains: Array(Hex.encode(needle).utf8)), "\(path) holds a secret in hex")
                }
            }
        }
    }
}
