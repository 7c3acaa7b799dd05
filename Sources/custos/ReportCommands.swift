import ArgumentParser
import CustosCore
import CustosRuntime
import CustosViews
import Foundation

/// `custos report …`: reports for security.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports for security.", subcommands: [ReportAccess.self])
}

/// `custos report access --data DIR --quarter YYYY-Qn --format csv`: the quarterly access report on standard output.
struct ReportAccess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract: "The quarterly access report: content views, requests, approvals, role changes, sign-ins and flags.",
        discussion: """
            Computed from the audit log. CSV rows are `section,subject,metric,value`; flags are rows of section `flag` \
            whose metric is the kind of flag. Producing the report is recorded in the audit log.
            """)

    @Option(help: "The data directory.") var data: String

    @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
    @Option(help: "The quarter, YYYY-Qn (UTC).") var quarter: String
    @Option(help: "csv, or html (a printable page with its charts and stylesheet inlined).") var format = "csv"
    @Option(help: "Working hours for the after-hours flag, HH-HH in UTC, Monday to Friday.") var workingHours = "07-19"

    func validate() throws {
        guard Quarter(quarter) != nil else { throw ValidationError("--quarter must look like 2026-Q3.") }
        guard ["csv", "html"].contains(format) else { throw ValidationError("--format must be csv or html.") }
        guard (try? AccessReportSettings(workingHours: workingHours)) != nil else { throw ValidationError("--working-hours must look like 07-19.") }
    }

    func run() async throws {
        let resources = try Resources.locate()
        let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: resources, clock: ServerClock.make(),
                                           reportSettings: try AccessReportSettings(workingHours: workingHours))
        guard let q = Quarter(quarter) else { throw ValidationError("--quarter must look like 2026-Q3.") }
        let report = try system.accessReports.generate(q, format: format, actor: .system("custos report access"))
        let text = format == "html" ? try accessReportHTML(report, resources: resources) : report.csv
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
