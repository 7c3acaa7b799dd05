import ArgumentParser
import AsyncHTTPClient
import CustosRuntime
import CustosWeb
import Foundation

/// `custos-bench` (`make bench`): set up an archive, load the synthetic corpus through the ingest API, search the
/// loaded archive in-process and over HTTP, and print every figure beside its baseline.
struct RunBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the benchmarks and print the results table.")

    @OptionGroup var corpusOptions: CorpusOptions
    @Option(help: "The engine the archive is stored in: sqlite, or postgres (a PostgreSQL 15 cluster the benchmark starts).")
    var engine: BenchEngine = .sqlite
    @Option(help: "Concurrent upload connections.") var connections = 2
    @Option(help: "Messages to seal for real when measuring the client's sealing cost.") var sealSamples = 2_000
    @Option(help: "Calls per search when timing searches in-process (default 1,000; 300 with --quick).") var searchSamples: Int?
    @Option(help: "Seconds per round of HTTP load on the search page and on /hello (default 10; 3 with --quick).") var loadSeconds: Int?
    @Option(help: "Connections of the HTTP load on the search page and on /hello.") var loadConnections = 10

    func run() async throws {
        let count = try corpusOptions.messageCount(default: 1_000_000)
        let workdir = try corpusOptions.makeWorkdir()
        defer { corpusOptions.cleanUp(workdir) }
        let resources = try Resources.locate()
        progress("custos-bench: \(Measure.grouped(count)) messages on \(engine.rawValue), batches of \(corpusOptions.batch), "
                 + "\(connections) connections, \(ProcessInfo.processInfo.activeProcessorCount) cores; work in \(workdir)")

        let loadBefore = Measure.loadAverage()
        let database = try await BenchDatabase.make(engine: engine, workdir: workdir, resources: resources)
        defer { database.stop() }  // before the working directory that holds it goes
        let bench = try await BenchContext.prepare(corpus: SyntheticCorpus(count: count), batchSize: corpusOptions.batch, workdir: workdir,
                                                   resources: resources, database: database)
        var table = ResultTable.comparison()
        var baseline: IngestBaseline
        do {
            baseline = try await IngestBaseline.make(database: database, dataDirectory: bench.setup.dataDirectory, workdir: workdir,
                                                     resources: resources, batchSize: corpusOptions.batch)
        } catch {
            await bench.server.stop()
            throw error
        }
        var upload = HTTPIngest.Result()
        var uploadDatabaseCPU = 0.0
        let memory: (resident: Int, peak: Int)
        let system: CustosSystem
        let search: SearchBench.Result
        let samples = searchSamples ?? (corpusOptions.quick ? 300 : 1_000)
        do {
            // In tenths: upload (timed), then the baseline copies what was stored (its inserts timed), so the
            // two databases grow in step and a slow stretch of a shared machine lands on both columns.
            progress("Uploading through POST /api/v1/messages, then copying the same rows for the baseline, in tenths …")
            let step = max(1, bench.spool.batchCount / 10)
            for first in stride(from: 0, to: bench.spool.batchCount, by: step) {
                let batches = first..<min(first + step, bench.spool.batchCount)
                let databaseCPU = database.postgres?.usage().cpu ?? 0
                upload.merge(try await HTTPIngest.run(spool: bench.spool, batches: batches, server: bench.server, token: bench.setup.token,
                                                      http: .shared, connections: connections))
                uploadDatabaseCPU += (database.postgres?.usage().cpu ?? 0) - databaseCPU
                try await baseline.copyNew()
                progress("  … \(batches.upperBound)/\(bench.spool.batchCount) batches: Custos \(Measure.grouped(Int(upload.throughput))) msgs/s, "
                         + "baseline \(Measure.grouped(Int(baseline.result.throughput))) msgs/s so far")
            }
            memory = bench.server.memory()
            await baseline.close()
            if !corpusOptions.keep { try? FileManager.default.removeItem(atPath: bench.spool.directory) }
            // Issue 4's search stages: the archive holds the whole corpus and the server is still up.
            // Opened as `custos serve` opens it (the signed head written in the background).
            try await database.settle()
            system = try CustosSystem.open(dataDirectory: bench.setup.dataDirectory, database: database.archive, resources: resources,
                                           auditHead: .background)
            search = try await SearchBench.run(bench: bench, system: system, workdir: workdir, samples: max(20, samples),
                                               connections: loadConnections, loadSeconds: loadSeconds ?? (corpusOptions.quick ? 3 : 10),
                                               rounds: 2)
            await bench.server.stop()
        } catch {
            await bench.server.stop()
            await baseline.close()
            throw error
        }

        progress("Verifying the archive …")
        var checks = try ArchiveChecks.run(system: system, expected: count)
        checks.merge(search.latency.checks)
        progress("Sealing \(sealSamples) messages for real …")
        let seal = try SealCost.measure(corpus: bench.corpus, publicKey: bench.setup.publicKey, samples: sealSamples)

        IngestReport.add(to: &table, count: count, upload: upload, uploadDatabaseCPU: uploadDatabaseCPU, baseline: baseline.result,
                         database: database, memory: memory, seal: seal, spool: bench.spool, connections: connections)
        SearchReport.add(to: &table, search, samples: max(20, samples), database: database)
        if engine == .sqlite {
            progress("Approving a 1,000-message decryption request (issue 5) …")
            try await ApprovalBench.measure(messages: 1_000, dataDirectory: (workdir as NSString).appendingPathComponent("approval"), into: &table)
        } else {
            table.add("custodian approves a 1,000-message request on its device — (SQLite only: `custos-bench approval`)", custos: "—")
        }
        table.note("Machine load (1-minute average) before the run: \(loadBefore); after it: \(Measure.loadAverage()) "
                   + "(other work on these cores lowers both columns, not always equally).")
        for line in checks.lines { table.note(line) }
        print(table.render())
        guard checks.ok else { throw ExitCode(1) }
    }
}

/// What every stage shares: the corpus, its spooled batches, the archive, its database and the running server.
struct BenchContext: Sendable {
    let corpus: SyntheticCorpus
    let spool: CorpusSpool
    let setup: ArchiveSetup
    let server: ServerProcess
    let database: BenchDatabase

    /// Sets up the archive in `database`, writes the corpus's batches (`spooled` of them; all when nil) and starts the
    /// server; none of it is timed.
    static func prepare(corpus: SyntheticCorpus, batchSize: Int, workdir: String, resources: Resources, database: BenchDatabase,
                        spooled: Range<Int>? = nil) async throws -> BenchContext {
        let dataDirectory = (workdir as NSString).appendingPathComponent("archive")
        let (setup, setupSeconds) = try await timeAsync {
            try await ArchiveSetup.make(dataDirectory: dataDirectory, database: database.archive, resources: resources)
        }
        progress("Archive set up (3 custodians, 2-of-3 epoch, capture token) in \(Measure.fixed(setupSeconds)) s")
        let (spool, spoolSeconds) = try await timeAsync {
            try await CorpusSpool.generate(corpus: corpus, forge: try EnvelopeForge(), epoch: setup.publicKey.epoch, batchSize: batchSize,
                                           directory: (workdir as NSString).appendingPathComponent("spool"),
                                           workers: ProcessInfo.processInfo.activeProcessorCount, only: spooled)
        }
        if spooled == nil {
            progress("Corpus written: \(spool.batchCount) batches, \(Measure.mebibytes(spool.totalBytes)) of JSON in \(Measure.fixed(spoolSeconds)) s "
                     + "(checked against IngestRequest's decoder)")
        }
        let server = try ServerProcess.launch(dataDirectory: dataDirectory, database: database,
                                              logPath: (workdir as NSString).appendingPathComponent("server.log"))
        do {
            try await server.waitUntilReady(http: .shared)
        } catch {
            await server.stop()
            throw error
        }
        progress("Server process \(server.pid) listening on \(server.url)")
        return BenchContext(corpus: corpus, spool: spool, setup: setup, server: server, database: database)
    }
}

/// Seconds an async `body` took, and its result.
func timeAsync<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = Measure.now()
    let value = try await body()
    return (value, Measure.now() - start)
}
