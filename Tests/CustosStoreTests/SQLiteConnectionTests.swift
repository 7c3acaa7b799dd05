import Foundation
import Testing
@testable import CustosStore

/// A private temporary directory per test, so no two tests ever share a database file.
struct SQLiteScratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("custos-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    func path(_ name: String = "test.sqlite") -> String {
        url.appendingPathComponent(name).path
    }

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

private struct Boom: Error, Equatable {}

@Suite("SQLiteConnection")
struct SQLiteConnectionTests {
    @Test("every kind of value round-trips exactly")
    func roundTrip() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        // No declared type: the column has no affinity, so SQLite stores each value as given.
        try conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
        let values: [SQLValue] = [
            .null, .integer(.min), .integer(.max), .integer(0), .integer(-1),
            .real(3.141592653589793), .real(1e308), .real(-.leastNonzeroMagnitude),
            .text(""), .text("héllo wörld – 日本語 – 🌍👩‍👩‍👧 – עברית"), .text("nul\u{0}inside\u{0}"),
            .blob([]), .blob([0, 0, 0]), .blob([0x00, 0xFF, 0x00, 0x7F]), .blob(Array(0...255)),
            .blob((0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 31) }),
        ]
        for value in values {
            try conn.run("INSERT INTO t(v) VALUES (?)", value)
        }
        let back = try conn.query("SELECT v FROM t ORDER BY id").map { $0[0] }
        #expect(back == values)
        // An empty blob must stay a blob, not turn into NULL.
        #expect(try conn.queryOne("SELECT typeof(v) FROM t WHERE id = 12")?.text(0) == "blob")
        #expect(try conn.queryOne("SELECT typeof(v) FROM t WHERE id = 9")?.text(0) == "text")
    }

    @Test("Swift types bind as the expected SQLite values")
    func bindables() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        let none: String? = nil
        let some: Int? = 5
        let row = try #require(try conn.queryOne(
            "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?",
            42, Int64(-7), Int32(9), true, false, 2.5, "s", [UInt8]([1, 0, 2]), none, some))
        #expect(row.values == [.integer(42), .integer(-7), .integer(9), .integer(1), .integer(0),
                               .real(2.5), .text("s"), .blob([1, 0, 2]), .null, .integer(5)])
        #expect(try row.int(0) == 42)
        #expect(try row.bool(3) == true)
        #expect(try row.bool(4) == false)
        #expect(try row.double(5) == 2.5)
        #expect(try row.double(0) == 42)
        #expect(try row.text(6) == "s")
        #expect(try row.blob(7) == [1, 0, 2])
        #expect(try row.optionalText(8) == nil)
        #expect(try row.optionalBlob(8) == nil)
        #expect(try row.optionalInt(9) == 5)
        #expect(row.count == 10)
    }

    @Test("typed getters throw typeMismatch instead of crashing")
    func typeMismatch() throws {
        let row = SQLRow([.text("x"), .null, .integer(1)])
        #expect(throws: SQLiteError.typeMismatch(column: 0, expected: "integer")) { try row.int(0) }
        #expect(throws: SQLiteError.typeMismatch(column: 1, expected: "text")) { try row.text(1) }
        #expect(throws: SQLiteError.typeMismatch(column: 2, expected: "blob")) { try row.blob(2) }
        #expect(throws: SQLiteError.typeMismatch(column: 0, expected: "real")) { try row.double(0) }
        #expect(throws: SQLiteError.self) { try row.optionalText(2) }
        #expect(throws: SQLiteError.self) { try row.int(7) }
        #expect(try row.optionalInt(1) == nil)
    }

    @Test("bound parameters store injection strings literally")
    func injection() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        try conn.execute("CREATE TABLE t(name TEXT)")
        let hostile = ["'; DROP TABLE t; --", "Robert'); DROP TABLE t;--", "x' OR '1'='1", "?1 OR 1=1"]
        for text in hostile {
            try conn.run("INSERT INTO t(name) VALUES (?)", text)
        }
        #expect(try conn.query("SELECT name FROM t WHERE name = ?", hostile[0]).count == 1)
        #expect(try conn.query("SELECT name FROM t WHERE name = ?", "nobody' OR '1'='1").isEmpty)
        #expect(try conn.query("SELECT name FROM t ORDER BY rowid").map { try $0.text(0) } == hostile)
        #expect(try conn.queryOne("SELECT count(*) FROM sqlite_master WHERE name = 't'")?.int(0) == 1)
    }

    @Test("a trigger's RAISE(ABORT) surfaces as a constraint error carrying its message")
    func triggerRaise() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        try conn.execute("""
            CREATE TABLE audit(id INTEGER PRIMARY KEY, entry TEXT NOT NULL);
            CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
            INSERT INTO audit(entry) VALUES ('first');
            """)
        let error = #expect(throws: SQLiteError.self) {
            try conn.run("UPDATE audit SET entry = ? WHERE id = 1", "forged")
        }
        guard case .constraint(let message) = error else {
            Issue.record("expected .constraint, got \(String(describing: error))")
            return
        }
        #expect(message.contains("audit log is append-only"))
        #expect(try conn.queryOne("SELECT entry FROM audit")?.text(0) == "first")
        #expect(throws: SQLiteError.constraint(message: "NOT NULL constraint failed: audit.entry")) {
            try conn.run("INSERT INTO audit(entry) VALUES (?)", String?.none)
        }
    }

    @Test("bad SQL, several statements and wrong parameter counts are prepare errors")
    func prepareErrors() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        let errors: [SQLiteError?] = [
            #expect(throws: SQLiteError.self) { try conn.query("SELEC 1") },
            #expect(throws: SQLiteError.self) { try conn.query("SELECT 1; SELECT 2") },
            #expect(throws: SQLiteError.self) { try conn.query("SELECT ?, ?", 1) },
            #expect(throws: SQLiteError.self) { try conn.query("  ") },
        ]
        for error in errors {
            guard case .prepare = error else {
                Issue.record("expected .prepare, got \(String(describing: error))")
                continue
            }
        }
        #expect(try conn.queryOne("SELECT 1; -- trailing comments are fine")?.int(0) == 1)
        #expect(try conn.queryOne("SELECT 1 WHERE 0") == nil)
    }

    @Test("run returns changes and lastInsertRowID follows inserts; statements are cached and reused")
    func changesAndCache() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        try conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER)")
        #expect(try conn.run("INSERT INTO t(v) VALUES (?)", 1) == 1)
        let cached = conn.cachedStatementCount
        for i in 2...50 {
            try conn.run("INSERT INTO t(v) VALUES (?)", i)
        }
        #expect(conn.cachedStatementCount == cached)
        #expect(conn.lastInsertRowID == 50)
        #expect(try conn.run("UPDATE t SET v = v + 1 WHERE v > ?", 40) == 10)
    }

    @Test("nested transactions use savepoints: an inner failure undoes only the inner work")
    func nestedTransactions() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        try conn.execute("CREATE TABLE t(v INTEGER)")
        try conn.transaction {
            try conn.run("INSERT INTO t VALUES (1)")
            #expect(throws: Boom()) {
                try conn.transaction {
                    try conn.run("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            try conn.transaction { try conn.run("INSERT INTO t VALUES (3)") }
        }
        #expect(conn.isInTransaction == false)
        #expect(try conn.query("SELECT v FROM t ORDER BY v").map { try $0.int(0) } == [1, 3])
        #expect(throws: Boom()) {
            try conn.transaction(immediate: false) {
                try conn.run("INSERT INTO t VALUES (4)")
                throw Boom()
            }
        }
        #expect(try conn.queryOne("SELECT count(*) FROM t")?.int(0) == 2)
    }

    @Test("forEach streams rows and its body may use the same connection, even the same SQL")
    func streaming() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let conn = try SQLiteConnection(path: scratch.path())
        try conn.execute("CREATE TABLE t(v INTEGER); CREATE TABLE seen(v INTEGER)")
        for i in 1...10 { try conn.run("INSERT INTO t VALUES (?)", i) }
        var sum: Int64 = 0
        let sql = "SELECT v FROM t WHERE v >= ? ORDER BY v"
        try conn.forEach(sql, [1]) { row in
            let v = try row.int(0)
            sum += v
            try conn.run("INSERT INTO seen VALUES (?)", v)
            #expect(try conn.query(sql, v).count == Int(11 - v))
        }
        #expect(sum == 55)
        #expect(try conn.queryOne("SELECT count(*) FROM seen")?.int(0) == 10)
        // A body that throws ends the stream and leaves the statement reusable.
        var visited = 0
        #expect(throws: Boom()) {
            try conn.forEach(sql, [1]) { _ in
                visited += 1
                if visited == 3 { throw Boom() }
            }
        }
        #expect(visited == 3)
        #expect(try conn.query(sql, 5).count == 6)
    }
}
