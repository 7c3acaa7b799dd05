import CSQLite
import Foundation
import Testing
@testable import CustosStore

/// A stopping server closes its database: what it committed is in the file, the WAL is gone, and nothing
/// can use a closed connection.
@Suite("Database.close")
struct DatabaseCloseTests {
    @Test("closing copies the WAL back, removes it, and leaves every committed row in the file")
    func closeFoldsTheWAL() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path())
        try db.write { try $0.execute("CREATE TABLE t(v BLOB)") }
        for _ in 0..<20 { try db.write { try $0.run("INSERT INTO t VALUES (randomblob(3000))") } }
        // A reader that keeps its snapshot between calls is ended too.
        #expect(try db.readRecent { try $0.queryOne("SELECT count(*) FROM t")?.int(0) } == 20)
        #expect(FileManager.default.fileExists(atPath: scratch.path() + "-wal"))

        try db.close()
        #expect(db.isClosed)
        #expect(!FileManager.default.fileExists(atPath: scratch.path() + "-wal"), "the last connection to close removes the WAL")
        let again = try SQLiteConnection(path: scratch.path(), readOnly: true)
        #expect(try again.queryOne("SELECT count(*) FROM t")?.int(0) == 20)
    }

    @Test("a closed database refuses reads and writes with an error, and closing again does nothing")
    func closedRefuses() throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path(), readers: 2)
        try db.write { try $0.execute("CREATE TABLE t(v)") }
        try db.close()
        try db.close()
        for attempt in [
            { try db.write { _ = try $0.run("INSERT INTO t VALUES (1)") } },
            { try db.read { _ = try $0.queryOne("SELECT 1") } },
            { try db.readRecent { _ = try $0.queryOne("SELECT 1") } },
            { try db.withWriterConnection { _ = try $0.queryOne("SELECT 1") } },
        ] as [() throws -> Void] {
            #expect(throws: SQLiteError.self) { try attempt() }
        }
    }

    @Test("close waits for a read in progress and then closes")
    func closeWaitsForReads() async throws {
        let scratch = try SQLiteScratch()
        defer { scratch.remove() }
        let db = try Database(path: scratch.path(), readers: 1)
        try db.write { try $0.execute("CREATE TABLE t(v); INSERT INTO t VALUES (7)") }
        let reading = Task.detached {
            try db.read { conn -> Int64? in
                Thread.sleep(forTimeInterval: 0.3)
                return try conn.queryOne("SELECT v FROM t")?.int(0)
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        try db.close()
        #expect(try await reading.value == 7)
    }
}
