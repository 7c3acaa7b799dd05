import CustosCore
import CustosViews
import Foundation
import Hummingbird

/// The quarterly access report for security: a printable page with server-drawn charts, and CSV.
struct ReportsController {
    let reports: AccessReportService
    let clock: any Clock
    let renderer: Renderer
    static let security: Access = .roles([.security])

    func addRoutes(to routes: SecureRouter) {
        routes.get(Paths.reportAccess, Self.security) { request, context in
            let quarter = try quarter(request)
            let report = try reports.generate(quarter, format: "html", actor: context.actor)
            return renderer.page("reports/access", AccessReportView(
                chrome: ChromeBuilder.make("Access report \(quarter)", context: context, current: Paths.reportAccess),
                report: report, quarters: recentQuarters(), csvPath: Paths.reportAccessCSV + "?quarter=\(quarter)"))
        }
        routes.get(Paths.reportAccessCSV, Self.security) { request, context in
            let quarter = try quarter(request)
            let report = try reports.generate(quarter, format: "csv", actor: context.actor)
            return Response(status: .ok, headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"custos-access-\(quarter).csv\"",
            ], body: .init(byteBuffer: ByteBuffer(string: report.csv)))
        }
    }

    /// The asked-for quarter, or the current one.
    private func quarter(_ request: Request) throws -> Quarter {
        guard let raw = request.uri.queryParameters["quarter"].map(String.init), !raw.isEmpty else { return Quarter(containing: clock.now()) }
        guard let q = Quarter(raw) else { throw DomainError.invalidInput("A quarter is written YYYY-Qn, for example 2026-Q3.") }
        return q
    }

    /// The current quarter and the seven before it, for the picker.
    private func recentQuarters() -> [String] {
        var q = Quarter(containing: clock.now())
        var out: [String] = []
        for _ in 0..<8 {
            out.append(q.description)
            q = Quarter(containing: q.start - 1)
        }
        return out
    }
}
