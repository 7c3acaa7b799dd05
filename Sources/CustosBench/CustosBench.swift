import ArgumentParser
import CustosRuntime
import CustosWeb
import Foundation
import Hummingbird

/// `custos-bench`: Custos's benchmarks, each figure printed beside a baseline measured in the same run.
@main
struct CustosBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custos-bench",
        abstract: "Benchmarks of Custos against bare SQLite or PostgreSQL baselines measured in the same run.",
        subcommands: [RunBenchmarks.self, GrowthBench.self, ProfileIngest.self, CorpusStats.self, ApprovalBench.self, ServeForBenchmark.self, HelloServer.self],
        defaultSubcommand: RunBenchmarks.self
    )
}

/// Options every benchmark shares: how big the corpus is and where the scratch files go.
struct CorpusOptions: ParsableArguments {
    @Option(help: "Messages in the synthetic corpus (default: $BENCH_MESSAGES, else 1,000,000).") var messages: Int?
    @Flag(help: "A fast look: 50,000 messages.") var quick = false
    @Option(help: "Messages per upload batch (the API's limit is 1,000).") var batch = 1_000
    @Option(help: "Directory for the archive, spool and baseline (default: a new temporary directory, removed afterwards).")
    var workdir: String?
    @Flag(help: "Keep the working directory (archive, baseline database, spool) afterwards.") var keep = false

    /// The corpus size after the flag, the option and the environment.
    func messageCount(default fallback: Int) throws -> Int {
        let n = quick ? 50_000 : messages ?? ProcessInfo.processInfo.environment["BENCH_MESSAGES"].flatMap { Int($0) } ?? fallback
        guard n > 0, (1...1_000).contains(batch) else { throw ValidationError("--messages must be positive and --batch 1…1000") }
        return n
    }

    /// Creates the working directory.
    func makeWorkdir() throws -> String {
        let dir = workdir ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("custos-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Removes the working directory unless asked to keep it.
    func cleanUp(_ dir: String) {
        if keep {
            progress("Kept \(dir)")
        } else {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }
}

/// `custos-bench serve` (internal): what `custos serve [--database URL] --disposition-hours 0` runs, for the benchmark's server
/// process (no disposition run lands in a measurement). Exits by itself when the benchmark that started it is gone.
struct ServeForBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Internal: the server under test.",
                                                    shouldDisplay: false)

    @Option var data: String
    @Option(help: "The archive's database: a postgres:// URL (password in PGPASSWORD), or the data directory's SQLite file.")
    var database: String?
    @Option var port: Int
    @Option(help: "The benchmark's process id; the server exits when it disappears.") var parent: Int32

    func run() async throws {
        let parent = self.parent
        Thread.detachNewThread {
            while getppid() == parent { sleep(1) }
            Foundation.exit(0)
        }
        let system = try CustosSystem.open(dataDirectory: data, database: try ArchiveDatabase(option: database), resources: try Resources.locate(),
                                           auditHead: .background)
        let app = try await buildApplication(system: system, configuration: WebConfiguration(host: "127.0.0.1", port: port))
        try await system.serve([app], disposition: DispositionSchedule(everyHours: 0))
    }
}
