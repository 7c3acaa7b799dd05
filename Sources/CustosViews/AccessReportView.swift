import CustosCore
import Foundation

/// A bar chart drawn on the server as SVG elements whose every value is escaped by the template.
struct BarChart: Sendable {
    struct Bar: Sendable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        var label: String
        var value: Int
        var labelX: Int
        var valueY: Int
    }

    var title: String
    var width: Int
    var height: Int
    var baseline: Int
    var bars: [Bar]
    var empty: Bool

    /// Bars for `series`, scaled to the largest value; labels under the bars, values above them.
    init(title: String, series: [(label: String, value: Int)], barWidth: Int = 34, gap: Int = 8, plotHeight: Int = 140) {
        self.title = title
        let top = max(1, series.map(\.value).max() ?? 1)
        let plotTop = 18
        baseline = plotTop + plotHeight
        width = max(200, series.count * (barWidth + gap) + gap)
        height = baseline + 34
        bars = series.enumerated().map { i, s in
            let h = s.value == 0 ? 0 : max(2, s.value * plotHeight / top)
            let x = gap + i * (barWidth + gap)
            return Bar(x: x, y: plotTop + plotHeight - h, width: barWidth, height: h, label: s.label, value: s.value,
                       labelX: x + barWidth / 2, valueY: plotTop + plotHeight - h - 4)
        }
        empty = series.allSatisfy { $0.value == 0 }
    }
}

struct FlagRow: Sendable { var kind: String; var title: String; var subject: String; var detail: String }
struct CountRow: Sendable { var label: String; var a: String; var b: String; var c: String; var d: String }

/// The quarterly access report's page.
public struct AccessReportView: Sendable {
    var chrome: Chrome
    var quarter: String
    var quarters: [OptionRow]
    var generatedAt: String
    var flags: [FlagRow]
    var flagCount: Int
    var viewsByPerson: [CountRow]
    var viewsByGrant: [CountRow]
    var viewsByMatter: [CountRow]
    var requests: [CountRow]
    var approvals: [CountRow]
    var roleChanges: [CountRow]
    var logins: [CountRow]
    var reviews: [CountRow]
    var escalations: [CountRow]
    var weekly: BarChart
    var outcomes: BarChart
    var csvPath: String
    var workingHours: String
    var settings: String

    public init(chrome: Chrome, report r: AccessReport, quarters: [String], csvPath: String) {
        self.chrome = chrome
        quarter = r.quarter.description
        self.quarters = quarters.map { OptionRow(value: $0, label: $0, selected: $0 == r.quarter.description) }
        generatedAt = TimeFormat.utc(r.generatedAt)
        flags = r.flags.map { FlagRow(kind: $0.kind.rawValue, title: $0.kind.title, subject: $0.subject, detail: $0.detail) }
        flagCount = r.flags.count
        viewsByPerson = r.viewsByPerson.map { CountRow(label: $0.person, a: "\($0.views)", b: "\($0.messages)", c: "\($0.grants)", d: "") }
        viewsByGrant = r.viewsByGrant.map {
            CountRow(label: "\($0.request)", a: $0.requester, b: $0.reference, c: "\($0.views)", d: "\($0.messages)")
        }
        viewsByMatter = r.viewsByMatter.map { CountRow(label: $0.reference, a: "\($0.views)", b: "\($0.grants)", c: "", d: "") }
        requests = r.requests.map { CountRow(label: $0.event, a: "\($0.count)", b: "", c: "", d: "") }
        approvals = r.approvals.map {
            CountRow(label: $0.custodian, a: "\($0.approved)", b: "\($0.rejected)", c: $0.medianSeconds.map(Self.duration) ?? "—",
                     d: $0.fastestSeconds.map(Self.duration) ?? "—")
        }
        roleChanges = r.roleChanges.map { CountRow(label: TimeFormat.utc($0.at), a: $0.user, b: $0.from, c: $0.to, d: $0.by) }
        logins = r.logins.map { CountRow(label: $0.account, a: "\($0.succeeded)", b: "\($0.failed)", c: "\($0.lockouts)", d: "") }
        reviews = r.reviewsByPersonWeek.map { CountRow(label: $0.person, a: $0.week, b: "\($0.reviewed)", c: "\($0.changed)", d: "") }
        let e = r.escalations
        escalations = [CountRow(label: "\(e.raised)", a: "\(e.resolved)", b: "\(e.openAtEnd)", c: e.medianOpenSeconds.map(Self.duration) ?? "—",
                                d: e.longestOpenSeconds.map(Self.duration) ?? "—")]
        weekly = BarChart(title: "Content views per week", series: r.weeklyViews.map { (String($0.week.dropFirst(5)), $0.views) }, barWidth: 30)
        outcomes = BarChart(title: "Requests by outcome", series: r.requests.map { ($0.event, $0.count) }, barWidth: 52)
        self.csvPath = csvPath
        workingHours = String(format: "%02d:00–%02d:00 UTC, Monday to Friday", r.settings.workStartHour, r.settings.workEndHour)
        settings = "approvals within \(r.settings.rubberStampSeconds) s; \(r.settings.pairThreshold) approvals by one pair; "
            + "weeks of \(r.settings.volumeMinimum)+ views above \(String(format: "%.0f", r.settings.volumeFactor))× the 13-week usual; "
            + "\(r.settings.dormantDays) days without sign-in"
    }

    static func duration(_ s: Int64) -> String {
        s < 120 ? "\(s) s" : s < 7_200 ? "\(s / 60) min" : s < 172_800 ? "\(s / 3_600) h" : "\(s / 86_400) d"
    }
}
