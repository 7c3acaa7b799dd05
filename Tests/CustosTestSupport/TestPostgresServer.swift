import CustosPostgres
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// A throwaway PostgreSQL 15 cluster that this test process starts for itself: `initdb` into a temporary
/// directory as an unprivileged user, `postgres` listening only on a Unix socket inside that directory, an owner
/// role and an application role, and a fresh database per test. It is stopped, and its directory removed, when
/// the process exits, and by a watchdog if the process is killed.
///
/// The server binaries come from `CUSTOS_POSTGRES_BIN` or Debian's /usr/lib/postgresql/15/bin (`make test`
/// installs postgresql-15 when missing). Set `CUSTOS_SKIP_POSTGRES=1` to skip these tests on a machine without it.
public final class TestPostgresServer: Sendable {
    /// The one server of this process, started by the first test that asks.
    public static let shared = Task { try await TestPostgresServer.start() }

    public static let ownerRole = "custos_owner"
    public static let applicationRole = "custos_app"
    public static let superuser = "custos_test_admin"
    public static var skipped: Bool { ProcessInfo.processInfo.environment["CUSTOS_SKIP_POSTGRES"] == "1" }

    public let directory: String
    public let passwords: [String: String]
    private let nextDatabase = Mutex(0)
    /// Warnings and worse only: the migrator's "applied migration" lines would drown the test output.
    public let logger: Logger = {
        var logger = Logger(label: "custos.test.postgres")
        logger.logLevel = .warning
        return logger
    }()

    private init(directory: String, passwords: [String: String]) {
        self.directory = directory
        self.passwords = passwords
    }

    /// `database` signed in as `role` (one of the three roles above).
    public func endpoint(database: String, role: String) -> PostgresEndpoint {
        PostgresEndpoint(address: .socket(path: directory + "/.s.PGSQL.5432"), database: database,
                         username: role, password: passwords[role])
    }

    /// A new, empty database owned by the owner role.
    public func makeDatabase() async throws -> String {
        let name = "custos_test_" + String(nextDatabase.withLock { $0 += 1; return $0 })
        try await superuserSQL(["CREATE DATABASE \(name) OWNER \(Self.ownerRole)"])
        return name
    }

    /// Runs statements as the cluster's superuser (setting up roles and databases, as a DBA would).
    public func superuserSQL(_ statements: [String]) async throws {
        try await endpoint(database: "postgres", role: Self.superuser).withConnection(logger: logger) { connection in
            for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
        }
    }

    // MARK: - Starting and stopping

    private static func start() async throws -> TestPostgresServer {
        let started = Date()
        let environment = ProcessInfo.processInfo.environment
        let bin = environment["CUSTOS_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
            throw TestServerError("PostgreSQL server binaries not found at \(bin) (no initdb): install Debian's "
                + "postgresql-15 (`make deps-test` does), point CUSTOS_POSTGRES_BIN at them, or set "
                + "CUSTOS_SKIP_POSTGRES=1 to skip the PostgreSQL tests")
        }
        // initdb and postgres refuse to run as root: use the package's `postgres` user, else `nobody`.
        let runAs: String? = getuid() == 0 ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        var template = Array("/tmp/custos-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestServerError("mkdtemp failed: errno \(errno)") }
        let directory = String(cString: made)
        if let runAs, let account = getpwnam(runAs) {
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw TestServerError("cannot give \(directory) to \(runAs): errno \(errno)")
            }
        }
        let passwords = [superuser: randomPassword(), ownerRole: randomPassword(), applicationRole: randomPassword()]
        let data = directory + "/data"
        let pwfile = directory + "/superuser-password"
        try Data((passwords[superuser] ?? "").utf8).write(to: URL(fileURLWithPath: pwfile))
        if let runAs, let account = getpwnam(runAs) { _ = chown(pwfile, account.pointee.pw_uid, account.pointee.pw_gid) }
        startWatchdog(bin: bin, data: data, directory: directory, runAs: runAs)
        registerStopAtExit(bin: bin, data: data, directory: directory, runAs: runAs)

        try run(bin + "/initdb", ["-D", data, "-U", superuser, "--pwfile=" + pwfile, "-A", "scram-sha-256",
                                  "-E", "UTF8", "--locale=C", "--no-sync"], runAs: runAs, log: directory + "/initdb.log")
        try run(bin + "/pg_ctl", ["-D", data, "-l", directory + "/server.log", "-w", "-t", "60", "-o",
                                  "-c listen_addresses= -k \(directory) -c max_connections=400 -c fsync=off -c synchronous_commit=off "
                                  + "-c full_page_writes=off", "start"],
                runAs: runAs, log: directory + "/pg_ctl.log")
        let server = TestPostgresServer(directory: directory, passwords: passwords)
        try await server.superuserSQL([ownerRole, applicationRole].map { role in
            "CREATE ROLE \(role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '\(passwords[role] ?? "")'"
        })
        let seconds = Date().timeIntervalSince(started)
        FileHandle.standardError.write(Data("PostgreSQL test server ready in \(String(format: "%.2f", seconds)) s at \(directory)\n".utf8))
        return server
    }

    /// Runs a server program (as `runAs` when the tests run as root) and throws with its log when it fails.
    private static func run(_ program: String, _ arguments: [String], runAs: String?, log: String) throws {
        let argv = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--", program] } ?? [program]
        let pid = try spawn(argv + arguments, output: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw TestServerError("waitpid failed: errno \(errno)") }
        }
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestServerError("\((program as NSString).lastPathComponent) failed (wait status \(status)): \(text)")
        }
    }

    /// Starts `argv` with stdin from /dev/null and stdout and stderr appended to `output` (or /dev/null).
    /// posix_spawn rather than Foundation's Process, whose exit monitoring can miss a child that ends at once.
    private static func spawn(_ argv: [String], output: String?) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) }
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArguments + [nil], environ)
        guard result == 0 else { throw TestServerError("cannot start \(argv[0]): error \(result)") }
        return pid
    }

    /// The shell command that stops the server at once and removes its directory.
    private static func stopCommand(bin: String, data: String, directory: String, runAs: String?) -> String {
        let stop = "\(bin)/pg_ctl -D \(data) -m immediate stop"
        let asUser = runAs.map { "/usr/sbin/runuser -u \($0) -- \(stop)" } ?? stop
        return "[ -f \(data)/postmaster.pid ] && \(asUser) >/dev/null 2>&1; rm -rf \(directory)"
    }

    /// A detached shell that waits for this process to end, however it ends, then stops the server.
    private static func startWatchdog(bin: String, data: String, directory: String, runAs: String?) {
        let parent = getpid()
        let script = "while kill -0 \(parent) 2>/dev/null; do sleep 0.5; done; "
            + stopCommand(bin: bin, data: data, directory: directory, runAs: runAs)
        _ = try? spawn(["/usr/bin/setsid", "/bin/sh", "-c", script], output: nil)
    }

    private static let stopAtExit = Mutex<String?>(nil)

    /// Stops the server synchronously when the test process exits normally.
    private static func registerStopAtExit(bin: String, data: String, directory: String, runAs: String?) {
        stopAtExit.withLock { $0 = stopCommand(bin: bin, data: data, directory: directory, runAs: runAs) }
        atexit {
            guard let command = TestPostgresServer.stopAtExit.withLock({ $0 }) else { return }
            _ = system(command)
        }
    }

    private static func randomPassword() -> String {
        (0..<24).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
    }
}

/// The test server could not be started; the message says why and what to do.
public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
