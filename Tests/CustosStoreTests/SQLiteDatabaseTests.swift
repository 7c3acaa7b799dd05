import Foundation
import Synchronization
import Testing
@testable import CustosStore

private struct Boom: Error, Equatable {}

/// Tells reader tasks when the writer task has finished.
private final class WriterFlag: Sendable {
    let done = Atomic<Bool>(false)
}

@Suite("Database")
struct SQLiteDatabaseTests {
    @Test("a new database gets 8 KiB pages, WAL and the standard pragmas; the writer a 48 MiB cache, readers 16 MiB")
    func pragmas() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path())
        try db.write { try $0.execute("CREATE TABLE t(v)") }
        try db.withWriterConnection { conn throws in
            #expect(try conn.queryOne("PRAGMA page_size")?.int(0) == 8192)
            #expect(try conn.queryOne("PRAGMA journal_mode")?.text(0) == "wal")
            #expect(try conn.queryOne("PRAGMA cache_size")?.int(0) == -49152)
            // SQLite's own checkpoint (inside the commit, under the write lock) is off: see the next test.
            #expect(try conn.queryOne("PRAGMA wal_autocheckpoint")?.int(0) == 0)
            #expect(try conn.queryOne("PRAGMA synchronous")?.int(0) == 1)  // NORMAL
            #expect(try conn.queryOne("PRAGMA foreign_keys")?.int(0) == 1)
            #expect(try conn.queryOne("PRAGMA secure_delete")?.int(0) == 1)
            #expect(try conn.queryOne("PRAGMA busy_timeout")?.int(0) == 5000)
            #expect(try conn.queryOne("PRAGMA temp_store")?.int(0) == 2)  // MEMORY
        }
        try db.read { conn throws in
            #expect(try conn.queryOne("PRAGMA page_size")?.int(0) == 8192)
            #expect(try conn.queryOne("PRAGMA cache_size")?.int(0) == -16384)  // 16 MiB: kept snapshots keep it warm
            #expect(try conn.queryOne("PRAGMA journal_mode")?.text(0) == "wal")
        }
        // Settled in the file: a second open sees the same.
        let again = try Database(path: scratch.path(), readers: 1)
        #expect(try again.read { try $0.queryOne("PRAGMA page_size")?.int(0) } == 8192)
    }

    @Test("the WAL is copied back by a checkpointer of its own once it holds the threshold's frames, while the writer goes on")
    func backgroundCheckpoints() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        // Background checkpoints from 20 frames, the writer's own at 80.
        let db = try Database(path: scratch.path(), checkpointFrames: 80)
        try db.write { try $0.execute("CREATE TABLE t(v BLOB)") }
        // Below the threshold nothing is copied back.
        for _ in 0..<5 { try db.write { try $0.run("INSERT INTO t VALUES (randomblob(3000))") } }
        db.checkpointer.settle()
        #expect(db.checkpointer.runs == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: scratch.path())[.size] as? Int ?? 0 < 5 * 3_000)
        // A checkpoint that cannot finish (a reader holds an old snapshot) does not stop the writer.
        try db.read { conn in
            _ = try conn.queryOne("SELECT count(*) FROM t")
            for _ in 0..<20 { try db.write { try $0.run("INSERT INTO t VALUES (randomblob(3000))") } }
            db.checkpointer.settle()
        }
        #expect(db.checkpointer.runs >= 1 && db.checkpointer.writerRuns == 0)
        // Once the reader is gone, the next commit past the threshold copies everything back.
        Thread.sleep(forTimeInterval: db.checkpointer.minimumInterval)
        try db.write { try $0.run("INSERT INTO t VALUES (randomblob(3000))") }
        db.checkpointer.settle()
        // The rows (26 × 3,000 bytes) are in the database file itself now, not only in the WAL.
        let size = try FileManager.default.attributesOfItem(atPath: scratch.path())[.size] as? Int ?? 0
        #expect(size >= 26 * 3_000)
        #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t")?.int(0) } == 26)
    }

    @Test("under a steady stream of writes the writer finishes the checkpoint, so the WAL starts again instead of growing")
    func walStaysBounded() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path(), checkpointFrames: 80)
        try db.write { try $0.execute("CREATE TABLE t(v BLOB)") }
        for _ in 0..<600 { try db.write { try $0.run("INSERT INTO t VALUES (randomblob(3000))") } }
        db.checkpointer.settle()
        #expect(db.checkpointer.writerRuns >= 1)
        // 600 commits of a page or more each: without restarts the WAL would hold over 600 frames (8 KiB each). It may
        // pass the 80-frame threshold while the background checkpoint holds the checkpoint lock (216 frames once, in a
        // whole `swift test` on 2 cores), so the bound is half the frames that no restart at all would leave. What is
        // counted is the frames written since the WAL last started again, as SQLite reports them: the file's size is
        // only its high-water mark, which one late restart on a saturated machine (756 frames once) leaves high.
        let frames = try db.withWriterConnection { try $0.queryOne("PRAGMA wal_checkpoint(PASSIVE)")?.int(1) } ?? -1
        #expect(frames >= 0 && frames < 300, "\(frames) frames in the WAL since it last started again")
        #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t")?.int(0) } == 600)
    }

    @Test("an existing database keeps its page size")
    func existingPageSize() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        do {
            let raw = try SQLiteConnection(path: scratch.path())
            try raw.execute("PRAGMA page_size = 4096; CREATE TABLE t(v)")
        }
        let db = try Database(path: scratch.path())
        try db.withWriterConnection { conn throws in
            #expect(try conn.queryOne("PRAGMA page_size")?.int(0) == 4096)
            #expect(try conn.queryOne("PRAGMA journal_mode")?.text(0) == "wal")
        }
    }

    @Test("write rolls back everything when its body throws, and the writer stays usable")
    func writeRollsBack() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path())
        try db.write { try $0.execute("CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(p INTEGER REFERENCES p(id))") }
        #expect(throws: Boom()) {
            try db.write { conn throws in
                try conn.run("INSERT INTO p(id) VALUES (1)")
                throw Boom()
            }
        }
        // A constraint failure half-way undoes the earlier statement too (foreign keys are on).
        #expect(throws: SQLiteError.self) {
            try db.write { conn throws in
                try conn.run("INSERT INTO p(id) VALUES (2)")
                try conn.run("INSERT INTO c(p) VALUES (99)")
            }
        }
        #expect(try db.read { try $0.queryOne("SELECT count(*) FROM p")?.int(0) } == 0)
        try db.write { try $0.run("INSERT INTO p(id) VALUES (3)") }
        #expect(try db.read { try $0.queryOne("SELECT count(*) FROM p")?.int(0) } == 1)
        #expect(try db.withWriterConnection { $0.isInTransaction } == false)
    }

    @Test("readers see committed data only, one snapshot per read, while the writer holds a transaction")
    func readersAndWriter() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path())
        try db.write { try $0.execute("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1)") }
        let count = { (conn: SQLiteConnection) in try conn.queryOne("SELECT count(*) FROM t")?.int(0) }
        try db.write { conn throws in
            try conn.run("INSERT INTO t VALUES (2)")
            // The writer's transaction is open and uncommitted; WAL lets a reader proceed without blocking.
            #expect(try db.read(count) == 1)
        }
        try db.read { conn throws in
            let before = try count(conn)
            try db.write { try $0.run("INSERT INTO t VALUES (3)") }
            #expect(try count(conn) == before)
        }
        #expect(try db.read(count) == 3)
    }

    @Test("a write inside a write, or a read inside a read with no spare reader, throws instead of trapping")
    func reentry() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path(), readers: 2)
        try db.write { try $0.execute("CREATE TABLE t(v INTEGER)") }
        let nested = #expect(throws: SQLiteError.self) {
            try db.write { conn in
                try conn.run("INSERT INTO t VALUES (1)")
                try db.write { try $0.run("INSERT INTO t VALUES (2)") }
            }
        }
        guard case .step(let code, _) = nested else {
            Issue.record("expected .step(SQLITE_MISUSE), got \(String(describing: nested))")
            return
        }
        #expect(code == 21)  // SQLITE_MISUSE
        #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t")?.int(0) } == 0)
        // Two readers: one nested read finds the other; a third level has none left.
        let inner = try db.read { _ in try db.read { try $0.queryOne("SELECT count(*) FROM t")?.int(0) } }
        #expect(inner == 0)
        #expect(throws: SQLiteError.self) {
            try db.read { _ in try db.read { _ in try db.read { try $0.queryOne("SELECT 1") } } }
        }
    }

    @Test("reader connections refuse writes")
    func readersAreReadOnly() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path())
        try db.write { try $0.execute("CREATE TABLE t(v INTEGER)") }
        #expect(throws: SQLiteError.self) { try db.read { try $0.run("INSERT INTO t VALUES (1)") } }
    }

    @Test("many tasks read concurrently while one writes, and never see half a transaction")
    func concurrentReads() async throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path(), readers: 3)
        try db.write { try $0.execute("CREATE TABLE t(pair INTEGER, v INTEGER)") }
        let pairs = 150
        let writing = WriterFlag()
        let midway = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                defer { writing.done.store(true, ordering: .releasing) }
                for i in 0..<pairs {
                    try db.write { conn in
                        try conn.run("INSERT INTO t VALUES (?, 1)", i)
                        try conn.run("INSERT INTO t VALUES (?, -1)", i)
                    }
                    await Task.yield()  // lets readers interleave even on a one-thread pool
                }
                return 0
            }
            for _ in 0..<8 {
                group.addTask {
                    var last: Int64 = 0
                    var midway = 0
                    repeat {
                        let (rows, sum) = try db.read { conn in
                            let row = try conn.queryOne("SELECT count(*), coalesce(sum(v), 0) FROM t")
                            return (try row?.int(0) ?? -1, try row?.int(1) ?? -1)
                        }
                        #expect(rows % 2 == 0 && sum == 0, "a reader saw half a transaction")
                        #expect(rows >= last, "a later read went back in time")
                        if rows > 0 && rows < pairs * 2 { midway += 1 }
                        last = rows
                        await Task.yield()
                    } while !writing.done.load(ordering: .acquiring)
                    return midway
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(midway > 0, "no read overlapped the writes")
        #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t")?.int(0) } == Int64(pairs * 2))
    }

    @Test("more concurrent readers than connections wait their turn")
    func poolExhaustion() async throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path(), readers: 1)
        try db.write { try $0.execute("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (7)") }
        let total = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<16 {
                group.addTask { try db.read { try $0.queryOne("SELECT v FROM t")?.int(0) ?? 0 } }
            }
            return try await group.reduce(0, +)
        }
        #expect(total == 16 * 7)
    }

    @Test("insert throughput, batches of 1,000 via run() in write()",
          .enabled(if: ProcessInfo.processInfo.environment["CUSTOS_BENCH"] != nil))
    func insertThroughput() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path())
        try db.write { try $0.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL)") }
        let start = ContinuousClock.now
        for batch in 0..<100 {
            try db.write { conn throws in
                for i in 0..<1_000 {
                    try conn.run("INSERT INTO t(a, b) VALUES (?, ?)", batch * 1_000 + i, "row-\(i)")
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("BENCH insert 100k rows in 1k batches: \(Int(100_000 / seconds)) rows/s (\(seconds) s)")
        #expect(try db.read { try $0.queryOne("SELECT count(*) FROM t")?.int(0) } == 100_000)
    }
}
