/// The search figures: (a)–(d) through the repository beside the same SQL run directly, and the search page
/// over HTTP beside a bare Hummingbird route.
enum SearchReport {
    /// The search page over HTTP: p99 at most this many seconds …
    static let pageP99Target = 0.010
    /// … and at least this fraction of the bare route's throughput.
    static let pageThroughputTarget = 0.3
    /// The server's resident memory at the end of the run: at most 200 MB.
    static let memoryTarget = 200_000_000

    /// Adds the search rows and notes to `table`.
    static func add(to table: inout ResultTable, _ r: SearchBench.Result, samples: Int, database: BenchDatabase) {
        for f in r.latency.figures {
            let custos = (p50: Measure.percentile(f.custos, 50), p99: Measure.percentile(f.custos, 99))
            let direct = (p50: Measure.percentile(f.direct, 50), p99: Measure.percentile(f.direct, 99))
            let targets = [f.p99Target.map { "p99 ≤ " + Measure.fixed($0 * 1_000, 0) + " ms" }, f.ratioTarget.map { "≤ " + Measure.fixed($0, 0) + "×" }]
                .compactMap { $0 }
            let met = f.p99Target.map { custos.p99 <= $0 && (f.ratioTarget.map { custos.p99 <= $0 * direct.p99 } ?? true) }
            table.add(f.name + ", p50 / p99 ms", custos: f.custos.isEmpty ? "—" : pair(custos.p50, custos.p99),
                      baseline: pair(direct.p50, direct.p99),
                      ratio: f.custos.isEmpty ? "—" : ResultTable.ratio(custos.p50, direct.p50) + " / " + ResultTable.ratio(custos.p99, direct.p99),
                      target: targets.isEmpty ? "—" : targets.joined(separator: ", "), met: met)
        }
        let page = r.page
        let hello = r.hello
        table.add("search page over HTTP vs bare Hummingbird /hello, p50 / p99 ms", custos: pair(page.medianP50, page.worstP99),
                  baseline: pair(hello.medianP50, hello.worstP99),
                  ratio: ResultTable.ratio(page.medianP50, hello.medianP50) + " / " + ResultTable.ratio(page.worstP99, hello.worstP99),
                  target: "p99 ≤ " + Measure.fixed(pageP99Target * 1_000, 0) + " ms", met: page.worstP99 <= pageP99Target)
        table.add("search page over HTTP vs bare Hummingbird /hello, requests/s", custos: Measure.grouped(Int(page.throughput)),
                  baseline: Measure.grouped(Int(hello.throughput)), ratio: ResultTable.ratio(page.throughput, hello.throughput),
                  target: "≥ " + Measure.fixed(pageThroughputTarget, 1) + "×", met: page.throughput >= pageThroughputTarget * hello.throughput)
        let pageCPU = page.serverCPU / Double(max(page.requests, 1)) * 1_000
        let helloCPU = r.helloCPU / Double(max(hello.requests, 1)) * 1_000
        table.add("server CPU per request, ms (search page vs /hello)", custos: Measure.fixed(pageCPU, 3), baseline: Measure.fixed(helloCPU, 3),
                  ratio: ResultTable.ratio(pageCPU, helloCPU))
        table.add("server memory at the end of the run (peak), MiB",
                  custos: Measure.fixed(Double(r.memory.resident) / 1_048_576, 0) + " (" + Measure.fixed(Double(r.memory.peak) / 1_048_576, 0) + ")",
                  target: "≤ 200 MB", met: r.memory.resident <= memoryTarget)

        let l = r.latency
        table.note("Search in-process: \(samples) calls per search (the whole page \(max(20, samples / 4)), each audited), Custos and direct "
                   + "alternating; " + SearchReport.sides(database) + " The measuring thread ran \(Measure.fixed(l.running, 1)) s of \(Measure.fixed(l.wall, 1)) s and waited "
                   + "\(Measure.fixed(l.waiting, 2)) s for a CPU (\(Measure.fixed(l.waiting / max(l.wall, 0.001) * 100, 0)) %). "
                   + "The whole page repeats one search, as paging and refreshing do: after its first call its total and facets come from "
                   + "`SearchAggregates` (kept until the archive's newest message changes), while the direct side counts every time; "
                   + "the steps below time the counting itself.")
        if !l.stages.isEmpty {
            table.note("The whole page's steps in-process, median ms each (each step in a transaction of its own): "
                       + l.stages.map { $0.name + " " + Measure.fixed($0.median * 1_000, 3) }.joined(separator: "; ") + ".")
        }
        let loadWall = page.seconds
        table.note("Search page load: \(page.tool), \(r.connections) connections, \(r.pathCount) month searches of the busiest participant "
                   + "in turn, \(Measure.grouped(page.requests)) requests in \(Measure.fixed(loadWall, 1)) s (each one audited); "
                   + "/hello \(Measure.grouped(hello.requests)) in \(Measure.fixed(hello.seconds, 1)) s; interleaved in rounds. The server "
                   + "used \(Measure.fixed(page.serverCPU / max(loadWall, 0.001), 2)) cores and its threads waited "
                   + "\(Measure.fixed(page.serverWait, 1)) s for a CPU (\(Measure.fixed(page.serverWait / max(loadWall * 2, 0.001) * 100, 0)) % "
                   + "of 2 cores × wall); the hello server used \(Measure.fixed(r.helloCPU / max(hello.seconds, 0.001), 2)) cores and waited "
                   + "\(Measure.fixed(hello.serverWait, 1)) s (\(Measure.fixed(hello.serverWait / max(hello.seconds * 2, 0.001) * 100, 0)) %). "
                   + "p50 is the median round's, p99 the worst round's.")
        for p in l.plans { table.note("Plan " + p) }
    }

    /// What the two columns of the in-process searches run.
    static func sides(_ database: BenchDatabase) -> String {
        switch database.engine {
        case .sqlite:
            return "Custos = `SQLiteArchiveStore.read` → `SearchRepository` on the server's code (a pooled reader, a read transaction, rows "
                + "decoded), direct = the same SQL prepared once and stepped with SQLite's C API on a connection of its own."
        case .postgres:
            return "Custos = `PostgresArchiveStore.read` → `SearchRepository` on the server's code (a pooled connection, BEGIN REPEATABLE "
                + "READ READ ONLY … COMMIT, rows decoded), direct = the same SQL text with the same bound values sent as psql sends it "
                + "(one statement, no transaction around it, nothing prepared ahead) on a plain postgres-nio connection of its own, as the "
                + "application role; the archive was VACUUM (ANALYZE)d after loading, untimed."
        }
    }

    private static func pair(_ a: Double, _ b: Double) -> String {
        Measure.fixed(a * 1_000, 2) + " / " + Measure.fixed(b * 1_000, 2)
    }
}
