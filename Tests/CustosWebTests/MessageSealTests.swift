import CustosCore
import CustosCrypto
import CustosStore
import CustosWeb
import Foundation
import Testing

/// Issue 18, point 11: the adversary has the database file and drops the write-once triggers. Every index field and
/// envelope part that holds, retention, search or decryption act on is covered by the audited seal: verify names the
/// edit, disposition keeps the message it would otherwise destroy, and custodians are not asked to decrypt an R the
/// capture client never sent.
@Suite("Message seals: edits behind the triggers (issue 18, point 11)")
struct MessageSealTests {
    /// The triggers a thief with the database's credentials takes out of the way first.
    static func dropTriggers(_ db: any SQLDatabase) throws {
        try db.dropTriggers("messages_write_once", "message_participants_write_once", "message_participants_no_delete",
                            "envelopes_write_once")
    }

    /// (what is edited, the edit on message `$1` with another message `$2` to borrow from, the group verify must name)
    static let edits: [(String, String, String)] = [
        ("sent time", "UPDATE messages SET sent_at = sent_at - 3650 * 86400 WHERE id = $1", "sent time"),
        ("platform", "UPDATE messages SET platform = 'sms' WHERE id = $1", "platform"),
        ("conversation", "UPDATE messages SET conversation = randomblob(32) WHERE id = $1", "conversation"),
        ("retention class", "UPDATE messages SET retention_class = 'gone-tomorrow' WHERE id = $1", "retention class"),
        ("size", "UPDATE messages SET size = size + 1 WHERE id = $1", "capture details"),
        ("capture time", "UPDATE messages SET captured_at = 0 WHERE id = $1", "capture details"),
        ("participant token", "UPDATE message_participants SET token = randomblob(32) WHERE message_id = $1 AND part = 'from'", "participants"),
        ("participant domain", "UPDATE message_participants SET domain_token = NULL WHERE message_id = $1", "participants"),
        ("participant part", "UPDATE message_participants SET part = 'bcc' WHERE message_id = $1 AND part = 'to'", "participants"),
        ("participant's sent time", "UPDATE message_participants SET sent_at = 0 WHERE message_id = $1", "participants"),
        ("participant removed", "DELETE FROM message_participants WHERE message_id = $1 AND part = 'to'", "participants"),
        ("participant added", """
            INSERT INTO message_participants (message_id, part, token, domain_token, display, sent_at)
            SELECT $1, 'cc', randomblob(32), NULL, display, sent_at FROM message_participants WHERE message_id = $1 AND part = 'from'
            """, "participants"),
        ("ephemeral key", "UPDATE envelopes SET ephemeral = (SELECT ephemeral FROM envelopes WHERE message_id = $2) WHERE message_id = $1",
         "envelope"),
        ("nonce", "UPDATE envelopes SET nonce = zeroblob(24) WHERE message_id = $1", "envelope"),
        ("header", "UPDATE envelopes SET header = (SELECT header FROM envelopes WHERE message_id = $2) WHERE message_id = $1", "envelope"),
        ("uid", "UPDATE messages SET uid = uid || '-moved' WHERE id = $1", "uid, key epoch or ciphertext hash"),
    ]

    static func edit(_ w: HoldWorld, _ sql: String, on id: Int64, borrowing other: Int64) throws {
        try w.system.withRawDatabase { c in
            try dropTriggers(c)
            try c.execute(c.portable(sql.replacingOccurrences(of: "$1", with: "\(id)").replacingOccurrences(of: "$2", with: "\(other)")))
        }
    }

    @Test("Each edit of a sealed field or envelope part is found by verify, which names the message and what changed")
    func verifyNamesEveryEdit() async throws {
        let w = try await HoldWorld.make()
        let ids = try w.capture(Self.edits.indices.map { ("alice@example.com", "bob@example.org", "email", Int64($0)) })
        #expect(try w.system.verifyArchive().ok)
        // Verify reports the lowest id that fails, so the edits go from the highest id down: each report is the newest edit's.
        for ((what, sql, group), id) in zip(Self.edits, ids.reversed()) {
            try Self.edit(w, sql, on: id, borrowing: ids[0])
            let report = try w.system.verifyArchive()
            #expect(!report.ok, "\(what): verify passed")
            #expect(report.failure?.contains("message \(id)") == true, "\(what): \(report.failure ?? "")")
            #expect(report.failure?.contains(group) == true, "\(what): expected '\(group)' in \(report.failure ?? "")")
        }
    }

    @Test("A seal rewritten to match an edited row breaks the audited digest of its batch")
    func rewrittenSealIsCaught() async throws {
        let w = try await HoldWorld.make()
        let alice = try w.ids(sentBy: "alice@example.com")
        let moved = try w.system.withRawDatabase { c -> [UInt8] in
            try Self.dropTriggers(c)
            try c.run("UPDATE messages SET sent_at = 0 WHERE id = ?", alice[0])
            try c.run("UPDATE message_participants SET sent_at = 0 WHERE message_id = ?", alice[0])
            let stored = try w.system.archive.read { try require(try $0.messages.stored(id: alice[0])) }
            let seal = MessageSeal.seal(stored.facts)
            try c.run("UPDATE messages SET seal = ? WHERE id = ?", seal, alice[0])
            return seal
        }
        #expect(moved.count == MessageSeal.length)
        let report = try w.system.verifyArchive()
        #expect(!report.ok && report.failure?.contains("do not match their ingest record") == true, "\(report.failure ?? "")")
    }

    @Test("A held message moved out of the hold's scope behind the triggers is kept by disposition, which says why")
    func dispositionRefusesAnEditedRow() async throws {
        let w = try await HoldWorld.make()
        let alice = try w.ids(sentBy: "alice@example.com")
        _ = try w.place(try w.scope(participant: "alice@example.com"))
        // The insider makes alice's first message look like someone else's, so the hold no longer reaches it.
        try Self.edit(w, "UPDATE message_participants SET token = randomblob(32) WHERE message_id = $1 AND part = 'from'",
                      on: alice[0], borrowing: alice[1])
        #expect(try w.system.holds.covering(messageID: alice[0]).isEmpty, "the edit takes the message out of the hold")
        w.clock.set(HoldWorld.sent + HoldWorld.sevenYears + 30 * 86_400)
        let dry = try w.run(dryRun: true)
        #expect(dry.refused == 1 && !dry.listed.contains { $0.id == alice[0] })
        let report = try w.run()
        #expect(report.refused == 1)
        #expect(report.problems.first?.contains("message \(alice[0]) no longer matches what was captured: participants") == true, "\(report.problems)")
        #expect(try !w.disposed(alice[0]), "the held message was destroyed")
        #expect(try w.disposed(try w.ids(sentBy: "carol@enron.com")[0]), "messages that agree with their seals still go")
        let entries = try w.system.archive.read { try $0.audit.entries(action: AuditAction.messageIntegrityFailed.rawValue) }
        #expect(entries.map(\.target) == ["message:\(alice[0])", "message:\(alice[0])"])
        #expect(entries.allSatisfy { $0.details.contains("disposition") })
    }

    @Test("Custodians are not handed an ephemeral key swapped in from another message")
    func approvalRefusesASwappedEphemeralKey() async throws {
        let w = try await DecryptionWorld.make(messages: 3)
        let request = try w.file([w.ids[0]])
        try w.system.withRawDatabase { c in
            try c.dropTriggers("envelopes_write_once")
            try c.run("UPDATE envelopes SET ephemeral = (SELECT ephemeral FROM envelopes WHERE message_id = ?) WHERE message_id = ?",
                      w.ids[2], w.ids[0])
        }
        let custodian = w.f.custodians[0].device
        do {
            _ = try w.system.decryption.approvalTask(id: request, user: custodian.user, actor: custodian.actor)
            Issue.record("the approval task was handed out")
        } catch let DomainError.conflict(message) {
            #expect(message.contains("message \(w.ids[0]) no longer matches what was captured: envelope (header, ephemeral key or nonce)"), "\(message)")
        }
        await #expect(throws: DomainError.self) { try await w.approve(request, by: 0) }
        let entries = try w.system.archive.read { try $0.audit.entries(action: AuditAction.messageIntegrityFailed.rawValue) }
        #expect(entries.first?.target == "message:\(w.ids[0])" && entries.first?.details.contains("approval") == true)
    }
}
