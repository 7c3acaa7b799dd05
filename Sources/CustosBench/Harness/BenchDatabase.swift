import ArgumentParser
import CustosPostgres
import CustosRuntime
import Foundation
import PostgresNIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The engine a run stores its archive in.
enum BenchEngine: String, ExpressibleByArgument, Sendable {
    case sqlite
    case postgres
}

/// Where a run's archive lives: the SQLite file in its data directory, or a database of a PostgreSQL cluster the
/// benchmark starts for itself, migrated by the owner role and served as the application role, as `custos migrate`
/// and `custos serve --database` would have it.
struct BenchDatabase: Sendable {
    let engine: BenchEngine
    /// What `CustosSystem` opens.
    let archive: ArchiveDatabase
    /// The cluster, on PostgreSQL.
    let postgres: BenchPostgres?

    /// The data directory's SQLite file.
    static let sqlite = BenchDatabase(engine: .sqlite, archive: .sqlite, postgres: nil)

    /// The archive's database name on PostgreSQL.
    static let archiveName = "custos_archive"

    /// The SQLite file, or a fresh cluster with a migrated, empty archive database.
    static func make(engine: BenchEngine, workdir: String, resources: Resources) async throws -> BenchDatabase {
        switch engine {
        case .sqlite:
            return .sqlite
        case .postgres:
            let (pg, seconds) = try await timeAsync { try await BenchPostgres.start(parent: workdir) }
            let endpoint: PostgresEndpoint
            do {
                endpoint = try await pg.makeDatabase(archiveName, resources: resources)
            } catch {
                pg.stop()
                throw error
            }
            progress("PostgreSQL 15 cluster started in \(Measure.fixed(seconds, 1)) s at \(pg.directory) "
                     + "(\(pg.settings.joined(separator: ", "))); archive database \(archiveName) migrated by \(BenchPostgres.ownerRole)")
            return BenchDatabase(engine: .postgres, archive: .postgres(endpoint), postgres: pg)
        }
    }

    /// The server process's `--database` option and environment: the URL without its password, which goes in
    /// PGPASSWORD (so not in `ps`), as `custos serve` takes it.
    var serverOption: (arguments: [String], environment: [String: String]) {
        guard case .postgres(let endpoint) = archive else { return ([], [:]) }
        return (["--database", endpoint.displayURL], ["PGPASSWORD": endpoint.password ?? ""])
    }

    /// Bytes the archive takes on disk: the SQLite file with its WAL, or `pg_database_size` (the cluster's WAL,
    /// shared by every database of it, is not counted).
    func diskBytes(dataDirectory: String) async throws -> Int {
        guard let postgres else {
            let path = CustosSystem.databasePath(dataDirectory)
            return [path, path + "-wal"].reduce(0) { sum, file in
                sum + ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int ?? 0)
            }
        }
        return try await postgres.size(of: Self.archiveName)
    }

    /// Before searching, untimed: on PostgreSQL, `VACUUM (ANALYZE)` of the searched tables, as a DBA does after a
    /// bulk load; otherwise the plans and the index-only scans (which need the visibility map) depend on when
    /// autovacuum last ran, and runs would not compare. SQLite needs nothing.
    func settle() async throws {
        guard let postgres else { return }
        let (_, seconds) = try await timeAsync {
            try await postgres.sql(database: Self.archiveName, role: BenchPostgres.ownerRole,
                                   ["VACUUM (ANALYZE) messages", "VACUUM (ANALYZE) message_participants", "VACUUM (ANALYZE) message_counts"])
        }
        progress("VACUUM (ANALYZE) of messages, message_participants and message_counts: \(Measure.fixed(seconds, 1)) s (untimed)")
    }

    /// Stops the PostgreSQL cluster, if any (its data goes with it).
    func stop() {
        postgres?.stop()
    }

    /// What the table's notes say about the engine.
    var description: String {
        guard let postgres else { return "SQLite (the data directory's custos.sqlite)" }
        return "PostgreSQL 15 on a Unix socket, cluster started by the benchmark with " + postgres.settings.joined(separator: ", ")
            + " (fsync, synchronous_commit and full_page_writes at their defaults: on)"
    }
}

/// The benchmark's own PostgreSQL 15 cluster, made as the tests' throwaway server is (Tests/CustosTestSupport:
/// initdb as an unprivileged user, a Unix socket only, an owner role and an application role) but with durable
/// settings sized for this machine rather than the tests' fsync=off. A bench variant rather than the tests' class:
/// that target imports CustosCrypto @testable, which a release build cannot link. Stopped, and its folder removed,
/// when this process exits, and by a watchdog if it is killed.
struct BenchPostgres: Sendable {
    static let ownerRole = "custos_owner"
    static let applicationRole = "custos_app"
    static let superuser = "custos_bench_admin"

    /// The cluster's folder: data/, the socket, logs.
    let directory: String
    let passwords: [String: String]
    let settings: [String]
    /// The shell command that stops the cluster and removes its folder.
    let stopCommand: String
    /// Warnings and worse: the migrator's "applied migration" lines are not the benchmark's output.
    let logger: Logger = {
        var logger = Logger(label: "custos.bench.postgres")
        logger.logLevel = .warning
        return logger
    }()

    /// initdb's and pg_ctl's folder (Debian's), or `CUSTOS_POSTGRES_BIN`.
    static var bin: String { ProcessInfo.processInfo.environment["CUSTOS_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin" }

    /// Starts a cluster in a new folder of `parent`.
    static func start(parent: String) async throws -> BenchPostgres {
        guard FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
            throw BenchError("PostgreSQL server binaries not found at \(bin) (no initdb): install Debian's postgresql-15 "
                             + "(`make deps-test` does) or point CUSTOS_POSTGRES_BIN at them")
        }
        // initdb and postgres refuse to run as root: use the package's `postgres` user, else `nobody`.
        let runAs: String? = getuid() == 0 ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        var template = Array((parent + "/custos-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp in \(parent) failed: errno \(errno)") }
        let directory = String(cString: made)
        let account = runAs.flatMap { getpwnam($0) }
        if let account, chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) != 0 {
            throw BenchError("cannot give \(directory) to \(runAs ?? "?"): errno \(errno)")
        }
        let passwords = [superuser: randomPassword(), ownerRole: randomPassword(), applicationRole: randomPassword()]
        let data = directory + "/data"
        let pwfile = directory + "/superuser-password"
        try Data((passwords[superuser] ?? "").utf8).write(to: URL(fileURLWithPath: pwfile))
        if let account { _ = chown(pwfile, account.pointee.pw_uid, account.pointee.pw_gid) }
        let stop = stopCommand(data: data, directory: directory, runAs: runAs)
        // However this process ends, the cluster goes with it.
        _ = try? spawn(["/usr/bin/setsid", "/bin/sh", "-c", "while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done; " + stop], output: nil)
        stopAtExit.withLock { $0 = stop }
        atexit {
            guard let command = BenchPostgres.stopAtExit.withLock({ $0 }) else { return }
            _ = system(command)
        }
        let settings = Self.settings(memory: ProcessInfo.processInfo.physicalMemory)
        try run(bin + "/initdb", ["-D", data, "-U", superuser, "--pwfile=" + pwfile, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
                runAs: runAs, log: directory + "/initdb.log")
        try run(bin + "/pg_ctl", ["-D", data, "-l", directory + "/server.log", "-w", "-t", "120", "-o",
                                  "-c listen_addresses= -k \(directory) " + settings.map { "-c " + $0 }.joined(separator: " "), "start"],
                runAs: runAs, log: directory + "/pg_ctl.log")
        let cluster = BenchPostgres(directory: directory, passwords: passwords, settings: settings, stopCommand: stop)
        try await cluster.sql(database: "postgres", role: superuser, [ownerRole, applicationRole].map { role in
            "CREATE ROLE \(role) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '\(passwords[role] ?? "")'"
        })
        return cluster
    }

    /// The usual tuning of a dedicated database host (as pgtune gives it) for `memory` bytes of RAM on SSD storage,
    /// durability left at PostgreSQL's defaults. A larger max_wal_size keeps a bulk load from checkpointing every
    /// gigabyte of WAL.
    static func settings(memory: UInt64) -> [String] {
        let mebibytes = Int(memory / 1_048_576)
        return ["max_connections=100", "shared_buffers=\(min(mebibytes / 4, 8_192))MB", "effective_cache_size=\(mebibytes * 3 / 4)MB",
                "work_mem=16MB", "maintenance_work_mem=1GB", "wal_buffers=16MB", "max_wal_size=8GB", "min_wal_size=1GB",
                "checkpoint_completion_target=0.9", "random_page_cost=1.1", "effective_io_concurrency=200"]
    }

    /// A new database owned by the owner role, migrated by it and granting the application role its row
    /// privileges, as `custos migrate` does; answers the endpoint the application role signs in at.
    func makeDatabase(_ name: String, resources: Resources) async throws -> PostgresEndpoint {
        try await sql(database: "postgres", role: Self.superuser, ["CREATE DATABASE \(name) OWNER \(Self.ownerRole)",
                                                                   "REVOKE ALL ON DATABASE \(name) FROM PUBLIC"])
        let migrator = try PostgresMigrator(directory: resources.postgresMigrations)
        let logger = self.logger
        do {
            _ = try await endpoint(name, role: Self.ownerRole).withConnection(logger: logger) {
                try await migrator.migrate($0, applicationRole: Self.applicationRole, logger: logger)
            }
        } catch let error as PostgresMigrationError {
            throw error
        } catch {
            throw BenchError("migrating \(name): \(serverReason(error))")
        }
        return endpoint(name, role: Self.applicationRole)
    }

    /// `database` signed in as `role`, over the cluster's socket.
    func endpoint(_ database: String, role: String) -> PostgresEndpoint {
        PostgresEndpoint(address: .socket(path: directory + "/.s.PGSQL.5432"), database: database, username: role, password: passwords[role])
    }

    /// Runs `statements` one by one on `database` as `role`, each committing on its own.
    func sql(database: String, role: String, _ statements: [String]) async throws {
        let logger = self.logger
        do {
            try await endpoint(database, role: role).withConnection(logger: logger) { connection in
                for s in statements { try await connection.query(PostgresQuery(unsafeSQL: s), logger: logger) }
            }
        } catch {
            throw BenchError("PostgreSQL (\(database), as \(role)): \(serverReason(error))")
        }
    }

    /// `pg_database_size` of `database`.
    func size(of database: String) async throws -> Int {
        let logger = self.logger
        return try await endpoint("postgres", role: Self.superuser).withConnection(logger: logger) { connection in
            var size: Int64 = 0
            for try await row in try await connection.query("SELECT pg_database_size(\(database)::name)", logger: logger) {
                size = try row.decode(Int64.self)
            }
            return Int(size)
        }
    }

    /// CPU seconds the cluster has used so far (postmaster, its exited children and every process it runs now:
    /// backends, autovacuum, checkpointer, WAL writer), and the seconds its processes' threads have waited for a CPU
    /// that another process held (only of those running now).
    func usage() -> (cpu: Double, waiting: Double) {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
              let postmaster = Int32(text.split(separator: "\n").first ?? "") else { return (0, 0) }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var cpu = 0.0
        var waiting = 0.0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After the name: state, ppid, …; utime, stime, cutime, cstime are the 12th to 15th fields from there.
            let f = stat[stat.index(after: close)...].split(separator: " ")
            guard f.count > 14, let parent = Int32(f[1]) else { continue }
            if pid == postmaster {
                cpu += f[11...14].compactMap { Double($0) }.reduce(0, +) / ticks
            } else if parent == postmaster {
                cpu += f[11...12].compactMap { Double($0) }.reduce(0, +) / ticks
            } else {
                continue
            }
            waiting += Measure.scheduling(tasks: "/proc/\(pid)/task").waiting
        }
        return (cpu, waiting)
    }

    // MARK: - Starting and stopping

    /// Stops the cluster at once and removes its folder: before the working directory that holds it is removed,
    /// which would leave the postmaster without its lock file and the exit handler without its data folder.
    func stop() {
        _ = system(stopCommand)
        Self.stopAtExit.withLock { $0 = nil }
    }

    private static let stopAtExit = Mutex<String?>(nil)

    /// The shell command that stops the cluster at once and removes its folder.
    private static func stopCommand(data: String, directory: String, runAs: String?) -> String {
        let stop = "\(bin)/pg_ctl -D \(data) -m immediate stop"
        let asUser = runAs.map { "/usr/sbin/runuser -u \($0) -- \(stop)" } ?? stop
        return "[ -f \(data)/postmaster.pid ] && \(asUser) >/dev/null 2>&1; rm -rf \(directory)"
    }

    /// Runs a server program (as `runAs` when the benchmark runs as root) and throws with its log when it fails.
    private static func run(_ program: String, _ arguments: [String], runAs: String?, log: String) throws {
        let argv = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--", program] } ?? [program]
        let pid = try spawn(argv + arguments, output: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw BenchError("waitpid failed: errno \(errno)") }
        }
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw BenchError("\((program as NSString).lastPathComponent) failed (wait status \(status)): \(text)")
        }
    }

    /// Starts `argv` with stdin from /dev/null and stdout and stderr appended to `output` (or /dev/null).
    private static func spawn(_ argv: [String], output: String?) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, arguments, environ)
        guard rc == 0 else { throw BenchError("cannot start \(argv[0]): error \(rc)") }
        return pid
    }

    private static func randomPassword() -> String {
        (0..<24).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
    }
}
