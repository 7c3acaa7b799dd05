import CustosCore
import CustosCrypto
import CustosPostgres
import CustosStore
import Foundation

/// `custos migrate-store`: copies a SQLite archive into a freshly migrated PostgreSQL database, row for row, without
/// decrypting anything. Envelopes, sealed display values and the audit chain move as the bytes they are, with the
/// same ids, so the copy's chain ends at the same head and `custos verify` passes on it with the data directory's
/// keys and signed head unchanged. That verification also runs inside the copying transaction, before it commits.
///
/// The copy is one PostgreSQL transaction under the archive's write lock: either every table arrives and the
/// counts and the head match the source's, or nothing does. The rules the schema enforces on live writes
/// (write-once rows, requests only while pending, disposals only after retention, …) are triggers that would refuse
/// to re-insert history, so the owner turns the tables' own triggers off for the length of that transaction and on
/// again before it commits; what the rows say was checked when they were first written, and `verify` checks the
/// chain and every envelope again afterwards. Constraints (keys, references, checks) stay on throughout.
public enum StoreMigration {
    public struct Summary: Sendable {
        /// Rows copied, by table, in the order they were copied.
        public var tables: [(name: String, rows: Int)]
        /// The last audit entry of the source (and so of the copy): its sequence number and hash.
        public var headSeq: Int64?
        public var headHash: [UInt8]?
        /// What verification found in the copy before it was committed.
        public var auditEntries: Int64
        public var messages: Int64
        public var seconds: Double
    }

    /// Not copied: each engine's own record of applied migrations, and the background-jobs lease, which belongs to
    /// the servers running on an engine (a server on the copy takes a fresh one).
    static let skipped: Set<String> = ["schema_migrations", "leases"]

    /// Rows per INSERT: few round trips, and well under PostgreSQL's 65,535 parameters for the widest table.
    static let batchRows = 500
    /// Bytes of bound values per INSERT, so a batch of large envelopes stays a few megabytes.
    static let batchBytes = 4 << 20

    public static func copy(dataDirectory: String, to ownerURL: String, resources: Resources,
                            progress: @escaping (String) -> Void) throws -> Summary {
        let started = Date()
        let source = CustosSystem.databasePath(dataDirectory)
        guard FileManager.default.fileExists(atPath: source) else {
            throw StartupError("\(dataDirectory): no SQLite archive (custos.sqlite) to copy")
        }
        let endpoint: PostgresEndpoint
        do { endpoint = try PostgresEndpoint(url: ownerURL) } catch { throw StartupError("--to: \(error)") }
        // Refuses a database that is not migrated to this version (run `custos migrate` first).
        let target = try PostgresArchiveStore(endpoint: endpoint, migrations: resources.postgresMigrations, connections: 1)
        defer { try? target.close() }

        let verify = try CustosSystem.offlineVerifier(dataDirectory: dataDirectory)
        let summary = try SQLiteArchiveStore.readOnlySQL(path: source, migrations: resources.migrations) { from in
            try target.withOwnerTransaction { to in
                let copied = try copyTables(from: from, to: to, progress: progress)
                // Checked before the commit, so a copy that does not verify never lands.
                progress("Verifying the copy before committing it …")
                let (audit, archive) = try verify(SQLUnitOfWork(to))
                guard audit.ok, let archive, archive.ok else {
                    throw StartupError("the copy does not verify, so nothing was kept: "
                                       + (audit.failure ?? archive?.failure ?? "unknown failure"))
                }
                return (copied, audit, archive)
            }
        }
        return Summary(tables: summary.0.tables, headSeq: summary.0.head?.seq, headHash: summary.0.head?.hash,
                       auditEntries: summary.1.entries, messages: summary.2.messages,
                       seconds: Date().timeIntervalSince(started))
    }

    struct Column {
        let name: String
        /// PostgreSQL's `data_type` as information_schema spells it (bigint, boolean, bytea, text, jsonb, …).
        let type: String
    }

    private static func copyTables(from: any SQLDatabase, to: any SQLDatabase, progress: (String) -> Void) throws
        -> (tables: [(name: String, rows: Int)], head: AuditEntry?) {
        let occupied = try to.queryOne("""
            SELECT (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM users) + (SELECT count(*) FROM messages)
            """).map { try $0.int(0) } ?? 0
        guard occupied == 0 else {
            throw StartupError("the target database already holds an archive (users, messages or audit entries); "
                               + "migrate-store copies only into a freshly migrated, empty database")
        }
        let (tables, cyclic) = try targetTables(to)
        let sourceTables = Set(try from.query("SELECT name FROM sqlite_master WHERE type = 'table'").map { try $0.text(0) })
        // A table only the source has would be left behind without a word: refuse instead.
        let targetNames = Set(tables.map(\.0))
        let unmatched = sourceTables.filter { !$0.hasPrefix("sqlite_") && !skipped.contains($0) && !targetNames.contains($0) }
        guard unmatched.isEmpty else {
            throw StartupError("the target has no table for \(unmatched.sorted().joined(separator: ", ")); the schemas differ")
        }
        for (name, columns) in tables {
            guard sourceTables.contains(name) else { throw StartupError("the source archive has no table \(name)") }
            let sourceColumns = Set(try from.query("SELECT name FROM pragma_table_info(?)", name).map { try $0.text(0) })
            let missing = columns.map(\.name).filter { !sourceColumns.contains($0) }
            guard missing.isEmpty else {
                throw StartupError("the source table \(name) lacks \(missing.joined(separator: ", ")); the schemas differ")
            }
        }
        for (name, _) in tables { try to.execute("ALTER TABLE \(quoted(name)) DISABLE TRIGGER USER") }
        // References in a cycle are checked once every table is in, at SET CONSTRAINTS ALL IMMEDIATE below.
        for (table, constraint) in cyclic {
            try to.execute("ALTER TABLE \(quoted(table)) ALTER CONSTRAINT \(quoted(constraint)) DEFERRABLE INITIALLY DEFERRED")
        }
        // Migrations seed a few rows (settings, upgrade records); the source's own rows replace them.
        for (name, _) in tables.reversed() { _ = try to.run("DELETE FROM \(quoted(name))", parameters: []) }

        var copied: [(name: String, rows: Int)] = []
        for (name, columns) in tables {
            let rows = try copyTable(name, columns: columns, from: from, to: to, progress: progress)
            let landed = try to.queryOne("SELECT count(*) FROM \(quoted(name))").map { try $0.int(0) } ?? -1
            guard landed == Int64(rows) else {
                throw StartupError("\(name): \(rows) rows read but \(landed) in the copy")
            }
            copied.append((name, rows))
        }
        try to.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for (table, constraint) in cyclic {
            try to.execute("ALTER TABLE \(quoted(table)) ALTER CONSTRAINT \(quoted(constraint)) NOT DEFERRABLE")
        }
        try restartIdentities(to, from: from)
        for (name, _) in tables { try to.execute("ALTER TABLE \(quoted(name)) ENABLE TRIGGER USER") }

        let sourceHead = try SQLUnitOfWork(from).audit.last()
        let copyHead = try SQLUnitOfWork(to).audit.last()
        guard sourceHead?.seq == copyHead?.seq, sourceHead?.hash == copyHead?.hash else {
            throw StartupError("the copy's audit head (seq \(copyHead?.seq ?? 0)) differs from the source's "
                               + "(seq \(sourceHead?.seq ?? 0)); nothing was kept")
        }
        return (copied, sourceHead)
    }

    /// The target's tables with their columns, parents before the tables that refer to them, and the references
    /// that cannot be satisfied by any order (the tables refer to each other in a cycle: an epoch names the
    /// ceremony that made it, a ceremony the epoch it follows), by table and constraint name.
    static func targetTables(_ to: any SQLDatabase) throws -> (tables: [(String, [Column])], cyclic: [(table: String, constraint: String)]) {
        var columns: [String: [Column]] = [:]
        for row in try to.query("""
            SELECT c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """) {
            let table = try row.text(0)
            guard !skipped.contains(table) else { continue }
            columns[table, default: []].append(Column(name: try row.text(1), type: try row.text(2)))
        }
        var parents: [String: [String: [String]]] = [:]  // child → parent → constraint names
        for row in try to.query("""
            SELECT child.relname, parent.relname, k.conname
            FROM pg_constraint k
            JOIN pg_class child ON child.oid = k.conrelid
            JOIN pg_class parent ON parent.oid = k.confrelid
            WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace
            """) {
            let (child, parent) = (try row.text(0), try row.text(1))
            // A table that refers to itself is copied in key order, so its earlier rows are there first.
            if child != parent { parents[child, default: [:]][parent, default: []].append(try row.text(2)) }
        }
        // Depth-first, alphabetical among equals, so the order (and the progress printed) is the same every run.
        var ordered: [String] = []
        var placed = Set<String>()
        var visiting = Set<String>()
        var cyclic: [(table: String, constraint: String)] = []
        func place(_ table: String) {
            if placed.contains(table) { return }
            visiting.insert(table)
            for (parent, constraints) in (parents[table] ?? [:]).sorted(by: { $0.key < $1.key }) where columns[parent] != nil {
                if visiting.contains(parent) {
                    cyclic += constraints.map { (table, $0) }
                } else {
                    place(parent)
                }
            }
            visiting.remove(table)
            placed.insert(table)
            ordered.append(table)
        }
        for table in columns.keys.sorted() { place(table) }
        return (ordered.map { ($0, columns[$0]!) }, cyclic)
    }

    /// Copies one table in primary-key order (so rows that refer to earlier rows of the same table find them).
    private static func copyTable(_ table: String, columns: [Column], from: any SQLDatabase, to: any SQLDatabase,
                                  progress: (String) -> Void) throws -> Int {
        let key = try from.query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", table).map { try $0.text(0) }
        let order = key.isEmpty ? "rowid" : key.map(quoted).joined(separator: ", ")
        let select = "SELECT \(columns.map { quoted($0.name) }.joined(separator: ", ")) FROM \(quoted(table)) ORDER BY \(order)"
        // jsonb takes its text through a cast; every other column takes the value bound with its own type.
        let tuple = "(" + columns.map { $0.type == "jsonb" ? "?::jsonb" : "?" }.joined(separator: ", ") + ")"
        let insertHead = "INSERT INTO \(quoted(table)) (\(columns.map { quoted($0.name) }.joined(separator: ", "))) VALUES "

        var pending: [any SQLBindable] = []
        var pendingRows = 0
        var pendingBytes = 0
        var total = 0
        var lastReport = Date()
        func flush() throws {
            guard pendingRows > 0 else { return }
            let sql = insertHead + Array(repeating: tuple, count: pendingRows).joined(separator: ", ")
            _ = try to.run(sql, parameters: pending)
            total += pendingRows
            pending.removeAll(keepingCapacity: true)
            (pendingRows, pendingBytes) = (0, 0)
            if Date().timeIntervalSince(lastReport) >= 5 {
                progress("  \(table): \(total) rows …")
                lastReport = Date()
            }
        }
        try from.forEach(select, []) { row in
            for (i, column) in columns.enumerated() {
                let value = try convert(row[i], to: column, table: table)
                if case .blob(let b) = value { pendingBytes += b.count } else if case .text(let t) = value { pendingBytes += t.utf8.count }
                pending.append(value)
            }
            pendingRows += 1
            if pendingRows >= batchRows || pendingBytes >= batchBytes { try flush() }
        }
        try flush()
        return total
    }

    /// One SQLite value as the PostgreSQL column expects it: flags kept as 0/1 become booleans, text kept where
    /// PostgreSQL keeps bytes (platform names) becomes its UTF-8 bytes. Anything else that does not fit is refused
    /// by name rather than coerced.
    static func convert(_ value: SQLValue, to column: Column, table: String) throws -> SQLValue {
        switch (value, column.type) {
        case (.null, _): return .null
        case (.integer, "bigint"), (.integer, "integer"), (.integer, "smallint"): return value
        case (.integer(let v), "boolean"): return .boolean(v != 0)
        case (.integer(let v), "double precision"), (.integer(let v), "real"): return .real(Double(v))
        case (.real, "double precision"), (.real, "real"): return value
        case (.text, "text"), (.text, "jsonb"), (.blob, "bytea"): return value
        case (.text(let t), "bytea"): return .blob(Array(t.utf8))
        case (.blob(let b), "text"):
            guard let t = String(validating: b, as: UTF8.self) else { break }
            return .text(t)
        default: break
        }
        throw StartupError("\(table).\(column.name): a \(value.kindName) value cannot go into a \(column.type) column")
    }

    /// Identity columns continue after the highest id either engine ever handed out (SQLite's AUTOINCREMENT
    /// remembers ids of deleted rows in sqlite_sequence), so no id is given out twice.
    private static func restartIdentities(_ to: any SQLDatabase, from: any SQLDatabase) throws {
        let hasSequence = try from.queryOne("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'") != nil
        for row in try to.query("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND is_identity = 'YES'
            """) {
            let (table, column) = (try row.text(0), try row.text(1))
            guard !skipped.contains(table) else { continue }
            let highest = try to.queryOne("SELECT max(\(quoted(column))) FROM \(quoted(table))").flatMap { try $0.optionalInt(0) } ?? 0
            let handedOut = hasSequence
                ? try from.queryOne("SELECT seq FROM sqlite_sequence WHERE name = ?", table).flatMap { try $0.optionalInt(0) } ?? 0
                : 0
            let next = max(highest, handedOut)
            guard next > 0 else { continue }
            _ = try to.queryOne("SELECT setval(pg_get_serial_sequence(?, ?), ?)", table, column, next)
        }
    }

    /// A table, column or constraint name as a quoted identifier. The names come from the two schemas, not from
    /// input, and are plain lower-case words; quoting keeps a name that is not (a hostile source file's) from
    /// being read as SQL.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension SQLValue {
    /// The kind of value, for an error message that must not show the value itself.
    var kindName: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .boolean: "boolean"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }
}
