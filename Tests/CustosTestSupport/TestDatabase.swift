import CustosPostgres
import CustosStore
import CustosRuntime
import Foundation
import Synchronization

/// The engine the archive tests run on: SQLite unless `CUSTOS_TEST_ENGINE=postgres`, when each test archive gets a
/// fresh database on this process's PostgreSQL test server, migrated by the owner role and opened as the
/// application role, exactly as `custos migrate` and `custos serve --database` would. `make test` runs the
/// store, web, holds, decryption and audit suites both ways.
public enum TestDatabase {
    public static var engine: String { ProcessInfo.processInfo.environment["CUSTOS_TEST_ENGINE"] ?? "sqlite" }
    public static var isPostgres: Bool { engine == "postgres" }
    /// For tests that reach into the SQLite file itself (its pages, WAL or triggers): they run on SQLite only.
    public static var isSQLite: Bool { !isPostgres }

    /// The owner role's password on this process's test server, once one has started.
    static let ownerPassword = Mutex<String?>(nil)
    /// The cluster's superuser password and data folder, for the file scans below.
    static let cluster = Mutex<(password: String, data: String)?>(nil)

    /// A new, empty archive database for one test: a copy of a template migrated once per process (by the owner
    /// role, granting the application role its privileges, as `custos migrate` does), so a test starts from one
    /// CREATE DATABASE instead of a migration of its own.
    public static func make(resources: Resources) async throws -> ArchiveDatabase {
        guard isPostgres else { return .sqlite }
        let server = try await TestPostgresServer.shared.value
        ownerPassword.withLock { $0 = server.passwords[TestPostgresServer.ownerRole] }
        cluster.withLock { $0 = (server.passwords[TestPostgresServer.superuser] ?? "", server.directory + "/data") }
        let template = try await template(resources: resources, server: server).value
        let name = "custos_archive_" + String(copies.withLock { $0 += 1; return $0 })
        // A database's own ACL is not copied from its template: only the application role may connect, as after migrating.
        try await server.superuserSQL([
            // FILE_COPY: PostgreSQL 15's default writes the whole template into the WAL for each copy, hundreds of MiB
            // over a run, which the file scans below would then read.
            "CREATE DATABASE \(name) TEMPLATE \(template) OWNER \(TestPostgresServer.ownerRole) STRATEGY FILE_COPY",
            "REVOKE ALL ON DATABASE \(name) FROM PUBLIC",
            "GRANT CONNECT ON DATABASE \(name) TO \(TestPostgresServer.applicationRole)",
        ])
        return .postgres(server.endpoint(database: name, role: TestPostgresServer.applicationRole))
    }

    private static let copies = Mutex(0)
    private static let templateTask = Mutex<Task<String, any Error>?>(nil)

    /// The migrated template, made by the first test that asks.
    private static func template(resources: Resources, server: TestPostgresServer) -> Task<String, any Error> {
        templateTask.withLock { task in
            if let task { return task }
            let made = Task<String, any Error> {
                let name = try await server.makeDatabase()
                let migrator = try PostgresMigrator(directory: resources.postgresMigrations)
                do {
                    _ = try await server.endpoint(database: name, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) {
                        try await migrator.migrate($0, applicationRole: TestPostgresServer.applicationRole, logger: server.logger)
                    }
                } catch let error as PostgresMigrationError {
                    throw error
                } catch {
                    throw TestServerError("migrating the template \(name): \(serverReason(error))")
                }
                return name
            }
            task = made
            return made
        }
    }
}

extension TestDatabase {
    /// Every file in which `system`'s database keeps its rows, as a thief who copies the storage gets them: SQLite's
    /// file, WAL and shared memory; on PostgreSQL, after a CHECKPOINT (so nothing waits in memory), the files of that
    /// database and the cluster's WAL.
    public static func storageFiles(_ system: CustosSystem) throws -> [String] {
        switch system.database {
        case .sqlite:
            let db = CustosSystem.databasePath(system.dataDirectory)
            return [db, db + "-wal", db + "-shm"]
        case .postgres(let endpoint):
            guard let (password, data) = cluster.withLock({ $0 }) else { throw TestServerError("no PostgreSQL test server was started") }
            let admin = endpoint.signedIn(as: TestPostgresServer.superuser, password: password)
            let store = try PostgresArchiveStore(endpoint: admin, migrations: system.resources.postgresMigrations, connections: 1)
            defer { try? store.close() }
            let oid = try store.withAutocommitSQL { db -> Int64 in
                try db.execute("CHECKPOINT")
                return try db.queryOne("SELECT CAST(oid AS BIGINT) FROM pg_database WHERE datname = current_database()")?.int(0) ?? -1
            }
            let base = "\(data)/base/\(oid)"
            var files = ((try? FileManager.default.subpathsOfDirectory(atPath: base)) ?? []).map { base + "/" + $0 }
            // The WAL is the whole cluster's, every test's database in it: the segments written in the last five
            // minutes hold what this test wrote (a test runs for seconds) and keep the scan to a few of them.
            let wal = "\(data)/pg_wal"
            let recent = Date().addingTimeInterval(-300)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: wal)) ?? [] where name.count == 24 {
                let path = wal + "/" + name
                if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified > recent {
                    files.append(path)
                }
            }
            return files
        }
    }
}

extension CustosSystem {
    /// The SQLite database itself, for tests that reach into its file (raw edits as a database thief would make,
    /// its pages, its triggers); on PostgreSQL it throws, so such a test fails with this reason rather than
    /// crashing the run. Tests written this way are marked `.enabled(if: TestDatabase.isSQLite)`.
    public func sqliteDatabase() throws -> Database {
        guard let sqlite else { throw TestServerError("this test reads the SQLite file; it does not apply to PostgreSQL") }
        return sqlite.database
    }
}

extension CustosSystem {
    /// Lends `body` the archive's database as someone with the database's own credentials would reach it, outside
    /// Custos: SQLite's writer connection, or on PostgreSQL a connection signed in as the owner role (the role
    /// `custos migrate` uses: more than the server's own role may do). Each statement commits on its own. The raw
    /// edits of a database thief or a rogue DBA are made here, so their tests hold on both engines.
    public func withRawDatabase<T>(_ body: (any SQLDatabase) throws -> T) throws -> T {
        switch database {
        case .sqlite:
            return try sqliteDatabase().withWriterConnection { try body($0) }
        case .postgres(let endpoint):
            guard let password = TestDatabase.ownerPassword.withLock({ $0 }) else {
                throw TestServerError("no PostgreSQL test server was started")
            }
            let owner = endpoint.signedIn(as: TestPostgresServer.ownerRole, password: password)
            let store = try PostgresArchiveStore(endpoint: owner, migrations: resources.postgresMigrations, connections: 1)
            defer { try? store.close() }
            return try store.withAutocommitSQL(body)
        }
    }
}

extension SQLDatabase {
    /// Takes the named triggers out of the way, as someone with the database's own credentials can: SQLite's are
    /// dropped; PostgreSQL's (same names) are disabled on their tables, which the owner role may do.
    public func dropTriggers(_ names: String...) throws {
        for name in names {
            switch dialect {
            case .sqlite:
                try execute("DROP TRIGGER IF EXISTS \(name)")
            case .postgres:
                for row in try query("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = ?", name) {
                    try execute("ALTER TABLE \(try row.text(0)) DISABLE TRIGGER \(name)")
                }
            }
        }
    }
}

extension SQLDatabase {
    /// `bytes` as a literal of this engine: x'…' in SQLite, '\x…'::bytea in PostgreSQL.
    public func blobLiteral(_ bytes: [UInt8]) -> String {
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        switch dialect {
        case .sqlite: return "x'\(hex)'"
        case .postgres: return "'\\x\(hex)'::bytea"
        }
    }

    /// An expression for as many zero bytes as `lengthExpression` says.
    public func zeroBlob(_ lengthExpression: String) -> String {
        switch dialect {
        case .sqlite: return "zeroblob(\(lengthExpression))"
        case .postgres: return "decode(repeat('00', \(lengthExpression)), 'hex')"
        }
    }

    /// `sql` with SQLite's randomblob(n) and zeroblob(n) written for this engine.
    public func portable(_ sql: String) -> String {
        var out = sql
        while let r = out.range(of: #"randomblob\((\d+)\)"#, options: .regularExpression) {
            let n = Int(out[r].dropFirst("randomblob(".count).dropLast()) ?? 32
            out.replaceSubrange(r, with: blobLiteral((0..<n).map { _ in UInt8.random(in: 0...255) }))
        }
        if dialect == .postgres {
            while let r = out.range(of: #"zeroblob\(([^()]*(\([^()]*\))?)\)"#, options: .regularExpression) {
                let inner = String(out[r].dropFirst("zeroblob(".count).dropLast())
                out.replaceSubrange(r, with: zeroBlob(inner))
            }
        }
        return out
    }

    /// Makes every audit append whose action is `action` (any, when nil) fail, as a full disk or a broken log
    /// would; `dropTriggers("audit_down")` ends it.
    public func failAuditAppends(action: String? = nil, message: String = "disk on fire") throws {
        switch dialect {
        case .sqlite:
            let when = action.map { " WHEN NEW.action = '\($0)'" } ?? ""
            try execute("CREATE TRIGGER audit_down BEFORE INSERT ON audit_events\(when) BEGIN SELECT RAISE(ABORT, '\(message)'); END;")
        case .postgres:
            let condition = action.map { "NEW.action = '\($0)'" } ?? "TRUE"
            try execute("""
                CREATE OR REPLACE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $f$
                BEGIN IF \(condition) THEN RAISE EXCEPTION '\(message)'; END IF; RETURN NEW; END $f$
                """)
            try execute("DROP TRIGGER IF EXISTS audit_down ON audit_events")
            try execute("CREATE TRIGGER audit_down BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_down()")
        }
    }
}
