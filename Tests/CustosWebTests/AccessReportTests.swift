import CustosCore
import CustosWeb
import Foundation
import Testing

/// The quarterly access report against a quarter of real activity driven through the services with an
/// injected clock — every anomaly it flags included — checked figure by figure against the test's own
/// account of what it did.
@Suite struct AccessReportTests {
    /// 2026-04-06 (a Monday) at `hour`:`minute` UTC, plus `days`.
    static func q2(day days: Int64 = 0, _ hour: Int64, _ minute: Int64 = 0) -> Int64 { 1_775_433_600 + days * 86_400 + hour * 3_600 + minute * 60 }

    @Test func aQuarterOfActivityMatchesTheReport() async throws {
        let w = try await DecryptionWorld.make(messages: 3)
        let s = w.system
        let clock = w.clock
        let auditor = w.actor(w.auditor, .auditor)
        let keepers = w.f.custodians.map(\.person)
        func file(_ reference: String, hours: Int = 4) throws -> Int64 {
            try s.decryption.file(messageIDs: w.ids, justification: "Reviewing the quarterly results leak for counsel.", reference: reference,
                                  hours: hours, user: w.auditor.user, actor: auditor)
        }

        // Baseline, March: one grant, 13 views (usual: 1.0 a week over the 13 weeks before Q2).
        clock.set(1_772_443_800)  // 2026-03-02 09:30 UTC
        let base = try file("BASELINE")
        try await w.approve(base, by: 0, step: 600)
        try await w.approve(base, by: 1, step: 600)
        for _ in 0..<13 { _ = try w.read(w.ids[0]) }
        clock.set(1_774_000_000)  // 2026-03-20: the March grant ends before Q2
        try s.decryption.expireDue()

        // Week of 6 April. R1: a rubber-stamp approval 10 s after filing; 3 views in hours; then revoked.
        clock.set(Self.q2(9))
        let r1 = try file("FERC-7")
        try await w.approve(r1, by: 0, step: 10)
        try await w.approve(r1, by: 1, step: 1_800)
        for id in w.ids { _ = try w.read(id) }
        clock.set(Self.q2(10, 30))
        try s.decryption.revoke(id: r1, reason: "Scope too wide", actor: w.actor(keepers[2], .custodian))
        // R2 in the evening: 5 views after hours.
        clock.set(Self.q2(20))
        let r2 = try file("FERC-7")
        try await w.approve(r2, by: 0, step: 1_800)
        try await w.approve(r2, by: 1, step: 1_800)
        clock.set(Self.q2(21, 5))
        for id in [w.ids[0], w.ids[1], w.ids[2], w.ids[0], w.ids[1]] { _ = try w.read(id) }
        // Week of 13 April. R3: 2 views; R4: rejected.
        clock.set(Self.q2(day: 8, 9))
        let r3 = try file("SEC-12")
        try await w.approve(r3, by: 0, step: 1_200)
        try await w.approve(r3, by: 1, step: 1_200)
        _ = try w.read(w.ids[0])
        _ = try w.read(w.ids[0])
        clock.set(Self.q2(day: 8, 11))
        let r4 = try file("SEC-12")
        clock.advance(300)
        try s.decryption.reject(id: r4, reason: "Not justified", user: keepers[2].user, actor: w.actor(keepers[2], .custodian))
        clock.set(Self.q2(day: 9, 12))
        try s.decryption.expireDue()  // R2 and R3 end

        // Sign-ins: five failures then a lockout for the auditor; keeper1 signs in (so it is not dormant).
        clock.set(Self.q2(day: 20, 14))
        for _ in 0..<5 { _ = try? await s.signIn.signIn(username: "auditor1", password: "wrong password!", client: "192.0.2.50") }
        _ = try? await s.signIn.signIn(username: "auditor1", password: w.auditor.password, client: "192.0.2.50")
        _ = try await s.signIn.signIn(username: keepers[0].user.username, password: keepers[0].password, client: "192.0.2.51")
        // A role change.
        let clerk = try await w.f.harness.person("clerk", roles: [.auditor])
        try s.users.setRoles(userID: clerk.user.id, roles: [.auditor, .legal], actor: Actor(userID: 1, username: "admin", role: .admin, client: "t"))

        clock.set(1_783_036_800)  // 2026-07-03
        var settings = AccessReportSettings()
        settings.volumeMinimum = 5
        let service = AccessReportService(archive: s.archive, indexer: s.indexer, settings: settings)
        let report = try service.generate(Quarter("2026-Q2")!, format: "csv", actor: .system("test"))

        let me = w.auditor.user.username
        let (k1, k2, k3) = (keepers[0].user.username, keepers[1].user.username, keepers[2].user.username)
        #expect(report.viewsByPerson.map { "\($0.person) \($0.views) \($0.messages) \($0.grants)" } == ["\(me) 10 3 3"])
        #expect(report.viewsByGrant.map { "\($0.request) \($0.views) \($0.messages) \($0.reference)" }
            == ["\(r1) 3 3 FERC-7", "\(r2) 5 3 FERC-7", "\(r3) 2 1 SEC-12"])
        #expect(report.viewsByMatter.map { "\($0.reference) \($0.views) \($0.grants)" } == ["FERC-7 8 2", "SEC-12 2 1"])
        #expect(Dictionary(uniqueKeysWithValues: report.requests.map { ($0.event, $0.count) })
            == ["filed": 4, "granted": 3, "rejected": 1, "lapsed": 0, "expired": 2, "revoked": 1])
        let approvals = Dictionary(uniqueKeysWithValues: report.approvals.map { ($0.custodian, $0) })
        #expect(approvals[k1].map { [$0.approved, $0.rejected] } == [3, 0])
        #expect(approvals[k1]?.medianSeconds == 1_200 && approvals[k1]?.fastestSeconds == 10)
        #expect(approvals[k2].map { [$0.approved, $0.rejected] } == [3, 0])
        #expect(approvals[k2]?.medianSeconds == 2_400 && approvals[k2]?.fastestSeconds == 1_810)
        #expect(approvals[k3].map { [$0.approved, $0.rejected] } == [0, 1])
        #expect(report.roleChanges.map { "\($0.user) \($0.from) \($0.to)" } == ["clerk auditor auditor,legal"])
        let logins = Dictionary(uniqueKeysWithValues: report.logins.map { ($0.account, [$0.succeeded, $0.failed, $0.lockouts]) })
        #expect(logins[me] == [0, 5, 1])
        #expect(logins[k1] == [1, 0, 0])

        func flagged(_ kind: ReportFlag.Kind) -> [String] { report.flags.filter { $0.kind == kind }.map(\.subject).sorted() }
        #expect(flagged(.rubberStamp) == [k1])
        #expect(report.flags.first { $0.kind == .rubberStamp }?.detail.contains("request \(r1)") == true)
        #expect(flagged(.afterHours) == [me])
        #expect(report.flags.first { $0.kind == .afterHours }?.detail.hasPrefix("5 of 10 views") == true)
        #expect(flagged(.volume) == [me])
        #expect(report.flags.first { $0.kind == .volume }?.detail == "8 views in the week of 2026-04-06; usual 1.0 a week")
        #expect(flagged(.pair) == ["\(me) → \(k1)", "\(me) → \(k2)"])
        #expect(flagged(.revoked) == ["request:\(r1)"])
        // Dormant: every enabled admin, custodian or security account created before 2 April without a sign-in since.
        let expectedDormant = try s.users.all().filter { u in
            !u.disabled && !u.roles.isDisjoint(with: [.admin, .custodian, .security]) && u.username != k1
        }.map(\.username).sorted()
        #expect(flagged(.dormant) == expectedDormant)
        #expect(expectedDormant.contains(k2) && expectedDormant.contains(k3))
        #expect(report.weeklyViews.count == 14 && report.weeklyViews.first?.week == "2026-03-30")
        #expect(report.weeklyViews.filter { $0.views > 0 }.map { "\($0.week) \($0.views)" } == ["2026-04-06 8", "2026-04-13 2"])
        // The CSV carries every figure and flag; producing the report is audited.
        #expect(report.csv.contains("flag,\(k1),rubber-stamp-approval,"))
        #expect(report.csv.contains("views-by-person,\(me),views,10\r\n"))
        #expect(try s.archive.read { try $0.audit.count(action: "report.generated") } == 1)
        #expect(throws: DomainError.self) { try service.generate(Quarter("2027-Q1")!, format: "csv", actor: .system("t")) }
        #expect(throws: DomainError.self) {
            try service.generate(Quarter("2026-Q2")!, format: "csv", actor: Actor(userID: 9, username: "a", role: .auditor, client: "t"))
        }
    }

    @Test func quartersAndWorkingHours() {
        #expect(Quarter("2026-Q2")?.start == 1_775_001_600 && Quarter("2026-Q2")?.end == 1_782_864_000)
        #expect(Quarter("2026-Q4")?.end == 1_798_761_600)
        #expect(Quarter("2026-Q5") == nil && Quarter("26-Q1") == nil)
        #expect(Quarter(containing: 1_775_433_600).description == "2026-Q2")
        let s = AccessReportSettings()
        #expect(AccessReportBuilder.isWorkingTime(Self.q2(9), s) && !AccessReportBuilder.isWorkingTime(Self.q2(19), s))
        #expect(!AccessReportBuilder.isWorkingTime(Self.q2(day: 5, 10), s))  // Saturday
        #expect(AccessReportBuilder.weekStart(Self.q2(day: 6, 23)) == Self.q2(0))
        let late = try? AccessReportSettings(workingHours: "10-22")
        #expect(late.map { AccessReportBuilder.isWorkingTime(Self.q2(21), $0) } == true)
        #expect(late.map { AccessReportBuilder.isWorkingTime(Self.q2(9), $0) } == false)
        #expect((try? AccessReportSettings(workingHours: "19-07")) == nil && (try? AccessReportSettings(workingHours: "7")) == nil)
    }
}
