import ArgumentParser
import AsyncHTTPClient
import CustosCore
import CustosRuntime
import CustosWeb
import Foundation

/// `custos-bench growth`: the growth curve. One archive grows by HTTP upload, as in `run`, and at each step (1 M,
/// 5 M and 10 M messages by default) the benchmark reports the ingest rate over the segment since the previous
/// step, the in-process searches (a)–(d) beside the same SQL run directly, a short round of HTTP load on the search
/// page, and the bytes on disk per message. No baseline database is loaded (it would double the disk).
///
/// The corpus is one backfill per segment, each spread over the same three years (`SyntheticCorpus.segments`),
/// so at every step the same searches find proportionally more; the corpus is spooled a chunk at a time and each
/// chunk deleted once uploaded, so the spool never holds more than a chunk.
struct GrowthBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "growth",
                                                    abstract: "The growth curve: ingest rate, search latency and disk per message as one archive grows.")

    @Option(help: "The engine the archive is stored in: sqlite, or postgres (a PostgreSQL 15 cluster the benchmark starts).")
    var engine: BenchEngine = .sqlite
    @Option(help: "Archive sizes at which to measure, comma-separated, each a multiple of --batch (default 1000000,5000000,10000000).")
    var steps: String?
    @Flag(help: "A fast look: steps 20000,50000,100000 and shorter search rounds.") var quick = false
    @Option(help: "Messages per upload batch (the API's limit is 1,000).") var batch = 1_000
    @Option(help: "Concurrent upload connections.") var connections = 2
    @Option(help: "Calls per search at each step, in-process (default 300; 100 with --quick).") var searchSamples: Int?
    @Option(help: "Seconds of HTTP load on the search page at each step (default 5; 2 with --quick).") var loadSeconds: Int?
    @Option(help: "Connections of the HTTP load on the search page.") var loadConnections = 10
    @Option(help: "Directory for the archive and spool (default: a new temporary directory, removed afterwards).") var workdir: String?
    @Flag(help: "Keep the working directory afterwards.") var keep = false

    /// Batches spooled at a time: ≈ 0.9 GB of JSON.
    static let chunkBatches = 250

    func run() async throws {
        let sizes = try parsedSteps()
        let dir = workdir ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("custos-growth-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if keep { progress("Kept \(dir)") } else { try? FileManager.default.removeItem(atPath: dir) } }
        let resources = try Resources.locate()
        let samples = max(20, searchSamples ?? (quick ? 100 : 300))
        let seconds = loadSeconds ?? (quick ? 2 : 5)
        progress("custos-bench growth on \(engine.rawValue): steps \(sizes.map(Measure.grouped).joined(separator: ", ")), batches of \(batch), "
                 + "\(connections) connections, \(ProcessInfo.processInfo.activeProcessorCount) cores; work in \(dir)")

        let database = try await BenchDatabase.make(engine: engine, workdir: dir, resources: resources)
        defer { database.stop() }  // before the working directory that holds it goes
        let corpus = SyntheticCorpus(count: sizes[sizes.count - 1], segments: sizes)
        let bench = try await BenchContext.prepare(corpus: corpus, batchSize: batch, workdir: dir, resources: resources, database: database,
                                                   spooled: 0..<0)
        var table = ResultTable(columns: ["messages", "figure", "Custos", "direct SQL", "ratio"], numeric: [0, 2, 3, 4])
        var checks = ArchiveChecks()
        let system: CustosSystem
        do {
            system = try CustosSystem.open(dataDirectory: bench.setup.dataDirectory, database: database.archive, resources: resources,
                                           auditHead: .background)
            let forge = try EnvelopeForge()
            var previous = 0
            var signedIn: Int?  // the TOTP window of the last sign-in
            for size in sizes {
                let upload = try await grow(bench, forge: forge, messages: previous..<size, workdir: dir)
                try await measure(bench, system: system, size: size, upload: upload, samples: samples, seconds: seconds, workdir: dir,
                                  signedIn: &signedIn, table: &table, checks: &checks)
                // The rows so far, on standard error: a long run stopped early keeps the steps it finished.
                progress("Rows after \(Measure.grouped(size)) messages:\n" + table.render())
                previous = size
            }
            await bench.server.stop()
        } catch {
            await bench.server.stop()
            throw error
        }
        progress("Verifying the archive …")
        checks.merge(try ArchiveChecks.run(system: system, expected: corpus.count))
        table.note("Engine: " + database.description + ".")
        table.note("Each step: the upload of the segment since the previous step (its rate, batch latency and CPU over that segment "
                   + "only), then, untimed, the searches' answers worked out from the corpus; (a)–(d) \(samples) calls each, Custos and direct alternating ("
                   + SearchReport.sides(database) + ") Search page: \(PageLoad.wrk == nil ? "AsyncHTTPClient loop" : "wrk, 2 threads"), "
                   + "\(loadConnections) connections, \(seconds) s on the 12 month searches of the busiest participant, one round.")
        table.note("The corpus is one backfill per segment, each over 2022–2024 in upload order, so every step covers the same three "
                   + "years and a search finds more as the archive grows.")
        for line in checks.lines { table.note(line) }
        print(table.render())
        guard checks.ok else { throw ExitCode(1) }
    }

    /// The steps from the options, checked.
    private func parsedSteps() throws -> [Int] {
        let text = quick ? "20000,50000,100000" : steps ?? "1000000,5000000,10000000"
        let fields = text.split(separator: ",")
        let values = fields.compactMap { Int($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")) }
        guard (1...1_000).contains(batch), !values.isEmpty, values.count == fields.count, values[0] > 0,
              zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }), values.allSatisfy({ $0 % batch == 0 }) else {
            throw ValidationError("--steps must be increasing message counts, each a multiple of --batch (\(batch)), "
                                  + "e.g. 1000000,5000000,10000000; --batch 1…1000")
        }
        return values
    }

    /// Uploads the corpus's `messages` a chunk at a time: each chunk spooled (untimed), uploaded, deleted.
    private func grow(_ bench: BenchContext, forge: EnvelopeForge, messages: Range<Int>,
                      workdir: String) async throws -> (result: HTTPIngest.Result, databaseCPU: Double) {
        var upload = HTTPIngest.Result()
        var databaseCPU = 0.0
        let batches = (messages.lowerBound / batch)..<(messages.upperBound / batch)
        progress("Growing to \(Measure.grouped(messages.upperBound)) messages through POST /api/v1/messages …")
        for first in stride(from: batches.lowerBound, to: batches.upperBound, by: Self.chunkBatches) {
            let chunk = first..<min(first + Self.chunkBatches, batches.upperBound)
            let spool = try await CorpusSpool.generate(corpus: bench.corpus, forge: forge, epoch: bench.setup.publicKey.epoch, batchSize: batch,
                                                       directory: bench.spool.directory, workers: ProcessInfo.processInfo.activeProcessorCount,
                                                       only: chunk)
            let cpu = bench.database.postgres?.usage().cpu ?? 0
            upload.merge(try await HTTPIngest.run(spool: spool, batches: chunk, server: bench.server, token: bench.setup.token, http: .shared,
                                                  connections: connections))
            databaseCPU += (bench.database.postgres?.usage().cpu ?? 0) - cpu
            for b in chunk { try? FileManager.default.removeItem(atPath: spool.path(b)) }
            progress("  … \(Measure.grouped(chunk.upperBound * batch)) messages: \(Measure.grouped(Int(upload.throughput))) msgs/s over the segment so far")
        }
        return (upload, databaseCPU)
    }

    /// The figures of one step, as rows of `table`.
    private func measure(_ bench: BenchContext, system: CustosSystem, size: Int, upload: (result: HTTPIngest.Result, databaseCPU: Double),
                         samples: Int, seconds: Int, workdir: String, signedIn: inout Int?, table: inout ResultTable,
                         checks: inout ArchiveChecks) async throws {
        let n = Measure.grouped(size)
        let u = upload.result
        let stored = try system.store.read { try $0.search.count(SearchCriteria()) }
        checks.add(stored == size && u.stored == u.messages && u.rejected == 0,
                   "at \(n): the archive holds \(Measure.grouped(stored)) messages; the segment's \(Measure.grouped(u.messages)) were all stored")
        let disk = try await bench.database.diskBytes(dataDirectory: bench.setup.dataDirectory)
        table.add([n, "ingest over the segment, msgs/s", Measure.grouped(Int(u.throughput)), "—", "—"])
        table.add([n, "batch of \(batch), p50 / p99 ms (HTTP round trip)",
                   Measure.fixed(Measure.percentile(u.latencies, 50) * 1_000) + " / " + Measure.fixed(Measure.percentile(u.latencies, 99) * 1_000),
                   "—", "—"])
        table.add([n, "server CPU per message, µs", Measure.fixed(u.serverCPUSeconds / Double(max(u.messages, 1)) * 1e6), "—", "—"])
        if bench.database.postgres != nil {
            table.add([n, "PostgreSQL's CPU per message, µs", Measure.fixed(upload.databaseCPU / Double(max(u.messages, 1)) * 1e6), "—", "—"])
        }
        table.add([n, "disk, bytes per message", Measure.grouped(disk / max(size, 1)), "—", "—"])
        table.note("At \(n): upload \(Measure.fixed(u.seconds)) s; the server's threads waited \(Measure.fixed(u.serverWaitSeconds)) s for a CPU "
                   + "(\(Measure.fixed(u.serverWaitSeconds / max(u.seconds * 2, 0.001) * 100, 0)) % of 2 cores × wall); disk "
                   + Measure.mebibytes(disk) + ".")

        try await bench.database.settle()
        progress("Searching at \(n) messages: working out the answers from the corpus …")
        let plan = await SearchPlan.make(corpus: bench.corpus.prefix(size), workers: ProcessInfo.processInfo.activeProcessorCount)
        let auditor = Actor(userID: bench.setup.auditor.id, username: bench.setup.auditor.username, role: .auditor, client: "custos-bench")
        let latency = try SearchLatency.run(system: system, plan: plan, auditor: auditor, samples: samples, full: false)
        checks.merge(latency.checks)
        for f in latency.figures {
            let custos = (Measure.percentile(f.custos, 50), Measure.percentile(f.custos, 99))
            let direct = (Measure.percentile(f.direct, 50), Measure.percentile(f.direct, 99))
            table.add([n, f.name + ", p50 / p99 ms", Self.pair(custos), Self.pair(direct),
                       ResultTable.ratio(custos.0, direct.0) + " / " + ResultTable.ratio(custos.1, direct.1)])
        }
        // A new session per step: the steps of a long run are further apart than a session lives. The server takes
        // each TOTP code once, so a step that follows the last sign-in within its 30-second window waits for the next.
        let window = { Int(Date().timeIntervalSince1970) / 30 }
        if let signedIn, signedIn == window() {
            try await Task.sleep(for: .seconds(30 - Int(Date().timeIntervalSince1970) % 30 + 1))
        }
        signedIn = window()
        let session = try await WebSession.signIn(base: bench.server.url, username: bench.setup.auditor.username,
                                                  password: bench.setup.auditor.password, totpSecret: bench.setup.auditor.totpSecret)
        let paths = try await SearchBench.checkedPaths(plan: plan, server: bench.server, session: session, into: &checks)
        progress("Loading /search for \(seconds) s …")
        let page = try await PageLoad.run(server: bench.server, paths: paths, cookie: session.cookie, connections: loadConnections,
                                          seconds: seconds, workdir: workdir)
        checks.add(page.failures == 0, "at \(n): search page load, \(Measure.grouped(page.requests)) requests, \(page.failures) not 2xx")
        table.add([n, "search page over HTTP, p50 / p99 ms", Self.pair((page.medianP50, page.worstP99)), "—", "—"])
        table.add([n, "search page over HTTP, requests/s", Measure.grouped(Int(page.throughput)), "—", "—"])
        let memory = bench.server.memory()
        table.add([n, "server memory (peak), MiB", Measure.fixed(Double(memory.resident) / 1_048_576, 0) + " ("
                   + Measure.fixed(Double(memory.peak) / 1_048_576, 0) + ")", "—", "—"])
    }

    private static func pair(_ p: (Double, Double)) -> String {
        Measure.fixed(p.0 * 1_000, 2) + " / " + Measure.fixed(p.1 * 1_000, 2)
    }
}
