import CustosCaptureClient
import CustosCore
import CustosStore
import Foundation
import Testing

@Suite("What capture leaves behind: verifiable and write-once")
struct ArchiveIntegrityTests {
    @Test("verification holds after capture and names the message whose ciphertext was changed by raw SQL")
    func verifyAfterCaptureAndTamper() async throws {
        try await TestArchive.with { archive in
            let summary = try await archive.uploader(options: .init(batchSize: 5)).run(Samples.emails(12))
            #expect(summary.line == "captured 12, duplicates 0, rejected 0")
            let audit = try archive.system.verifyAudit()
            #expect(audit.ok, "\(audit.failure ?? "")")
            let before = try archive.system.verifyArchive()
            #expect(before.ok && before.messages == 12, "\(before.failure ?? "")")

            let victim = try archive.system.withRawDatabase { db in
                let id = try #require(try db.query("SELECT id FROM messages ORDER BY id LIMIT 1 OFFSET 6").first).int(0)
                try db.dropTriggers("envelopes_write_once")
                let changed = try db.run(db.portable("UPDATE envelopes SET ciphertext = zeroblob(length(ciphertext)) WHERE message_id = ?"), id)
                #expect(changed == 1)
                return id
            }
            let after = try archive.system.verifyArchive()
            #expect(!after.ok)
            #expect(after.failure?.contains("message \(victim)") == true, "\(after.failure ?? "no failure")")
        }
    }

    @Test("UPDATE and DELETE of archived messages, envelopes and participants by raw SQL fail")
    func writeOnce() async throws {
        try await TestArchive.with { archive in
            _ = try await archive.uploader().run(Samples.emails(3))
            let statements = [
                "UPDATE messages SET sent_at = 0", "DELETE FROM messages",
                "UPDATE envelopes SET nonce = zeroblob(24)", "DELETE FROM envelopes",
                "UPDATE message_participants SET part = 'bcc'", "DELETE FROM message_participants",
            ]
            for sql in statements {
                let changed = try? archive.system.withRawDatabase { db in try db.run(db.portable(sql)) }
                #expect(changed == nil, "\(sql) must fail")
            }
            #expect(try archive.count("SELECT count(*) FROM messages") == 3)
            #expect(try archive.count("SELECT count(*) FROM envelopes") == 3)
            #expect(try archive.count("SELECT count(*) FROM message_participants") == 6)
            #expect(try archive.count("SELECT count(*) FROM messages WHERE sent_at = 0") == 0)
            #expect(try archive.system.verifyArchive().ok)
        }
    }
}
