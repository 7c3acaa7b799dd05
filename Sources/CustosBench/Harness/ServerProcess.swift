import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The server under test: this executable re-run as `custos-bench serve`, which does exactly what
/// `custos serve` does (CustosSystem.open, buildApplication, CustosSystem.serve) in a process of its own, so its
/// memory and CPU can be read from /proc and the client's work is not counted as the server's.
struct ServerProcess: Sendable {
    /// The child's process id.
    let pid: pid_t
    /// The port it listens on, on 127.0.0.1.
    let port: Int
    /// Where its standard output and error go.
    let logPath: String

    /// The base URL of the server.
    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts the server on a free port of 127.0.0.1 for `dataDirectory` and its archive's `database`.
    static func launch(dataDirectory: String, database: BenchDatabase, logPath: String) throws -> ServerProcess {
        let option = database.serverOption
        return try launch(["serve", "--data", dataDirectory] + option.arguments, logPath: logPath, environment: option.environment)
    }

    /// Starts this executable's `subcommand` (`serve …` or `hello`) on a free port of 127.0.0.1, with this process's
    /// environment and `environment` on top of it.
    static func launch(_ subcommand: [String], logPath: String, environment: [String: String] = [:]) throws -> ServerProcess {
        let port = try freePort()
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let arguments = [executable] + subcommand + ["--port", String(port), "--parent", String(getpid())]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { _, new in new }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw BenchError("cannot start the server process: \(String(cString: strerror(rc)))") }
        return ServerProcess(pid: pid, port: port, logPath: logPath)
    }

    /// Waits until `path` answers 200 (by default the ingest API's archive key), or fails with the server's log.
    func waitUntilReady(http: HTTPClient, path: String = "/api/v1/archive-key", timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw BenchError("the server exited during start-up; its log (\(logPath)):\n\(logTail())")
            }
            if let response = try? await http.execute(HTTPClientRequest(url: url + path), timeout: .seconds(2)),
               response.status.code == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the server did not answer within \(timeout); its log (\(logPath)):\n\(logTail())")
    }

    /// Resident memory now and at its peak (VmRSS, VmHWM), in bytes.
    func memory() -> (resident: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// CPU seconds (user + system) the server has used so far.
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Seconds its threads have spent on a CPU and waiting for one (see `Measure.scheduling`).
    func scheduling() -> (running: Double, waiting: Double) { Measure.scheduling(tasks: "/proc/\(pid)/task") }

    /// Asks the server to shut down gracefully (SIGTERM), and kills it if it has not within 15 seconds.
    func stop() async {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<150 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    /// The last lines of the server's log.
    func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "(no log)"
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }

    /// A port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        guard bound else { throw BenchError("cannot bind a port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
