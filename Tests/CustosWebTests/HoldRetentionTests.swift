import CustosCore
import CustosCrypto
import CustosRuntime
import CustosStore
import CustosWeb
import Foundation
import Testing

/// An archive with messages of several people and platforms, a legal user working on one matter,
/// and an injected clock (P5: holds win over retention).
struct HoldWorld: Sendable {
    let f: ArchiveFixture
    let legal: Person
    let matter: Int64

    var system: CustosSystem { f.harness.system }
    var clock: ManualClock { f.harness.clock }

    /// Messages are sent on 2023-11-14 plus `i` days; the default class keeps them 7 years (2,557 days).
    static let sent: Int64 = 1_700_000_000
    static let sevenYears: Int64 = 2_557 * 86_400

    static func make() async throws -> HoldWorld {
        let f = try await ArchiveFixture.make()
        let legal = try await f.harness.person("counsel1", roles: [.legal])
        let actor = Actor(userID: legal.user.id, username: legal.user.username, role: .legal, client: "192.0.2.9")
        let matter = try f.harness.system.holds.createMatter(name: "SEC inquiry 2026-07", description: "Quarterly results leak",
                                                             user: legal.user, actor: actor)
        let w = HoldWorld(f: f, legal: legal, matter: matter)
        _ = try w.capture([("alice@example.com", "bob@example.org", "email", 0),
                           ("carol@enron.com", "bob@example.org", "email", 1),
                           ("dave@example.com", "erin@example.com", "slack", 2),
                           ("alice@example.com", "frank@enron.com", "email", 3)])
        return w
    }

    var legalActor: Actor { Actor(userID: legal.user.id, username: legal.user.username, role: .legal, client: "192.0.2.9") }

    /// Captures (from, to, platform, day offset) messages; returns their ids.
    func capture(_ rows: [(String, String, String, Int64)]) throws -> [Int64] {
        let token = try require(try system.captureTokens.authenticate(f.token))
        let items = try rows.map { from, to, platform, day in
            try f.item("Message from \(from) on day \(day) " + UUID().uuidString, uid: "hold-test:\(UUID().uuidString)", from: from, to: to,
                       sentAt: Self.sent + day * 86_400, platform: platform)
        }
        return try system.ingest.ingest(items, token: token, client: "test").map { try require($0.id) }
    }

    func scope(participant: String = "", domain: String = "", platform: String = "", after: String = "", before: String = "") throws -> HoldScope {
        try HoldScope.parse(participant: [participant], domain: [domain], conversation: [], platform: [platform], after: after, before: before)
    }

    func place(_ scope: HoldScope) throws -> Int64 {
        try system.holds.place(matterID: matter, scope: scope, user: legal.user, actor: legalActor)
    }

    func run(dryRun: Bool = false) throws -> DispositionService.Report {
        try system.disposition.run(dryRun: dryRun, actor: .system("test"))
    }

    func disposed(_ id: Int64) throws -> Bool {
        try system.withRawDatabase { db in
            try db.queryOne("SELECT count(*) FROM envelopes WHERE message_id = ?", id)?.int(0) == 0
                && db.queryOne("SELECT count(*) FROM disposals WHERE message_id = ?", id)?.int(0) == 1
        }
    }

    func ids(sentBy address: String) throws -> [Int64] {
        let token = system.indexer.participantToken(address)
        return try system.withRawDatabase { db in
            try db.query("SELECT message_id FROM message_participants WHERE token = ? AND part = 'from' ORDER BY message_id", token).map { try $0.int(0) }
        }
    }

    func sql(_ statement: String, _ params: any SQLBindable...) throws {
        _ = try system.withRawDatabase { db in try db.run(statement, parameters: params) }
    }
}

@Suite("Legal holds and disposition (P5)")
struct HoldRetentionTests {
    @Test("A message past retention and not held is disposed of; its tombstone stays searchable and verify still passes")
    func disposesUnheld() async throws {
        let w = try await HoldWorld.make()
        let alice = try w.ids(sentBy: "alice@example.com")
        w.clock.set(HoldWorld.sent + HoldWorld.sevenYears - 10)
        #expect(try w.run().disposed == 0)
        w.clock.set(HoldWorld.sent + HoldWorld.sevenYears + 86_400)
        let report = try w.run()
        #expect(report.disposed == 2)
        #expect(try w.disposed(alice[0]))
        #expect(try !w.disposed(alice[1]))
        // The tombstone: metadata and ciphertext hash stay, the content is gone for good.
        let page = try w.system.search.search(try SearchQuery.parse([("participant", "alice@example.com")]),
                                              actor: Actor(userID: nil, username: "t", role: .auditor, client: "t"))
        #expect(page.total == 2)
        #expect(page.hits.first { $0.id == alice[0] }?.disposedAt != nil)
        #expect(try w.system.verifyArchive().ok)
        #expect(try w.system.verifyAudit().ok)
        #expect(try w.system.archive.read { try $0.audit.count(action: "message.disposed") } == 2)
        #expect(try w.system.archive.read { try $0.audit.count(action: "retention.run") } == 2)
    }

    @Test("A held message survives every run; releasing the hold lets the next run dispose of it")
    func holdWins() async throws {
        let w = try await HoldWorld.make()
        let alice = try w.ids(sentBy: "alice@example.com")
        let hold = try w.place(try w.scope(participant: "Alice@Example.com"))
        for year in 0..<3 {
            w.clock.set(HoldWorld.sent + HoldWorld.sevenYears + 86_400 * 400 * Int64(year + 1))
            let report = try w.run()
            #expect(report.held == 2)
            #expect(try alice.allSatisfy { try !w.disposed($0) })
        }
        #expect(try w.system.holds.covering(messageID: alice[0]).map(\.holdID) == [hold])
        try w.system.holds.release(id: hold, reason: "Matter settled; counsel confirmed in writing.", user: w.legal.user, actor: w.legalActor)
        let after = try w.run()
        #expect(after.held == 0)
        #expect(try alice.allSatisfy { try w.disposed($0) })
        #expect(try w.system.verifyArchive().ok)
    }

    @Test("A hold covers messages captured after it was placed")
    func coversLaterCaptures() async throws {
        let w = try await HoldWorld.make()
        let hold = try w.place(try w.scope(domain: "@enron.com"))
        let before = try w.system.holds.hold(id: hold, user: w.legal.user, actor: w.legalActor).covered
        #expect(before == 2)
        let later = try w.capture([("gina@enron.com", "bob@example.org", "email", 10)])
        #expect(try w.system.holds.hold(id: hold, user: w.legal.user, actor: w.legalActor).covered == 3)
        w.clock.set(HoldWorld.sent + HoldWorld.sevenYears + 86_400 * 30)
        let report = try w.run()
        #expect(report.held == 3)
        #expect(try !w.disposed(later[0]))
    }

    @Test("Raw SQL cannot dispose of a held message, change a hold's scope or touch archived messages")
    func rawSQLRefused() async throws {
        let w = try await HoldWorld.make()
        let carol = try require(try w.ids(sentBy: "carol@enron.com").first)
        let hold = try w.place(try w.scope(participant: "carol@enron.com"))
        let run = try w.system.withRawDatabase { db in
            try db.insert("INSERT INTO disposition_runs (started_at, dry_run, actor) VALUES (0, FALSE, 'mallory') RETURNING id")
        }
        let future = HoldWorld.sent + HoldWorld.sevenYears * 3
        func refused(_ statement: String, _ params: any SQLBindable..., containing text: String) {
            do {
                _ = try w.system.withRawDatabase { db in try db.run(statement, parameters: params) }
                Issue.record("raw SQL was allowed: \(statement)")
            } catch {
                #expect(String(describing: error).contains(text), "\(statement): \(error)")
            }
        }
        refused("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (?, ?, ?)", carol, run, future, containing: "legal hold")
        refused("DELETE FROM envelopes WHERE message_id = ?", carol, containing: "legal hold")
        refused("UPDATE envelopes SET ciphertext = ciphertext WHERE message_id = ?", carol, containing: "write-once")
        refused("DELETE FROM messages WHERE id = ?", carol, containing: "write-once")
        refused("UPDATE messages SET retention_class = 'default' WHERE id = ?", carol, containing: "write-once")
        refused("UPDATE legal_holds SET sent_after = ? WHERE id = ?", future, hold, containing: "scope is fixed")
        refused("INSERT INTO hold_terms (hold_id, kind, value) VALUES (?, 'platform', 'nowhere')", hold, containing: "scope is fixed")
        refused("DELETE FROM hold_terms WHERE hold_id = ?", hold, containing: "scope is fixed")
        refused("DELETE FROM legal_holds WHERE id = ?", hold, containing: "kept")
        // Within retention, an unheld message cannot be disposed of either.
        let alice = try require(try w.ids(sentBy: "alice@example.com").first)
        refused("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (?, ?, ?)", alice, run, HoldWorld.sent + 86_400,
                containing: "retention period")
        refused("DELETE FROM envelopes WHERE message_id = ?", alice, containing: "write-once")
        #expect(try !w.disposed(carol))
        // Past retention and unheld, raw SQL can record a disposal, but verify then flags it: no audited disposal.
        try w.sql("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (?, ?, ?)", alice, run, future)
        try w.sql("DELETE FROM envelopes WHERE message_id = ?", alice)
        let report = try w.system.verifyArchive()
        #expect(!report.ok)
        #expect(report.failure?.contains("without an audited disposal") == true)
        // Releasing a hold behind the application's back is detected too.
        try w.sql("UPDATE legal_holds SET released_at = ?, released_by = ?, release_reason = ? WHERE id = ?", future, w.legal.user.id, [UInt8(0)], hold)
        #expect(try w.system.verifyArchive().failure == "legal hold \(hold) was released without an audited release")
    }

    @Test("Shortening a retention period with messages in its class is refused with a clear message; lengthening works")
    func periodOnlyGrows() async throws {
        let w = try await HoldWorld.make()
        let admin = Actor(userID: 1, username: "admin", role: .admin, client: "t")
        do {
            try w.system.retention.setPeriod(name: "default", periodDays: 1_096, description: "", actor: admin)
            Issue.record("shortening was allowed")
        } catch let e as DomainError {
            #expect(e.message.contains("cannot be shortened"))
            #expect(e.message.contains("7 years"))
        }
        #expect(throws: (any Error).self) { try w.sql("UPDATE retention_policies SET period_days = 10 WHERE name = 'default'") }
        try w.system.retention.setPeriod(name: "default", periodDays: 3_653, description: "10 years", actor: admin)
        // An empty class may still be shortened.
        try w.system.retention.createClass(name: "chat-3y", periodDays: 1_096, description: "", actor: admin)
        try w.system.retention.setPeriod(name: "chat-3y", periodDays: 400, description: "", actor: admin)
        #expect(try w.system.retention.overview(actor: admin).policies.first { $0.name == "chat-3y" }?.periodDays == 400)
        #expect(throws: DomainError.self) {
            try w.system.retention.setPeriod(name: "default", periodDays: 10, description: "", actor: Actor(userID: 2, username: "a", role: .auditor, client: "t"))
        }
    }

    @Test("Rules assign the class at capture: conversation first, then platform, else default")
    func rulesAssignClasses() async throws {
        let w = try await HoldWorld.make()
        let admin = Actor(userID: 1, username: "admin", role: .admin, client: "t")
        let adminUser = try require(try w.system.users.find(id: 1))
        try w.system.retention.createClass(name: "chat-3y", periodDays: 1_096, description: "SEC 17a-4(b)(4)", actor: admin)
        try w.system.retention.addRule(kind: .platform, value: "Slack", className: "chat-3y", user: adminUser, actor: admin)
        let ids = try w.capture([("dave@example.com", "erin@example.com", "slack", 5), ("dave@example.com", "erin@example.com", "email", 5)])
        let classes = try ids.map { id in try w.system.archive.read { try require(try $0.search.message(id: id)).retentionClass } }
        #expect(classes == ["chat-3y", "default"])
        // Three years after it was sent its class has ended, but it was captured less than a year before: the archive's
        // minimum keeps it. A year after capture it goes; the email stays.
        let captured = try w.system.archive.read { try require(try $0.search.message(id: ids[0])).capturedAt }
        w.clock.set(HoldWorld.sent + 1_097 * 86_400 + 5 * 86_400)
        #expect(w.clock.now() < captured + 366 * 86_400)
        #expect(try w.run().disposed == 0)
        w.clock.set(captured + 366 * 86_400)
        #expect(try w.run().disposed == 1)
        #expect(try w.disposed(ids[0]))
        #expect(try !w.disposed(ids[1]))
    }

    /// Issue 18, point 14: an administrator cannot have captures destroyed the next day with a short class and a rule.
    @Test("No class is shorter than the archive minimum, and old mail imported under a short rule is kept a year")
    func minimumRetention() async throws {
        let w = try await HoldWorld.make()
        let admin = Actor(userID: 1, username: "admin", role: .admin, client: "t")
        let adminUser = try require(try w.system.users.find(id: 1))
        #expect(throws: DomainError.self) { try w.system.retention.createClass(name: "one-day", periodDays: 1, description: "", actor: admin) }
        #expect(throws: DomainError.self) { try w.system.retention.setPeriod(name: "default", periodDays: 30, description: "", actor: admin) }
        // The schema refuses too, whatever the application does, and the minimum is never lowered.
        try w.system.withRawDatabase { db in
            #expect(throws: (any Error).self) {
                _ = try db.run("INSERT INTO retention_policies (name, period_days, created_at, updated_at) VALUES ('short', 1, 0, 0)")
            }
            #expect(throws: (any Error).self) { _ = try db.run("UPDATE archive_settings SET value = 1 WHERE name = 'minimum_retention_days'") }
        }
        // The shortest class allowed, a platform rule, and mail sent two years before it is captured: past its class at once,
        // yet nothing goes for a year.
        try w.system.retention.createClass(name: "short", periodDays: 366, description: "", actor: admin)
        try w.system.retention.addRule(kind: .platform, value: "email", className: "short", user: adminUser, actor: admin)
        let ids = try w.capture([("old@example.com", "older@example.com", "email", 5)])
        let captured = try w.system.archive.read { try require(try $0.search.message(id: ids[0])).capturedAt }
        w.clock.set(captured + 86_400)
        #expect(try w.run().disposed == 0, "mail sent long ago went the day after it was captured")
        w.clock.set(captured + 365 * 86_400)
        #expect(try w.run().disposed == 0)
        // Even raw SQL cannot dispose of it before the minimum has passed since capture.
        #expect(throws: (any Error).self) {
            try w.system.withRawDatabase { db in
                _ = try db.run("INSERT INTO disposition_runs (started_at, dry_run, actor) VALUES (0, 0, 'sql')")
                _ = try db.run("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (?, (SELECT max(id) FROM disposition_runs), ?)",
                               ids[0], captured + 365 * 86_400)
            }
        }
        w.clock.set(captured + 366 * 86_400)
        #expect(try w.run().disposed == 1)
    }

    @Test("A dry run changes nothing and lists what would go")
    func dryRun() async throws {
        let w = try await HoldWorld.make()
        _ = try w.place(try w.scope(platform: "slack"))
        w.clock.set(HoldWorld.sent + HoldWorld.sevenYears * 2)
        let report = try w.run(dryRun: true)
        #expect(report.due == 4 && report.held == 1 && report.disposed == 0)
        #expect(report.listed.count == 3)
        #expect(report.listed.allSatisfy { $0.platform == "email" })
        #expect(try w.system.archive.read { try $0.retention.disposedCount() } == 0)
    }

    @Test("The preview counts what the schema's own hold definition covers, for every kind of scope")
    func previewMatchesSchema() async throws {
        let w = try await HoldWorld.make()
        let scopes = [try w.scope(participant: "alice@example.com"), try w.scope(domain: "enron.com"),
                      try w.scope(platform: "slack"), try w.scope(after: "2023-11-15", before: "2023-11-16"),
                      try w.scope(participant: "alice@example.com, carol@enron.com", domain: "example.org"),
                      try w.scope(domain: "enron.com", platform: "email", after: "2023-11-16")]
        for s in scopes {
            let preview = try w.system.holds.preview(matterID: w.matter, scope: s, user: w.legal.user, actor: w.legalActor)
            let hold = try w.place(s)
            let bySchema = try w.system.withRawDatabase { db in
                Int(try db.queryOne("SELECT count(*) FROM hold_coverage WHERE hold_id = ?", hold)?.int(0) ?? -1)
            }
            #expect(preview == bySchema, "\(s)")
            let viaSearch = try w.system.search.search(try SearchQuery.parse([("hold", String(hold))]),
                                                       actor: Actor(userID: nil, username: "t", role: .auditor, client: "t")).total
            #expect(viaSearch == bySchema, "\(s)")
        }
        #expect(try w.system.archive.read { try $0.audit.count(action: "hold.previewed") } == scopes.count)
        // The matter filter covers what its active holds cover together.
        let byMatter = try w.system.search.search(try SearchQuery.parse([("matter", String(w.matter))]),
                                                  actor: Actor(userID: nil, username: "t", role: .auditor, client: "t")).total
        #expect(byMatter == 4)
    }

    @Test("Only legal people working on the matter place or release holds; an auditor cannot")
    func separation() async throws {
        let w = try await HoldWorld.make()
        let auditor = try await w.f.harness.person("auditor9", roles: [.auditor])
        let other = try await w.f.harness.person("counsel2", roles: [.legal])
        let s = try w.scope(participant: "alice@example.com")
        #expect(throws: DomainError.self) {
            try w.system.holds.place(matterID: w.matter, scope: s, user: auditor.user,
                                     actor: Actor(userID: auditor.user.id, username: "auditor9", role: .auditor, client: "t"))
        }
        let otherActor = Actor(userID: other.user.id, username: "counsel2", role: .legal, client: "t")
        #expect(throws: DomainError.self) { try w.system.holds.place(matterID: w.matter, scope: s, user: other.user, actor: otherActor) }
        try w.system.holds.addMember(matterID: w.matter, username: "counsel2", user: w.legal.user, actor: w.legalActor)
        let hold = try w.system.holds.place(matterID: w.matter, scope: s, user: other.user, actor: otherActor)
        #expect(throws: DomainError.self) {
            try w.system.holds.release(id: hold, reason: "short", user: other.user, actor: otherActor)
        }
        // A matter with an active hold stays open.
        #expect(throws: DomainError.self) {
            try w.system.holds.updateMatter(id: w.matter, name: "SEC inquiry 2026-07", description: "", status: .closed,
                                            user: w.legal.user, actor: w.legalActor)
        }
        #expect(throws: DomainError.self) { try HoldScope.parse(participant: [""], domain: [], conversation: [], platform: [], after: nil, before: nil) }
    }

    @Test("The server's schedule runs disposition once per period, counted from the last recorded run")
    func schedule() async throws {
        let w = try await HoldWorld.make()
        let daily = DispositionSchedule(everyHours: 24, firstDelay: .milliseconds(1), checkEvery: .milliseconds(20))
        #expect(daily.isDue(now: 100, lastRun: nil))
        let last = DispositionRunRecord(id: 1, startedAt: 0, finishedAt: 1, dryRun: false, actor: "t", due: 0, held: 0, disposed: 0)
        #expect(!daily.isDue(now: 86_399, lastRun: last))
        #expect(daily.isDue(now: 86_400, lastRun: last))
        #expect(!DispositionSchedule(everyHours: 0).isDue(now: 100, lastRun: nil))

        w.clock.set(HoldWorld.sent + HoldWorld.sevenYears * 2)
        let system = w.system
        let task = Task { await DispositionScheduleService(schedule: daily, system: system).run() }
        defer { task.cancel() }
        for _ in 0..<200 where try system.archive.read({ try $0.retention.disposedCount() }) < 4 {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try system.archive.read { try $0.retention.disposedCount() } == 4)
        // Within the day, later looks do not run again.
        try await Task.sleep(for: .milliseconds(100))
        #expect(try system.archive.read { try $0.retention.runs(limit: 10).count } == 1)
    }
}
