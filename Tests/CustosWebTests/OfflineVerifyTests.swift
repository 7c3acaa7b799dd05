import CustosCore
import CustosCrypto
import CustosRuntime
import CustosTestSupport
import CustosStore
import CustosWeb
import Foundation
import Testing

/// Issue 18, point 12: `custos verify` checks an evidence copy that holds no secret key, against the public key
/// alone, and never writes to the data directory it checks (pending migrations are refused, not applied).
// An evidence copy of the data directory holds the SQLite file; PostgreSQL's copy is verified in Tests/e2e.
@Suite(.enabled(if: TestDatabase.isSQLite)) struct OfflineVerifyTests {
    static func digests(_ dir: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: dir) ?? FileManager.DirectoryEnumerator() {
            let full = (dir as NSString).appendingPathComponent(path)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue, !path.hasSuffix("-shm") else { continue }
            out[path] = BLAKE2bDigest.of(try Data(contentsOf: URL(fileURLWithPath: full)))
        }
        return out
    }

    @Test func anEvidenceCopyWithoutSecretKeysVerifiesAndIsLeftAsItWas() async throws {
        let h = try await AuditIntegrityTests.populated(140)
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        let copy = h.dir + "-evidence"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: h.dir, toPath: copy)
        for key in ["metadata.key", "blind-index.key", "audit-signing.key"] { try FileManager.default.removeItem(atPath: copy + "/keys/" + key) }
        let before = try Self.digests(copy)
        let (audit, archive) = try CustosSystem.verifyOffline(dataDirectory: copy, resources: Resources(root: Harness.repoRoot))
        #expect(audit.ok && archive?.ok == true && audit.entries >= 140, "\(audit.failure ?? archive?.failure ?? "")")
        #expect(try Self.digests(copy) == before, "verification changed a file")
        // Tampering in the copy is still named, without the secret key.
        try AuditIntegrityTests.tamper(h, "UPDATE audit_events SET target = 'x' WHERE seq = 70")
        let (tampered, _) = try CustosSystem.verifyOffline(dataDirectory: h.dir, resources: Resources(root: Harness.repoRoot))
        #expect(!tampered.ok && tampered.failedSeq == 70)
    }

    @Test func aDatabaseBehindItsMigrationsIsRefusedNotMigrated() async throws {
        let h = try await Harness.make()
        defer { try? FileManager.default.removeItem(atPath: h.dir) }
        // Resources whose Migrations hold one file more than the database has applied.
        let root = NSTemporaryDirectory() + "custos-resources-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Harness.repoRoot.appendingPathComponent("Migrations").path, toPath: root + "/Migrations")
        for folder in ["Templates", "Public"] {
            try FileManager.default.createSymbolicLink(atPath: root + "/" + folder, withDestinationPath: Harness.repoRoot.appendingPathComponent(folder).path)
        }
        let count = try FileManager.default.contentsOfDirectory(atPath: root + "/Migrations").filter { $0.hasSuffix(".sql") }.count
        try "CREATE TABLE written_by_verify (x);".write(toFile: root + "/Migrations/\(String(format: "%04d", count + 1))_extra.sql", atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try CustosSystem.verifyOffline(dataDirectory: h.dir, resources: Resources(root: URL(fileURLWithPath: root))) }
        let table = try h.system.withRawDatabase { try $0.queryOne("SELECT 1 FROM sqlite_master WHERE name = 'written_by_verify'") }
        #expect(table == nil, "verify applied a migration")
    }
}

/// BLAKE2b-256 of file contents, for comparing files before and after.
enum BLAKE2bDigest {
    static func of(_ data: Data) -> [UInt8] { BLAKE2b.hash([UInt8](data)) }
}
