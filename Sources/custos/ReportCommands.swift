import ArgumentParser
import CustosCore
import CustosWeb
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
    @Option(help: "The quarter, YYYY-Qn (UTC).") var quarter: String
    @Option(help: "csv (the only format on the command line; the web page is the printable one).") var format = "csv"

    func validate() throws {
        guard Quarter(quarter) != nil else { throw ValidationError("--quarter must look like 2026-Q3.") }
        guard format == "csv" else { throw ValidationError("--format must be csv (the HTML report is served at /reports/access).") }
    }

    func run() async throws {
        let system = try CustosSystem.open(dataDirectory: data, resources: try Resources.locate(), clock: ServerClock.make())
        guard let q = Quarter(quarter) else { throw ValidationError("--quarter must look like 2026-Q3.") }
        let report = try system.accessReports.generate(q, format: format, actor: .system("custos report access"))
        FileHandle.standardOutput.write(Data(report.csv.utf8))
    }
}
