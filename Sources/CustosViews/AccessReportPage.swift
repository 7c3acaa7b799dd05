import CustosCore
import CustosRuntime
import Foundation

/// The access report as a standalone HTML page (for `custos report access --format html`): the same
/// template as the web page, without navigation, with the stylesheet inlined so the file prints alone.
public func accessReportHTML(_ report: AccessReport, resources: Resources) throws -> String {
    let library = try TemplateLibrary(directory: resources.templates.path)
    let chrome = Chrome(title: "Access report \(report.quarter)", csrf: "", signedIn: false, username: "", displayName: "",
                        activeRole: "", otherRoles: [], canSwitchRole: false, nav: [], notice: nil, error: nil)
    let view = AccessReportView(chrome: chrome, report: report, quarters: [report.quarter.description], csvPath: "")
    guard let html = library.renderString(view, template: "reports/access") else {
        throw StartupError("the template reports/access is missing from \(resources.templates.path)")
    }
    let css = (try? String(contentsOf: resources.publicFiles.appendingPathComponent("custos.css"), encoding: .utf8)) ?? ""
    return html.replacingOccurrences(of: "<link rel=\"stylesheet\" href=\"/custos.css\">", with: "<style>\n" + css + "</style>")
}
