import CustosCore
import CustosCrypto
import CustosRuntime
import CustosTestSupport
import CustosWeb
import Foundation
import Testing

/// An archive with a few sealed messages, an auditor and the fixture's three custodians (2 of 3).
struct DecryptionWorld: Sendable {
    let f: ArchiveFixture
    let auditor: Person
    let ids: [Int64]
    let plaintexts: [String]

    var system: CustosSystem { f.harness.system }
    var clock: ManualClock { f.harness.clock }

    static func make(messages: Int = 3, platform: String = "email") async throws -> DecryptionWorld {
        let f = try await ArchiveFixture.make()
        let auditor = try await f.harness.person("auditor1", roles: [.auditor])
        let token = try require(try f.harness.system.captureTokens.authenticate(f.token))
        let texts = (0..<messages).map { i in
            platform == "email"
                ? "From: Alice A. <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Q3 numbers, part \(i)\r\n"
                    + "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\nMessage \(i): the quarterly numbers are final; do not forward. \(UUID().uuidString)\r\n"
                : "{\"platform\":\"\(platform)\",\"sender\":{\"id\":\"U\(i)\",\"name\":\"Person \(i)\"},\"text\":\"Chat line \(i) <b>not bold</b>\",\"time\":\"2023-11-14T22:13:2\(i)Z\"}"
        }
        let items = try texts.enumerated().map { i, text in
            try f.item(text, uid: "\(platform):grant-\(i)", sentAt: 1_700_000_000 + Int64(i) * 60, platform: platform)
        }
        let results = try f.harness.system.ingest.ingest(items, token: token, client: "test")
        return DecryptionWorld(f: f, auditor: auditor, ids: try results.map { try require($0.id) }, plaintexts: texts)
    }

    func actor(_ p: Person, _ role: Role) -> Actor { Actor(userID: p.user.id, username: p.user.username, role: role, client: "192.0.2.7") }

    func file(_ ids: [Int64]? = nil, hours: Int = 2) throws -> Int64 {
        try system.decryption.file(messageIDs: ids ?? self.ids, justification: "Investigating a possible leak of quarterly results.",
                                   reference: "MATTER-2026-014", hours: hours, user: auditor.user, actor: actor(auditor, .auditor))
    }

    /// Custodian `i` approves with partials its own device computes (as `custos custodian approve` does).
    @discardableResult
    func approve(_ request: Int64, by i: Int, step: Int64 = 30) async throws -> DecryptionService.ApprovalOutcome {
        clock.advance(step)
        return try await CeremonyDriver.approve(request, by: f.custodians[i].device, system: system)
    }

    /// Custodian `i` uploads partials made under custodian `j`'s share: a forgery the server must refuse.
    @discardableResult
    func approveForged(_ request: Int64, by i: Int, using j: Int) async throws -> DecryptionService.ApprovalOutcome {
        let c = f.custodians[i].device
        let task = try system.decryption.approvalTask(id: request, user: c.user, actor: c.actor)
        var partials: [Int64: PartialDecryption] = [:]
        for (_, commitments) in task.commitments {
            let points = try task.items.map { try Ristretto255.Point(bytes: $0.ephemeral) }
            let made = try f.custodians[j].device.withDevice { try $0.partialDecryptions(commitments: commitments, ephemeralKeys: points) }
            for (item, partial) in zip(task.items, made) { partials[item.messageID] = partial }
        }
        return try await system.decryption.approve(id: request, partials: partials, user: c.user, device: c.identity, actor: c.actor)
    }

    func read(_ id: Int64) throws -> String {
        let opened = try system.decryption.openContent(messageID: id, user: auditor.user, actor: actor(auditor, .auditor))
        return String(decoding: opened.message.content, as: UTF8.self)
    }

    func count(_ sql: String, _ request: Int64) throws -> Int {
        try system.withRawDatabase { Int(try $0.queryOne(sql, request)?.int(0) ?? -1) }
    }

    /// The database's files, raw (SQLite's file and WAL, or PostgreSQL's after a checkpoint).
    func rawFiles() throws -> [UInt8] {
        try SecretsAtRestTests.bytes(ofDatabaseOf: f.harness.system)
    }
}

func isDomain(_ error: any Error, _ matches: (DomainError) -> Bool) -> Bool {
    (error as? DomainError).map(matches) ?? false
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var i = 0
        while i <= count - needle.count {
            if self[i] == first && Array(self[i..<(i + needle.count)]) == needle { return true }
            i += 1
        }
        return false
    }
}

@Suite struct DecryptionTests {
    @Test func fewerThanKApprovalsNeverOpenContent() async throws {
        let w = try await DecryptionWorld.make()
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file()
        #expect(throws: DomainError.self) { try w.read(w.ids[0]) }
        let outcome = try await w.approve(request, by: 0)
        #expect(outcome == .recorded(approvals: 1, needed: 2))
        #expect(throws: DomainError.self) { try w.read(w.ids[0]) }
        // One custodian's partials are at rest (sealed), one per message; no message key exists.
        #expect(try w.count("SELECT count(*) FROM request_partials WHERE request_id = ?", request) == w.ids.count)
        #expect(try w.count("SELECT count(*) FROM grant_keys WHERE request_id = ?", request) == 0)
        #expect(try w.system.decryption.detail(id: request, user: w.auditor.user, role: .auditor).record.status == .pending)
        // The refusals are in the audit log.
        let refused = try w.system.archive.read { try $0.audit.entries(action: AuditAction.contentRefused.rawValue) }
        #expect(refused.count == 2)
    }

    @Test func kApprovalsOpenTheGrantForTheRequesterAloneUntilItExpires() async throws {
        let w = try await DecryptionWorld.make()
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file(hours: 2)
        try await w.approve(request, by: 0)
        guard case .granted(let expiresAt) = try await w.approve(request, by: 2) else {
            Issue.record("the second approval did not open the grant")
            return
        }
        #expect(expiresAt == w.clock.now() + 2 * 3_600)
        for (id, text) in zip(w.ids, w.plaintexts) { #expect(try w.read(id) == text) }
        // Partials are gone; one sealed key per message is what a live grant keeps.
        #expect(try w.count("SELECT count(*) FROM request_partials WHERE request_id = ?", request) == 0)
        #expect(try w.count("SELECT count(*) FROM grant_keys WHERE request_id = ?", request) == w.ids.count)
        let sealedKeys = try w.system.withRawDatabase { db in
            try db.query("SELECT sealed FROM grant_keys WHERE request_id = ?", request).map { try $0.blob(0) }
        }
        // Each view was audited with the grant, the viewer and the client address.
        let views = try w.system.archive.read { try $0.audit.entries(action: AuditAction.contentViewed.rawValue) }
        #expect(views.count == w.ids.count)
        #expect(views.allSatisfy { $0.actor == "auditor1" && $0.client == "192.0.2.7" && $0.details.contains("\"grant\":\"request:\(request)\"") })
        #expect(Set(views.map(\.target)) == Set(w.ids.map { "message:\($0)" }))
        // Another auditor holds no grant of its own.
        let other = try await w.f.harness.person("auditor2", roles: [.auditor])
        #expect(throws: DomainError.self) {
            try w.system.decryption.openContent(messageID: w.ids[0], user: other.user, actor: w.actor(other, .auditor))
        }
        // A custodian cannot read, even one who approved.
        #expect(throws: DomainError.self) {
            try w.system.decryption.openContent(messageID: w.ids[0], user: w.f.custodians[0].person.user,
                                                actor: w.actor(w.f.custodians[0].person, .custodian))
        }
        // While the grant is live its sealed keys are on disk (the scan below can see them) …
        #expect(ByteSearch.contains(try w.rawFiles(), Array(try #require(sealedKeys.first).suffix(32))))
        // … after its end, nothing opens and no key material for the grant is left, not even in the WAL.
        w.clock.advance(2 * 3_600)
        #expect(throws: DomainError.self) { try w.read(w.ids[0]) }
        #expect(try w.system.decryption.keyMaterialCount(requestID: request) == 0)
        #expect(try w.system.decryption.detail(id: request, user: w.auditor.user, role: .auditor).record.status == .expired)
        // On SQLite the deleted keys are zeroed in the file and the WAL. PostgreSQL keeps deleted row versions until
        // VACUUM, which the application role may not run (README, "What does not hold on PostgreSQL").
        if TestDatabase.isSQLite {
            let raw = try w.rawFiles()
            for sealed in sealedKeys { #expect(!ByteSearch.contains(raw, Array(sealed.suffix(32))), "a grant key's bytes remain on disk") }
        }
        #expect(try w.system.archive.read { try $0.audit.count(action: AuditAction.grantExpired.rawValue) } == 1)
    }

    @Test func aCustodianApprovingTwiceCountsOnce() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file()
        try await w.approve(request, by: 1)
        await #expect(throws: DomainError.self) { try await w.approve(request, by: 1) }
        let detail = try w.system.decryption.detail(id: request, user: w.auditor.user, role: .auditor)
        #expect(detail.approvals == 1 && detail.record.status == .pending)
        #expect(throws: DomainError.self) { try w.read(w.ids[0]) }
        // The schema refuses a second decision row as well.
        #expect(throws: (any Error).self) {
            try w.system.withRawDatabase { db in
                _ = try db.run("INSERT INTO request_decisions (request_id, custodian_id, decision, decided_at) VALUES (?, ?, 'approved', 0)",
                               request, w.f.custodians[1].person.user.id)
            }
        }
    }

    @Test func partialsMadeUnderAnotherShareApproveNothingAndRepeatedFailuresLockOut() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file()
        do {
            try await w.approveForged(request, by: 0, using: 1)
            Issue.record("partials under another custodian's share approved")
        } catch {
            #expect(isDomain(error) { if case .authenticationFailed = $0 { true } else { false } })
        }
        #expect(try w.system.decryption.detail(id: request, user: w.auditor.user, role: .auditor).approvals == 0)
        #expect(try w.count("SELECT count(*) FROM request_partials WHERE request_id = ?", request) == 0)
        #expect(try w.system.archive.read { try $0.audit.count(action: AuditAction.requestApprovalFailed.rawValue) } == 1)
        for _ in 0..<4 { _ = try? await w.approveForged(request, by: 0, using: 2) }
        do {
            try await w.approve(request, by: 0)
            Issue.record("approving went on after five failures")
        } catch {
            #expect(isDomain(error) { if case .throttled = $0 { true } else { false } })
        }
    }

    @Test func theRequesterAndCustodiansInTheFilingRoleCannotDecide() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        // A person who is both auditor and custodian files a request, then switches role to approve it.
        let both = try await w.f.harness.person("dual", roles: [.auditor, .custodian])
        let device = try CeremonyDriver.enrol(both.user, system: w.system)
        let request = try w.system.decryption.file(messageIDs: w.ids, justification: "A request the requester will try to approve.",
                                                   reference: "SOD-1", hours: 1, user: both.user, actor: w.actor(both, .auditor))
        let fresh = try require(try w.system.users.find(id: both.user.id))
        w.clock.advance(30)
        await #expect(throws: DomainError.self) { try await CeremonyDriver.approve(request, by: device, system: w.system) }
        let detail = try w.system.decryption.detail(id: request, user: fresh, role: .custodian)
        #expect(detail.approvalBlocker?.contains("You filed this request") == true)
        // The auditor's own request: the dual person is blocked by holding the auditor role it was filed in.
        let other = try w.file()
        let blocker = try w.system.decryption.detail(id: other, user: fresh, role: .custodian).approvalBlocker
        #expect(blocker?.contains("Auditor role") == true)
        // And the schema refuses a decision row by the requester.
        #expect(throws: (any Error).self) {
            try w.system.withRawDatabase { db in
                _ = try db.run("INSERT INTO request_decisions (request_id, custodian_id, decision, decided_at) VALUES (?, ?, 'approved', 0)",
                               request, both.user.id)
            }
        }
    }

    @Test func revokingEndsTheGrantAndDeletesItsKeys() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file()
        try await w.approve(request, by: 0)
        try await w.approve(request, by: 1)
        #expect(try w.read(w.ids[1]) == w.plaintexts[1])
        let security = try await w.f.harness.person("sec", roles: [.security])
        try w.system.decryption.revoke(id: request, reason: "matter closed", actor: w.actor(security, .security))
        #expect(throws: DomainError.self) { try w.read(w.ids[1]) }
        #expect(try w.system.decryption.keyMaterialCount(requestID: request) == 0)
        // An auditor cannot revoke (only custodians and security).
        #expect(throws: DomainError.self) { try w.system.decryption.revoke(id: request, reason: "", actor: w.actor(w.auditor, .auditor)) }
    }

    @Test func rejectionClosesTheRequestAndDeletesPartials() async throws {
        let w = try await DecryptionWorld.make(messages: 2)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file()
        try await w.approve(request, by: 0)
        let keeper = w.f.custodians[1].person
        #expect(throws: DomainError.self) {
            try w.system.decryption.reject(id: request, reason: "", user: keeper.user, actor: w.actor(keeper, .custodian))
        }
        try w.system.decryption.reject(id: request, reason: "Not proportionate to the matter.", user: keeper.user,
                                       actor: w.actor(keeper, .custodian))
        let detail = try w.system.decryption.detail(id: request, user: w.auditor.user, role: .auditor)
        #expect(detail.record.status == .rejected && detail.closeReason == "Not proportionate to the matter.")
        #expect(try w.system.decryption.keyMaterialCount(requestID: request) == 0)
        await #expect(throws: DomainError.self) { try await w.approve(request, by: 2) }
    }

    @Test func aViewThatCannotBeAuditedShowsNothing() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let request = try w.file()
        try await w.approve(request, by: 0)
        try await w.approve(request, by: 1)
        try w.system.withRawDatabase { db in
            try db.failAuditAppends(action: "content.viewed")
        }
        #expect(throws: (any Error).self) { try w.read(w.ids[0]) }
        try w.system.withRawDatabase { db in try db.dropTriggers("audit_down") }
        #expect(try w.read(w.ids[0]) == w.plaintexts[0])
    }

    @Test func requestsAreValidatedAndBounded() async throws {
        let w = try await DecryptionWorld.make(messages: 1)
        defer { try? FileManager.default.removeItem(atPath: w.f.harness.dir) }
        let a = w.actor(w.auditor, .auditor)
        let svc = w.system.decryption
        #expect(throws: DomainError.self) { try svc.file(messageIDs: [], justification: String(repeating: "j", count: 30), reference: "r", hours: 1, user: w.auditor.user, actor: a) }
        #expect(throws: DomainError.self) { try svc.file(messageIDs: w.ids, justification: "too short", reference: "r", hours: 1, user: w.auditor.user, actor: a) }
        #expect(throws: DomainError.self) { try svc.file(messageIDs: w.ids, justification: String(repeating: "j", count: 30), reference: "", hours: 1, user: w.auditor.user, actor: a) }
        #expect(throws: DomainError.self) { try svc.file(messageIDs: w.ids, justification: String(repeating: "j", count: 30), reference: "r", hours: 5, user: w.auditor.user, actor: a) }
        #expect(throws: DomainError.self) { try svc.file(messageIDs: [999_999], justification: String(repeating: "j", count: 30), reference: "r", hours: 1, user: w.auditor.user, actor: a) }
        #expect(throws: DomainError.self) { try svc.file(messageIDs: Array(1...1_001), justification: String(repeating: "j", count: 30), reference: "r", hours: 1, user: w.auditor.user, actor: a) }
        // A legal user may search but not request.
        let legal = try await w.f.harness.person("lawyer", roles: [.legal])
        #expect(throws: DomainError.self) { try svc.file(messageIDs: w.ids, justification: String(repeating: "j", count: 30), reference: "r", hours: 1, user: legal.user, actor: w.actor(legal, .legal)) }
        #expect(try w.system.archive.read { try $0.audit.count(action: AuditAction.requestFiled.rawValue) } == 0)
        // Nobody approves in time: the request lapses and its partials go.
        let request = try w.file()
        try await w.approve(request, by: 0)
        w.clock.advance(Int64(svc.policy.approvalWindowHours) * 3_600)
        #expect(try svc.expireDue() == 1)
        #expect(try svc.detail(id: request, user: w.auditor.user, role: .auditor).record.status == .lapsed)
        #expect(try svc.keyMaterialCount(requestID: request) == 0)
    }
}
