import Foundation

/// A calendar quarter, UTC: `YYYY-Qn`.
public struct Quarter: Sendable, Equatable, CustomStringConvertible {
    public var year: Int
    public var number: Int

    public init?(_ text: String) {
        let parts = text.uppercased().split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let y = Int(parts[0]), (1970...2200).contains(y),
              parts[1].count == 2, parts[1].first == "Q", let q = Int(parts[1].dropFirst()), (1...4).contains(q) else { return nil }
        year = y
        number = q
    }

    public init(containing seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let (y, m, _) = ISO8601.civil(days)
        year = Int(y)
        number = Int((m - 1) / 3 + 1)
    }

    public var description: String { "\(year)-Q\(number)" }
    /// First second of the quarter.
    public var start: Int64 { SearchQuery.daysFromCivil(year, (number - 1) * 3 + 1, 1) * 86_400 }
    /// First second after the quarter.
    public var end: Int64 { number == 4 ? SearchQuery.daysFromCivil(year + 1, 1, 1) * 86_400 : SearchQuery.daysFromCivil(year, number * 3 + 1, 1) * 86_400 }
}

/// What counts as unusual in an access report. Working hours are UTC.
public struct AccessReportSettings: Sendable, Equatable {
    /// Content views before this hour or from `workEndHour` on, or on a Saturday or Sunday, are flagged.
    public var workStartHour = 7
    public var workEndHour = 19
    /// An approval given this soon after the request was filed is flagged as possible rubber-stamping.
    public var rubberStampSeconds: Int64 = 60
    /// A requester–approver pair approving this many requests in the quarter is flagged.
    public var pairThreshold = 3
    /// A week with at least `volumeMinimum` views and more than `volumeFactor` × the person's mean weekly
    /// views over the 13 weeks before the quarter is flagged.
    public var volumeFactor = 3.0
    public var volumeMinimum = 20
    /// Admin, custodian and security accounts without a sign-in for this many days at the quarter's end.
    public var dormantDays: Int64 = 90

    public init() {}

    /// Settings with working hours written `HH-HH` (UTC, start included, end excluded), e.g. `07-19`.
    public init(workingHours: String) throws {
        let parts = workingHours.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let start = parts[0], let end = parts[1], (0...23).contains(start), (1...24).contains(end), start < end else {
            throw DomainError.invalidInput("Working hours are written HH-HH in UTC, for example 07-19.")
        }
        workStartHour = start
        workEndHour = end
    }
}

/// One figure of a report: a section, whom or what it is about, what is counted and the count.
public struct ReportFigure: Sendable, Equatable {
    public var section: String
    public var subject: String
    public var metric: String
    public var value: String

    public init(_ section: String, _ subject: String, _ metric: String, _ value: String) {
        self.section = section
        self.subject = subject
        self.metric = metric
        self.value = value
    }
}

/// Something the reviewer should look at.
public struct ReportFlag: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case afterHours = "after-hours-views"
        case volume = "view-volume"
        case rubberStamp = "rubber-stamp-approval"
        case pair = "repeated-pair"
        case dormant = "dormant-privileged-account"
        case revoked = "grant-revoked"

        public var title: String {
            switch self {
            case .afterHours: "Content viewed outside working hours"
            case .volume: "Content views far above the person's usual"
            case .rubberStamp: "Approval given within seconds of the request"
            case .pair: "The same requester and approver again and again"
            case .dormant: "Privileged account without a sign-in for 90 days"
            case .revoked: "Grant ended by revocation"
            }
        }
    }

    public var kind: Kind
    public var subject: String
    public var detail: String

    public init(_ kind: Kind, _ subject: String, _ detail: String) {
        self.kind = kind
        self.subject = subject
        self.detail = detail
    }
}

/// The quarterly access report: figures, flags and the weekly series the charts draw.
public struct AccessReport: Sendable {
    public var quarter: Quarter
    public var generatedAt: Int64
    public var settings: AccessReportSettings
    /// Content views per person.
    public var viewsByPerson: [(person: String, views: Int, messages: Int, grants: Int)]
    /// Content views per grant (a granted request).
    public var viewsByGrant: [(request: Int64, requester: String, reference: String, views: Int, messages: Int)]
    /// Content views per matter (the matter or case reference the requests named).
    public var viewsByMatter: [(reference: String, views: Int, grants: Int)]
    /// Requests by what happened to them in the quarter.
    public var requests: [(event: String, count: Int)]
    /// Per custodian: approvals, rejections and the time from filing to approval.
    public var approvals: [(custodian: String, approved: Int, rejected: Int, medianSeconds: Int64?, fastestSeconds: Int64?)]
    public var roleChanges: [(at: Int64, by: String, user: String, from: String, to: String)]
    /// Per account name: sign-ins, failures and lockouts.
    public var logins: [(account: String, succeeded: Int, failed: Int, lockouts: Int)]
    public var flags: [ReportFlag]
    /// Content views per ISO week of the quarter (Monday dates), for the chart.
    public var weeklyViews: [(week: String, views: Int)]
    /// Review, per person and ISO week: messages coded, and codings changed after a message's first.
    public var reviewsByPersonWeek: [(person: String, week: String, reviewed: Int, changed: Int)]
    /// Escalations raised in the quarter, those resolved in it, those raised and still open at its end, and how long
    /// the resolved ones stayed open.
    public var escalations: (raised: Int, resolved: Int, openAtEnd: Int, medianOpenSeconds: Int64?, longestOpenSeconds: Int64?)

    /// Every figure as rows (the CSV).
    public var figures: [ReportFigure] {
        var f: [ReportFigure] = []
        for v in viewsByPerson {
            f += [.init("views-by-person", v.person, "views", "\(v.views)"), .init("views-by-person", v.person, "messages", "\(v.messages)"),
                  .init("views-by-person", v.person, "grants", "\(v.grants)")]
        }
        for g in viewsByGrant {
            f += [.init("views-by-grant", "request:\(g.request)", "views", "\(g.views)"),
                  .init("views-by-grant", "request:\(g.request)", "messages", "\(g.messages)"),
                  .init("views-by-grant", "request:\(g.request)", "requester", g.requester),
                  .init("views-by-grant", "request:\(g.request)", "reference", g.reference)]
        }
        for m in viewsByMatter {
            f += [.init("views-by-matter", m.reference, "views", "\(m.views)"), .init("views-by-matter", m.reference, "grants", "\(m.grants)")]
        }
        for r in requests { f.append(.init("requests", r.event, "count", "\(r.count)")) }
        for a in approvals {
            f += [.init("approvals", a.custodian, "approved", "\(a.approved)"), .init("approvals", a.custodian, "rejected", "\(a.rejected)")]
            if let m = a.medianSeconds { f.append(.init("approvals", a.custodian, "median-seconds-to-approve", "\(m)")) }
            if let s = a.fastestSeconds { f.append(.init("approvals", a.custodian, "fastest-seconds-to-approve", "\(s)")) }
        }
        for c in roleChanges {
            f.append(.init("role-changes", c.user, ISO8601.format(c.at), "\(c.from.isEmpty ? "-" : c.from) -> \(c.to.isEmpty ? "-" : c.to) by \(c.by)"))
        }
        for l in logins {
            f += [.init("logins", l.account, "succeeded", "\(l.succeeded)"), .init("logins", l.account, "failed", "\(l.failed)"),
                  .init("logins", l.account, "lockouts", "\(l.lockouts)")]
        }
        for w in weeklyViews { f.append(.init("weekly-views", w.week, "views", "\(w.views)")) }
        for r in reviewsByPersonWeek {
            f += [.init("review", "\(r.person) \(r.week)", "messages-reviewed", "\(r.reviewed)"),
                  .init("review", "\(r.person) \(r.week)", "changed-after-first-coding", "\(r.changed)")]
        }
        f += [.init("escalations", "quarter", "raised", "\(escalations.raised)"), .init("escalations", "quarter", "resolved", "\(escalations.resolved)"),
              .init("escalations", "quarter", "open-at-end", "\(escalations.openAtEnd)")]
        if let m = escalations.medianOpenSeconds { f.append(.init("escalations", "quarter", "median-seconds-open", "\(m)")) }
        if let l = escalations.longestOpenSeconds { f.append(.init("escalations", "quarter", "longest-seconds-open", "\(l)")) }
        for flag in flags { f.append(.init("flag", flag.subject, flag.kind.rawValue, flag.detail)) }
        return f
    }

    /// The report as CSV: `section,subject,metric,value`, formula-safe.
    public var csv: String {
        var out = "section,subject,metric,value\r\n"
        out += "report,\(quarter),generated,\(ISO8601.format(generatedAt))\r\n"
        for r in figures { out += [r.section, r.subject, r.metric, r.value].map(CSV.field).joined(separator: ",") + "\r\n" }
        return out
    }
}
