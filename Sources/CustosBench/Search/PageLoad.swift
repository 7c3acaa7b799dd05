import AsyncHTTPClient
import Foundation

/// Loads pages over HTTP with `connections` keep-alive connections for a while and reports throughput and
/// latency: with `wrk` when it is installed (a C load generator: little CPU taken from the server on a 2-core
/// machine), else with an AsyncHTTPClient loop in this process.
enum PageLoad {
    /// What one load run measured.
    struct Result: Sendable {
        var requests = 0
        var seconds = 0.0
        /// Per-run p50 and p99 in seconds.
        var p50: [Double] = []
        var p99: [Double] = []
        /// Answers other than 2xx, and socket errors.
        var failures = 0
        /// The serving process's CPU seconds and its threads' seconds waiting for a CPU held by another process.
        var serverCPU = 0.0
        var serverWait = 0.0
        var tool = ""

        /// Requests per second over every run.
        var throughput: Double { seconds > 0 ? Double(requests) / seconds : 0 }
        /// The median run's p50.
        var medianP50: Double { Measure.percentile(p50, 50) }
        /// The worst run's p99 (the conservative reading).
        var worstP99: Double { p99.max() ?? 0 }

        mutating func merge(_ o: Result) {
            requests += o.requests
            seconds += o.seconds
            p50 += o.p50
            p99 += o.p99
            failures += o.failures
            serverCPU += o.serverCPU
            serverWait += o.serverWait
            tool = o.tool
        }
    }

    /// `wrk` on the PATH, if any.
    static let wrk: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        .map { $0 + "/wrk" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    /// GETs `paths` of `server` in turn (each connection cycling through them) for `seconds`, sending `cookie`.
    static func run(server: ServerProcess, paths: [String], cookie: String?, connections: Int, seconds: Int,
                    workdir: String) async throws -> Result {
        let cpu = server.cpuSeconds()
        let wait = server.scheduling().waiting
        var result: Result
        if let wrk {
            result = try runWrk(wrk, server: server, paths: paths, cookie: cookie, connections: connections, seconds: seconds, workdir: workdir)
        } else {
            result = try await loop(server: server, paths: paths, cookie: cookie, connections: connections, seconds: seconds)
        }
        result.serverCPU = server.cpuSeconds() - cpu
        result.serverWait = server.scheduling().waiting - wait
        return result
    }

    private static func runWrk(_ executable: String, server: ServerProcess, paths: [String], cookie: String?, connections: Int,
                               seconds: Int, workdir: String) throws -> Result {
        let script = (workdir as NSString).appendingPathComponent("load-\(server.port).lua")
        let quoted = { (s: String) in "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let lua = """
            local paths = { \(paths.map(quoted).joined(separator: ", ")) }
            local headers = { \(cookie.map { "[\"Cookie\"] = " + quoted($0) } ?? "") }
            local n = 0
            request = function()
              n = n + 1
              return wrk.format("GET", paths[(n % #paths) + 1], headers)
            end
            done = function(summary, latency, requests)
              local e = summary.errors
              io.write(string.format("CUSTOS-WRK %d %d %d %d %d\\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
            end
            """
        try lua.write(toFile: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-t", "2", "-c", String(connections), "-d", "\(seconds)s", "--timeout", "10s", "-s", script, server.url + paths[0]]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("CUSTOS-WRK ") }) else {
            throw BenchError("wrk gave no result (exit \(process.terminationStatus)):\n\(text.suffix(800))")
        }
        let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard f.count == 5 else { throw BenchError("cannot read wrk's result: \(line)") }
        return Result(requests: Int(f[0]), seconds: f[1] / 1e6, p50: [f[2] / 1e6], p99: [f[3] / 1e6], failures: Int(f[4]), tool: "wrk 2 threads")
    }

    /// The fallback: `connections` tasks, each GETting in a loop over one shared AsyncHTTPClient.
    private static func loop(server: ServerProcess, paths: [String], cookie: String?, connections: Int, seconds: Int) async throws -> Result {
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                              configuration: HTTPClient.Configuration(connectionPool: .init(idleTimeout: .seconds(60),
                                                                                            concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
        let start = Measure.now()
        let deadline = start + Double(seconds)
        let parts = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for c in 0..<connections {
                group.addTask {
                    var latencies: [Double] = []
                    var failures = 0
                    var n = c
                    while Measure.now() < deadline {
                        var request = HTTPClientRequest(url: server.url + paths[n % paths.count])
                        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
                        let t = Measure.now()
                        let response = try await http.execute(request, timeout: .seconds(10))
                        _ = try await response.body.collect(upTo: 16 << 20)
                        latencies.append(Measure.now() - t)
                        if !(200..<300).contains(response.status.code) { failures += 1 }
                        n += connections
                    }
                    return (latencies, failures)
                }
            }
            return try await group.reduce(into: [([Double], Int)]()) { $0.append($1) }
        }
        let elapsed = Measure.now() - start
        try await http.shutdown()
        let all = parts.flatMap(\.0)
        return Result(requests: all.count, seconds: elapsed, p50: [Measure.percentile(all, 50)], p99: [Measure.percentile(all, 99)],
                      failures: parts.reduce(0) { $0 + $1.1 }, tool: "AsyncHTTPClient loop in the benchmark process")
    }
}
