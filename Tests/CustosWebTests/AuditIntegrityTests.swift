import CustosCore
import CustosStore
import CustosWeb
import Foundation
import Testing

/// P4 and P7: every tampering of audit_events done with raw SQL is caught by verification and
/// named; an audit write that fails takes the recorded action down with it.
@Suite struct AuditIntegrityTests {
    /// A data directory with `n` audit entries beyond set-up.
    static func populated(_ n: Int = 80) async throws -> Harness {
        let h = try await Harness.make()
        for i in 0..<n {
            _ = try h.system.archive.transaction { tx in
                try tx.record(Actor.system("test").draft(.verificationRun, target: "t\(i)", details: ["i": "\(i)"]))
            }
        }
        return h
    }

    /// Runs raw SQL with the append-only triggers dropped, as an attacker holding the file would.
    static func tamper(_ h: Harness, _ sql: String...) throws {
        try h.system.withRawDatabase { db in
            try db.dropTriggers("audit_events_no_update", "audit_events_no_delete")
            for s in sql { try db.execute(s) }
        }
    }

    @Test func intactLogVerifiesWithCheckpoints() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let report = try h.system.verifyAudit()
        #expect(report.ok, "\(report.failure ?? "")")
        #expect(report.entries >= 80)
        #expect(report.checkpoints >= 1)
        #expect(report.headSeq == report.entries)
    }

    @Test func editedEntryIsNamed() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        try Self.tamper(h, "UPDATE audit_events SET target = 'nothing to see' WHERE seq = 40")
        let r = try h.system.verifyAudit()
        #expect(!r.ok)
        #expect(r.failedSeq == 40)
        #expect(r.failure?.contains("audit entry 40 was altered") == true)
    }

    @Test func deletedEntryIsNamed() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        try Self.tamper(h, "DELETE FROM audit_events WHERE seq = 17")
        let r = try h.system.verifyAudit()
        #expect(!r.ok)
        #expect(r.failedSeq == 17)
        #expect(r.failure?.contains("audit entry 17 is missing") == true)
    }

    @Test func deletedEntryWithRenumberedSuccessorsIsNamed() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        try Self.tamper(h, "DELETE FROM audit_events WHERE seq = 17", "UPDATE audit_events SET seq = seq - 1 WHERE seq > 17")
        let r = try h.system.verifyAudit()
        #expect(!r.ok)
        #expect(r.failedSeq == 17)
    }

    @Test func reorderedEntriesAreNamed() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        try Self.tamper(h, "UPDATE audit_events SET seq = 1000000 WHERE seq = 30",
                        "UPDATE audit_events SET seq = 30 WHERE seq = 31",
                        "UPDATE audit_events SET seq = 31 WHERE seq = 1000000")
        let r = try h.system.verifyAudit()
        #expect(!r.ok)
        #expect(r.failedSeq == 30)
    }

    @Test func truncatedTailIsNamed() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let last = try #require(try h.system.archive.read { try $0.audit.last() })
        try Self.tamper(h, "DELETE FROM audit_events WHERE seq > \(last.seq - 3)")
        let r = try h.system.verifyAudit()
        #expect(!r.ok)
        #expect(r.failedSeq == last.seq - 2)
        #expect(r.failure?.contains("truncated") == true)
    }

    @Test func truncationBelowACheckpointIsNamedEvenWithoutTheHeadFile() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        try FileManager.default.removeItem(atPath: h.dir + "/audit-head.json")
        try Self.tamper(h, "DELETE FROM audit_events WHERE seq > 60")
        let r = try h.system.verifyAudit()
        #expect(!r.ok)
        #expect(r.failure?.contains("truncated") == true)
        #expect(r.failedSeq == 61)
    }

    @Test func forgedCheckpointIsNamed() async throws {
        let h = try await Self.populated()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        try h.system.withRawDatabase { db in
            try db.dropTriggers("audit_checkpoints_no_update")
            try db.execute("UPDATE audit_checkpoints SET at = at + 1 WHERE seq = 64")
        }
        let r = try h.system.verifyAudit()
        #expect(!r.ok)
        #expect(r.failure?.contains("checkpoint at entry 64 has an invalid signature") == true)
    }

    @Test func replayedCheckpointIsNamed() async throws {
        let h = try await Self.populated(140)
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        // Checkpoint 64's genuine signature and hash, replayed as checkpoint 128.
        try h.system.withRawDatabase { db in
            try db.dropTriggers("audit_checkpoints_no_update")
            try db.execute("UPDATE audit_checkpoints SET (at, hash, signature) = (SELECT at, hash, signature FROM audit_checkpoints WHERE seq = 64) WHERE seq = 128")
        }
        let r = try h.system.verifyAudit()
        #expect(!r.ok && r.failedSeq == 128, "\(r.failure ?? "")")
        #expect(r.failure?.contains("checkpoint at entry 128") == true)
    }

    @Test func truncationWithAReplayedOlderHeadIsCaughtByAnAnchor() async throws {
        let h = try await Self.populated(140)
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let headPath = (h.dir as NSString).appendingPathComponent("audit-head.json")
        let anchored = (h.dir as NSString).appendingPathComponent("anchored-head.json")
        try FileManager.default.copyItem(atPath: headPath, toPath: anchored)
        // The attacker cuts the log back to entry 64, removes later checkpoints, and puts back a genuine signed head of
        // entry 64 (one kept from when the log ended there).
        let entry64 = try #require(try h.system.archive.read { try $0.audit.entry(seq: 64) })
        let old = try h.system.archive.auditLog.signHead(entry64)
        try Self.tamper(h, "DELETE FROM audit_events WHERE seq > 64")
        try h.system.withRawDatabase { db in
            try db.dropTriggers("audit_checkpoints_no_delete")
            try db.execute("DELETE FROM audit_checkpoints WHERE seq > 64")
        }
        try AuditHeadFile.write(old, to: headPath)
        #expect(try h.system.verifyAudit().ok, "without an anchor the replay cannot be told from a short log")
        let r = try h.system.verifyAudit(anchorFiles: [anchored])
        #expect(!r.ok)
        #expect(r.failure?.contains("anchored head anchored-head.json") == true && r.failure?.contains("truncated") == true, "\(r.failure ?? "")")
    }

    /// Issue 18, point 12: checkpoints and heads are signed under different tags, so no checkpoint (whose
    /// signatures lie in the database for anyone with the file to copy) can be written back as the head.
    @Test func aCheckpointWrittenBackAsTheHeadIsRefused() async throws {
        let h = try await Self.populated(140)
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let headPath = (h.dir as NSString).appendingPathComponent("audit-head.json")
        let checkpoint = try #require(try h.system.archive.read { try $0.audit.checkpoint(atOrAfter: 128) })
        try Self.tamper(h, "DELETE FROM audit_events WHERE seq > 128")
        try h.system.withRawDatabase { db in
            try db.dropTriggers("audit_checkpoints_no_delete")
            try db.execute("DELETE FROM audit_checkpoints WHERE seq > 128")
        }
        try AuditHeadFile.write(checkpoint, to: headPath)
        let r = try h.system.verifyAudit()
        #expect(!r.ok && r.failure?.contains("signed head (audit-head.json) at entry 128 has an invalid signature") == true, "\(r.failure ?? "")")
    }

    @Test func appendOnlyTriggersRefuseEditsThroughSQL() async throws {
        let h = try await Self.populated(3)
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        #expect(throws: (any Error).self) {
            try h.system.withRawDatabase { try $0.execute("UPDATE audit_events SET actor = 'x' WHERE seq = 1") }
        }
        #expect(throws: (any Error).self) {
            try h.system.withRawDatabase { try $0.execute("DELETE FROM audit_events") }
        }
    }

    @Test func failedAuditWriteAbortsTheActionItRecords() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        try h.system.withRawDatabase { db in
            try db.failAuditAppends()
        }
        let before = try h.system.users.all().count
        await #expect(throws: DomainError.auditUnavailable) {
            _ = try await h.system.users.create(username: "ghost", displayName: "Ghost", roles: [.auditor], actor: .system("test"))
        }
        #expect(try h.system.users.all().count == before)
        #expect(throws: DomainError.auditUnavailable) {
            try h.system.users.setDisabled(userID: h.admin.user.id, disabled: true, actor: .system("test"))
        }
        #expect(try h.system.users.find(id: h.admin.user.id)?.disabled == false)
        // A sign-in that cannot be audited does not produce a session either.
        await #expect(throws: DomainError.auditUnavailable) {
            _ = try await h.system.signIn.signIn(username: h.admin.user.username, password: h.admin.oneTimePassword, client: "t")
        }
        #expect(try h.system.archive.read { try $0.sessions.count(userID: h.admin.user.id) } == 0)
        // An action that only appends its entry (`Archive.record`: a search, its page) shows nothing without it.
        #expect(throws: DomainError.auditUnavailable) { _ = try h.system.search.search(SearchQuery(), actor: .system("test")) }
        #expect(throws: DomainError.auditUnavailable) {
            _ = try h.system.search.searchPage(SearchQuery(), actor: .system("test"), user: nil)
        }
    }

    @Test func failedAuditWriteShowsAnHonestErrorPageInTheBrowser() async throws {
        let h = try await Harness.make()
        let boss = try await h.person("boss", roles: [.admin])
        try await h.run { client in
            let b = Browser(client)
            try await b.signIn("boss", boss.password, totp: h.code(boss.totpSecret!))
            try await b.get("/admin/users/new")
            try h.system.withRawDatabase { db in
                try db.failAuditAppends(message: "x")
            }
            let r = try await b.post("/admin/users", [("username", "ghost"), ("display_name", "G"), ("role", "legal")])
            #expect(r.status == .serviceUnavailable)
            #expect(r.text.contains("could not be recorded in the audit log"))
            #expect(try h.system.users.all().contains { $0.username == "ghost" } == false)
        }
    }
}
