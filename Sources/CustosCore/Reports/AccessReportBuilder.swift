import Foundation

/// Computes the quarterly access report from the audit log alone (plus the requests it names and the
/// accounts), so what the report says is what the tamper-evident log says.
public enum AccessReportBuilder {
    /// What a granted request contributes: who asked, for which matter, and when.
    public struct RequestInfo: Sendable {
        public var requester: String
        public var reference: String
        public var filedAt: Int64

        public init(requester: String, reference: String, filedAt: Int64) {
            self.requester = requester
            self.reference = reference
            self.filedAt = filedAt
        }
    }

    /// How far before the quarter the entries must reach: the 13-week volume baseline.
    public static let lookback: Int64 = 91 * 86_400

    /// Builds the report. `entries` must cover [quarter.start − lookback, quarter.end), in any order.
    public static func build(quarter: Quarter, settings: AccessReportSettings, entries: [AuditEntry],
                             requests: [Int64: RequestInfo], users: [User], now: Int64) -> AccessReport {
        let inQuarter = entries.filter { $0.at >= quarter.start && $0.at < quarter.end }.sorted { $0.seq < $1.seq }
        let views = inQuarter.filter { $0.action == AuditAction.contentViewed.rawValue }
        func of(_ action: AuditAction) -> [AuditEntry] { inQuarter.filter { $0.action == action.rawValue } }
        func requestID(_ target: String) -> Int64? { target.hasPrefix("request:") ? Int64(target.dropFirst(8)) : nil }
        func grant(_ e: AuditEntry) -> Int64? { detail(e, "grant").flatMap(requestID) }

        // Views per person, grant and matter.
        var byPerson: [String: (views: Int, messages: Set<String>, grants: Set<Int64>)] = [:]
        var byGrant: [Int64: (views: Int, messages: Set<String>)] = [:]
        for v in views {
            byPerson[v.actor, default: (0, [], [])].views += 1
            byPerson[v.actor]?.messages.insert(v.target)
            if let g = grant(v) {
                byPerson[v.actor]?.grants.insert(g)
                byGrant[g, default: (0, [])].views += 1
                byGrant[g]?.messages.insert(v.target)
            }
        }
        var byMatter: [String: (views: Int, grants: Set<Int64>)] = [:]
        for (g, v) in byGrant {
            let ref = requests[g]?.reference ?? "(unknown)"
            byMatter[ref, default: (0, [])].views += v.views
            byMatter[ref]?.grants.insert(g)
        }

        // Requests, approvals and time to approve.
        let events: [(String, AuditAction)] = [("filed", .requestFiled), ("granted", .grantOpened), ("rejected", .requestRejected),
                                               ("lapsed", .requestLapsed), ("expired", .grantExpired), ("revoked", .grantRevoked)]
        var approvals: [String: (approved: Int, rejected: Int, waits: [Int64])] = [:]
        var pairs: [String: Int] = [:]
        var flags: [ReportFlag] = []
        for a in of(.requestApproved) {
            approvals[a.actor, default: (0, 0, [])].approved += 1
            guard let id = requestID(a.target), let info = requests[id] else { continue }
            let wait = a.at - info.filedAt
            approvals[a.actor]?.waits.append(wait)
            pairs["\(info.requester) → \(a.actor)", default: 0] += 1
            if wait < settings.rubberStampSeconds {
                flags.append(ReportFlag(.rubberStamp, a.actor, "approved request \(id) of \(info.requester) \(wait) s after it was filed"))
            }
        }
        for r in of(.requestRejected) { approvals[r.actor, default: (0, 0, [])].rejected += 1 }

        // Sign-ins.
        var logins: [String: (succeeded: Int, failed: Int, lockouts: Int)] = [:]
        for e in of(.loginSucceeded) { logins[e.actor, default: (0, 0, 0)].succeeded += 1 }
        for e in of(.loginFailed) { logins[e.actor, default: (0, 0, 0)].failed += 1 }
        // A lockout is an account paused: from one address, or at the TOTP step. An address paused for every
        // account, and the short waits an account imposes after failures, are not lockouts of that account.
        for e in of(.loginThrottled) where !["address", "account"].contains(detail(e, "scope") ?? "") {
            logins[e.actor, default: (0, 0, 0)].lockouts += 1
        }

        // Flags: after hours, volume, pairs, dormant accounts, revocations.
        var afterHours: [String: (count: Int, first: Int64)] = [:]
        for v in views where !isWorkingTime(v.at, settings) {
            afterHours[v.actor, default: (0, v.at)].count += 1
        }
        for (person, a) in afterHours.sorted(by: { $0.key < $1.key }) {
            flags.append(ReportFlag(.afterHours, person, "\(a.count) of \(byPerson[person]?.views ?? 0) views outside "
                + "\(String(format: "%02d:00–%02d:00", settings.workStartHour, settings.workEndHour)) UTC Monday to Friday; first at \(ISO8601.format(a.first))"))
        }
        let baselineStart = quarter.start - lookback
        for person in byPerson.keys.sorted() {
            let before = entries.filter { $0.action == AuditAction.contentViewed.rawValue && $0.actor == person
                && $0.at >= baselineStart && $0.at < quarter.start }.count
            let usual = Double(before) / 13
            var weekly: [Int64: Int] = [:]
            for v in views where v.actor == person { weekly[weekStart(v.at), default: 0] += 1 }
            for (week, count) in weekly.sorted(by: { $0.key < $1.key })
            where count >= settings.volumeMinimum && Double(count) > settings.volumeFactor * usual {
                flags.append(ReportFlag(.volume, person, "\(count) views in the week of \(ISO8601.day(week)); usual \(String(format: "%.1f", usual)) a week"))
            }
        }
        for (pair, n) in pairs.sorted(by: { $0.key < $1.key }) where n >= settings.pairThreshold {
            flags.append(ReportFlag(.pair, pair, "\(n) requests approved by the same custodian this quarter"))
        }
        let dormantSince = quarter.end - settings.dormantDays * 86_400
        for u in users.sorted(by: { $0.username < $1.username })
        where !u.disabled && u.createdAt < dormantSince && !u.roles.isDisjoint(with: [.admin, .custodian, .security]) {
            let signIns = entries.filter { $0.action == AuditAction.loginSucceeded.rawValue && $0.actor == u.username && $0.at < quarter.end }
            guard !signIns.contains(where: { $0.at >= dormantSince }) else { continue }
            let last = signIns.map(\.at).max()
            flags.append(ReportFlag(.dormant, u.username, "\(u.sortedRoles.map(\.rawValue).joined(separator: ", ")): "
                + (last.map { "last sign-in \(ISO8601.format($0))" } ?? "no sign-in in the \(settings.dormantDays) days before the quarter's end")))
        }
        for r in of(.grantRevoked) {
            let id = requestID(r.target)
            flags.append(ReportFlag(.revoked, r.target, "revoked by \(r.actor) at \(ISO8601.format(r.at))"
                + (id.flatMap { requests[$0] }.map { "; requested by \($0.requester)" } ?? "")))
        }

        // Weekly series for the chart: every week that overlaps the quarter.
        var weeks: [Int64: Int] = [:]
        var w = weekStart(quarter.start)
        while w < quarter.end {
            weeks[w] = 0
            w += 7 * 86_400
        }
        for v in views { weeks[weekStart(v.at), default: 0] += 1 }

        // Review: messages coded per person and week, changes after a first coding, escalations and their time open.
        var reviewed: [String: (messages: Set<String>, changed: Int)] = [:]
        for e in of(.reviewCoded) {
            let key = "\(e.actor)\u{0}\(ISO8601.day(weekStart(e.at)))"
            reviewed[key, default: ([], 0)].messages.insert(e.target)
            if let previous = detail(e, "previous"), previous != "none" { reviewed[key]?.changed += 1 }
        }
        let raised = of(.reviewNoted).filter { detail($0, "escalated") == "yes" }
        let resolved = of(.escalationResolved)
        let resolvedNotes = Set(resolved.compactMap { detail($0, "note") })
        let openTimes = resolved.compactMap { detail($0, "open_seconds").flatMap { Int64($0) } }.sorted()

        return AccessReport(
            quarter: quarter, generatedAt: now, settings: settings,
            viewsByPerson: byPerson.map { (person: $0.key, views: $0.value.views, messages: $0.value.messages.count, grants: $0.value.grants.count) }
                .sorted { ($0.views, $1.person) > ($1.views, $0.person) },
            viewsByGrant: byGrant.map { (request: $0.key, requester: requests[$0.key]?.requester ?? "(unknown)",
                                         reference: requests[$0.key]?.reference ?? "(unknown)", views: $0.value.views, messages: $0.value.messages.count) }
                .sorted { $0.request < $1.request },
            viewsByMatter: byMatter.map { (reference: $0.key, views: $0.value.views, grants: $0.value.grants.count) }
                .sorted { ($0.views, $1.reference) > ($1.views, $0.reference) },
            requests: events.map { (event: $0.0, count: of($0.1).count) },
            approvals: approvals.map { c in
                let waits = c.value.waits.sorted()
                return (custodian: c.key, approved: c.value.approved, rejected: c.value.rejected,
                        medianSeconds: waits.isEmpty ? nil : waits[(waits.count - 1) / 2], fastestSeconds: waits.first)
            }.sorted { $0.custodian < $1.custodian },
            roleChanges: of(.rolesChanged).map { e in
                (at: e.at, by: e.actor, user: e.target.hasPrefix("user:") ? String(e.target.dropFirst(5)) : e.target,
                 from: detail(e, "from") ?? "", to: detail(e, "to") ?? "")
            },
            logins: logins.map { (account: $0.key, succeeded: $0.value.succeeded, failed: $0.value.failed, lockouts: $0.value.lockouts) }
                .sorted { $0.account < $1.account },
            flags: flags,
            weeklyViews: weeks.sorted { $0.key < $1.key }.map { (week: ISO8601.day($0.key), views: $0.value) },
            reviewsByPersonWeek: reviewed.sorted { $0.key < $1.key }.map { k, v in
                let parts = k.split(separator: "\u{0}", maxSplits: 1).map(String.init)
                return (person: parts[0], week: parts.count > 1 ? parts[1] : "", reviewed: v.messages.count, changed: v.changed)
            },
            escalations: (raised: raised.count, resolved: resolved.count,
                          openAtEnd: raised.filter { detail($0, "note").map { !resolvedNotes.contains($0) } ?? false }.count,
                          medianOpenSeconds: openTimes.isEmpty ? nil : openTimes[(openTimes.count - 1) / 2], longestOpenSeconds: openTimes.last))
    }

    /// Monday 00:00 UTC of the week holding `t` (1970-01-01 was a Thursday).
    public static func weekStart(_ t: Int64) -> Int64 {
        let day = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let weekday = ((day + 3) % 7 + 7) % 7  // 0 = Monday
        return (day - weekday) * 86_400
    }

    /// Monday to Friday, from the start hour to the end hour, UTC.
    public static func isWorkingTime(_ t: Int64, _ s: AccessReportSettings) -> Bool {
        let day = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let weekday = ((day + 3) % 7 + 7) % 7
        let hour = Int((t - day * 86_400) / 3_600)
        return weekday < 5 && hour >= s.workStartHour && hour < s.workEndHour
    }

    static func detail(_ e: AuditEntry, _ key: String) -> String? {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(e.details.utf8)) as? [String: Any] else { return nil }
        return obj[key] as? String
    }
}
