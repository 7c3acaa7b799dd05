import Foundation
import Testing
@testable import CustosStore

/// `Database.readRecent`: a reader keeps its snapshot (and page cache) across append-only writes, never across
/// any other write, never past its lifetime, and never so long that the WAL cannot be checkpointed and restarted.
@Suite("Kept read snapshots")
struct KeptSnapshotTests {
    private static let counts = "SELECT (SELECT count(*) FROM log), (SELECT count(*) FROM data)"

    private func counts(_ conn: SQLiteConnection) throws -> [Int64] {
        let row = try #require(try conn.queryOne(Self.counts))
        return [try row.int(0), try row.int(1)]
    }

    private func database(_ scratch: SQLiteScratch, lifetime: Double = 60, checkpointFrames: Int = 32_000) throws -> Database {
        let db = try Database(path: scratch.path(), checkpointFrames: checkpointFrames, keptSnapshotLifetime: lifetime)
        try db.write { try $0.execute("CREATE TABLE log(v BLOB); CREATE TABLE data(v BLOB)") }
        return db
    }

    @Test("readRecent reuses its snapshot across append-only writes; any other write ends it")
    func keptAcrossAppendsOnly() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try database(scratch)
        #expect(try db.readRecent(counts) == [0, 0])
        try db.appendOnlyWrite { try $0.run("INSERT INTO log VALUES (1)") }
        // The kept snapshot predates the append; a plain read begins afresh and sees it, without ending the kept one.
        #expect(try db.readRecent(counts) == [0, 0])
        #expect(try db.read(counts) == [1, 0])
        #expect(try db.readRecent(counts) == [0, 0])
        try db.write { try $0.run("INSERT INTO data VALUES (1)") }
        #expect(try db.readRecent(counts) == [1, 1])
    }

    @Test("a kept snapshot lapses after its lifetime")
    func lapses() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try database(scratch, lifetime: 0.05)
        #expect(try db.readRecent(counts) == [0, 0])
        try db.appendOnlyWrite { try $0.run("INSERT INTO log VALUES (1)") }
        Thread.sleep(forTimeInterval: 0.08)
        #expect(try db.readRecent(counts) == [1, 0])
    }

    @Test("a read that throws ends its kept snapshot")
    func throwingReadEndsIt() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try database(scratch)
        #expect(try db.readRecent(counts) == [0, 0])
        #expect(throws: SQLiteError.self) { try db.readRecent { try $0.queryOne("SELECT * FROM no_such_table") } }
        try db.appendOnlyWrite { try $0.run("INSERT INTO log VALUES (1)") }
        #expect(try db.readRecent(counts) == [1, 0])
    }

    @Test("a write lets free readers' kept snapshots go at once, so the WAL can be truncated")
    func writesReleaseKeptSnapshots() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try database(scratch)
        try db.appendOnlyWrite { try $0.run("INSERT INTO log VALUES (1)") }
        _ = try db.readRecent(counts)
        let truncate = {
            try db.withWriterConnection { conn in
                try conn.execute("PRAGMA busy_timeout = 0")
                defer { try? conn.execute("PRAGMA busy_timeout = 5000") }
                return try conn.queryOne("PRAGMA wal_checkpoint(TRUNCATE)")?.int(0)
            }
        }
        // The kept snapshot holds the WAL: a truncating checkpoint reports busy (1).
        try db.appendOnlyWrite { try $0.run("INSERT INTO log VALUES (2)") }
        #expect(try truncate() == 1)
        try db.write { try $0.run("INSERT INTO data VALUES (1)") }
        #expect(try truncate() == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: scratch.path() + "-wal")[.size] as? Int == 0)
    }

    @Test("under a steady stream of append-only writes and recent reads, the WAL still starts again")
    func walStaysBounded() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try database(scratch, checkpointFrames: 80)
        for i in 0..<600 {
            try db.appendOnlyWrite { try $0.run("INSERT INTO log VALUES (randomblob(3000))") }
            let seen = try db.readRecent(counts)[0]
            #expect(seen <= Int64(i + 1))
        }
        db.checkpointer.settle()
        // 600 commits of a page or more each: held back by a snapshot kept throughout, the WAL would pass 600 frames.
        let wal = try FileManager.default.attributesOfItem(atPath: scratch.path() + "-wal")[.size] as? Int ?? 0
        #expect(wal < 300 * 8_216, "WAL of \(wal) bytes")
        #expect(try db.read(counts) == [600, 0])
    }

    @Test("recent reads, plain reads and both kinds of write from many tasks at once stay consistent")
    func concurrentMix() async throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try database(scratch, lifetime: 0.01)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for _ in 0..<300 { try db.appendOnlyWrite { try $0.run("INSERT INTO log VALUES (1)") } }
            }
            group.addTask {
                // Each data write adds one row to both tables in one transaction: no snapshot may see them apart.
                for _ in 0..<100 {
                    try db.write { try $0.run("INSERT INTO data VALUES (1)"); try $0.run("INSERT INTO log VALUES (0)") }
                }
            }
            for reader in 0..<4 {
                group.addTask {
                    for _ in 0..<300 {
                        let c = reader % 2 == 0 ? try db.readRecent(counts) : try db.read(counts)
                        #expect(c[0] >= c[1])
                    }
                }
            }
            try await group.waitForAll()
        }
        try db.write { try $0.run("INSERT INTO data VALUES (2)") }
        #expect(try db.readRecent(counts) == [400, 101])
    }
}
