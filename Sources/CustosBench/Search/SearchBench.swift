import CustosCore
import CustosRuntime
import CustosWeb
import Foundation

/// Issue 4's search benchmark, run on the loaded archive while the server is still up: (a)–(d) in-process through
/// the repository layer beside the same SQL run directly, then the search page over HTTP as a signed-in auditor
/// beside a bare Hummingbird route, both loaded with the same tool at the same connections, interleaved.
enum SearchBench {
    /// Everything measured.
    struct Result: Sendable {
        var latency: SearchLatency.Result
        var page = PageLoad.Result()
        var hello = PageLoad.Result()
        var helloCPU = 0.0
        var connections = 0
        var pathCount = 0
        /// The server's resident memory (and peak) after the search load.
        var memory: (resident: Int, peak: Int) = (0, 0)
        var planSeconds = 0.0
    }

    /// Runs every search stage; `system` is this process's own view of the archive (the server keeps running).
    static func run(bench: BenchContext, system: CustosSystem, workdir: String, samples: Int, connections: Int,
                    loadSeconds: Int, rounds: Int) async throws -> Result {
        progress("Search: working out from the corpus what each search must find …")
        let (plan, planSeconds) = await timeAsync {
            await SearchPlan.make(corpus: bench.corpus, workers: ProcessInfo.processInfo.activeProcessorCount)
        }
        for c in plan.cases {
            progress("  \(c.name): \(Measure.grouped(c.expectedCount)) matches" + (c.depth > 0 ? ", page after \(Measure.grouped(c.depth))" : ""))
        }
        let auditor = Actor(userID: bench.setup.auditor.id, username: bench.setup.auditor.username, role: .auditor, client: "custos-bench")
        progress("Search: \(samples) calls per search through the repository and directly, in-process …")
        var result = Result(latency: try SearchLatency.run(system: system, plan: plan, auditor: auditor, samples: samples))
        result.planSeconds = planSeconds

        progress("Search page over HTTP: signing in as \(bench.setup.auditor.username) (password, then TOTP) …")
        let session = try await WebSession.signIn(base: bench.server.url, username: bench.setup.auditor.username,
                                                  password: bench.setup.auditor.password, totpSecret: bench.setup.auditor.totpSecret)
        let paths = try await checkedPaths(plan: plan, server: bench.server, session: session, into: &result.latency.checks)
        let hello = try ServerProcess.launch(["hello"], logPath: (workdir as NSString).appendingPathComponent("hello.log"))
        do {
            try await hello.waitUntilReady(http: .shared, path: HelloServer.path)
            progress("Loading /search (\(paths.count) months of the busiest participant) and a bare Hummingbird /hello, "
                     + "\(connections) connections, \(rounds) × \(loadSeconds) s each, interleaved (\(PageLoad.wrk == nil ? "no wrk: AsyncHTTPClient" : "wrk")) …")
            for _ in 0..<rounds {
                let helloCPU = hello.cpuSeconds()
                result.hello.merge(try await PageLoad.run(server: hello, paths: [HelloServer.path], cookie: nil, connections: connections,
                                                          seconds: loadSeconds, workdir: workdir))
                result.helloCPU += hello.cpuSeconds() - helloCPU
                result.page.merge(try await PageLoad.run(server: bench.server, paths: paths, cookie: session.cookie, connections: connections,
                                                         seconds: loadSeconds, workdir: workdir))
            }
        } catch {
            await hello.stop()
            throw error
        }
        await hello.stop()
        result.memory = bench.server.memory()
        result.connections = connections
        result.pathCount = paths.count
        result.latency.checks.add(result.page.failures == 0 && result.hello.failures == 0,
                                  "search page load: \(Measure.grouped(result.page.requests)) requests, \(result.page.failures) not 2xx; "
                                  + "hello: \(Measure.grouped(result.hello.requests)), \(result.hello.failures) not 2xx")
        return result
    }

    /// The search URLs of the HTTP load (the busiest participant, each month of 2023), each fetched once first
    /// to check that the page answers 200 with the count the corpus predicts.
    static func checkedPaths(plan: SearchPlan, server: ServerProcess, session: WebSession,
                                     into checks: inout ArchiveChecks) async throws -> [String] {
        guard let all = plan.cases.first(where: { $0.query.participant == plan.busyAddress && $0.query.after == nil && $0.query.part == .any })
        else { throw BenchError("the plan has no all-time search of the busiest participant") }
        var paths: [String] = []
        var agree = true
        for month in plan.months {
            var q = SearchQuery()
            q.after = month.after
            q.before = month.before
            guard let from = q.afterSeconds, let until = q.beforeSeconds else { throw BenchError("bad month \(month)") }
            let expected = all.times.filter { $0 >= from && $0 < until }.count
            let path = "/search?participant=" + WebSession.formEncode(plan.busyAddress) + "&after=" + month.after + "&before=" + month.before
            let answer = try await WebSession.get(.shared, server.url + path, cookie: session.cookie)
            let shown = WebSession.resultCount(answer.body)
            if answer.status != 200 || shown != expected {
                agree = false
                progress("  \(path): HTTP \(answer.status), shows \(shown.map(String.init) ?? "no count"), corpus says \(expected)")
            }
            paths.append(path)
        }
        checks.add(agree, "search page over HTTP, signed in as the auditor: all \(paths.count) month searches answer 200 "
                   + "with the result count the corpus predicts")
        return paths
    }
}
