import ArgumentParser
import CustosCore
import CustosRuntime
import CustosWeb
import Foundation

/// `custos serve`: the web application and the ingest API.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the web application and the ingest API.")

    @Option(help: "The data directory.") var data: String

    @Option(help: ArgumentHelp("The archive's database: a postgres:// URL, or the SQLite file in the data directory when not given.", valueName: "url")) var database: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Flag(help: "Custos is reached over HTTPS (through a TLS-terminating proxy): __Host- cookies and HSTS.") var tls = false
    @Option(help: ArgumentHelp("A reverse proxy (CIDR or bare address; repeatable) whose X-Forwarded-For names the client "
                               + "for throttling and audit; from any other peer the header is ignored.", valueName: "cidr"))
    var trustedProxy: [String] = []
    @Option(help: ArgumentHelp("A network (CIDR or bare address; repeatable) whose connections may read GET /metrics; "
                               + "without one, /metrics answers 404 to everyone.", valueName: "cidr"))
    var metricsFrom: [String] = []
    @Option(help: "Longest grant a decryption request may ask for, in hours (1–168).") var maxGrantHours = 4
    @Option(help: "Most messages one decryption request may name (1–2000; a request form carries every id).") var maxRequestMessages = 1_000
    @Option(help: "Hours custodians have to approve a request before it lapses (1–720).") var approvalWindowHours = 72
    @Option(help: "Run disposition every this many hours (0 turns the schedule off; `custos retention run` still works).")
    var dispositionHours = 24
    @Option(help: "Working hours for the access report's after-hours flag, HH-HH in UTC, Monday to Friday.") var workingHours = "07-19"
    @Option(help: "Hours a one-time password issued by an administrator works (1–720).") var oneTimePasswordHours = 72
    @Option(help: ArgumentHelp("Seconds the background jobs stay with this server without renewal (6–3600); with several "
                               + "servers on one archive, another takes them over at most this long after it stops.",
                               valueName: "seconds")) var backgroundLeaseSeconds = 60
    @Option(help: "Seconds a stopping server waits for requests in flight before closing their connections (1–300).")
    var shutdownGraceSeconds = 20

    func validate() throws {
        guard (1...168).contains(maxGrantHours) else { throw ValidationError("--max-grant-hours must be between 1 and 168.") }
        guard (1...2_000).contains(maxRequestMessages) else { throw ValidationError("--max-request-messages must be between 1 and 2000.") }
        guard (1...720).contains(approvalWindowHours) else { throw ValidationError("--approval-window-hours must be between 1 and 720.") }
        guard (0...8_760).contains(dispositionHours) else { throw ValidationError("--disposition-hours must be between 0 and 8760.") }
        guard (try? AccessReportSettings(workingHours: workingHours)) != nil else { throw ValidationError("--working-hours must look like 07-19.") }
        guard (1...720).contains(oneTimePasswordHours) else { throw ValidationError("--one-time-password-hours must be between 1 and 720.") }
        guard (6...3_600).contains(backgroundLeaseSeconds) else { throw ValidationError("--background-lease-seconds must be between 6 and 3600.") }
        guard (1...300).contains(shutdownGraceSeconds) else { throw ValidationError("--shutdown-grace-seconds must be between 1 and 300.") }
        _ = try trustedProxies()
        _ = try metricsNetworks()
    }

    /// The --metrics-from values, read as strictly as --trusted-proxy.
    func metricsNetworks() throws -> [IPNetwork] {
        try metricsFrom.map { text in
            do { return try IPNetwork(text) } catch { throw ValidationError("--metrics-from \(text): \(error)") }
        }
    }

    /// The --trusted-proxy values, each read strictly; a bad one names itself and what is wrong.
    func trustedProxies() throws -> [IPNetwork] {
        try trustedProxy.map { text in
            do { return try IPNetwork(text) } catch { throw ValidationError("--trusted-proxy \(text): \(error)") }
        }
    }

    func run() async throws {
        let policy = DecryptionPolicy(maximumHours: maxGrantHours, maximumMessages: maxRequestMessages,
                                      approvalWindowHours: approvalWindowHours)
        let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate(), clock: ServerClock.make(),
                                           decryptionPolicy: policy, reportSettings: try AccessReportSettings(workingHours: workingHours),
                                           auditHead: .background, oneTimePasswordLifetime: Int64(oneTimePasswordHours) * 3_600,
                                           backgroundLeaseSeconds: Int64(backgroundLeaseSeconds))
        var web = WebConfiguration(host: host, port: port, tls: tls, trustedProxies: try trustedProxies())
        web.metricsFrom = try metricsNetworks()
        let app = try await buildApplication(system: system, configuration: web)
        // SIGTERM or SIGINT: in-flight requests finish, then the signed head is written and the database closed.
        // The holder renews its lease three times per period, so one missed round does not hand the jobs over.
        try await system.serve([app], housekeepingEvery: .seconds(max(2, backgroundLeaseSeconds / 3)),
                               disposition: DispositionSchedule(everyHours: dispositionHours),
                               gracefulShutdownLimit: .seconds(shutdownGraceSeconds))
    }
}
