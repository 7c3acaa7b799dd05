import CustosCore
import Foundation
import Synchronization
import Testing

/// The signed head file: a lone caller finds its head on disk when `advance` returns, concurrent callers leave the
/// file at the newest head once the writes settle, and a head never moves backwards.
@Suite struct AuditHeadAnchorTests {
    private func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "custos-head-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private func head(_ seq: Int64) -> AuditCheckpoint {
        AuditCheckpoint(seq: seq, at: 1_700_000_000 + seq, hash: [UInt8](repeating: UInt8(seq % 251), count: 32),
                        signature: [UInt8](repeating: 1, count: 64))
    }

    @Test func aLoneCallerWritesBeforeReturningAndNeverGoesBack() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + AuditHeadFile.fileName
        let anchor = AuditHeadAnchor(path: path)
        anchor.advance(to: head(5))
        #expect(try AuditHeadFile.read(from: path) == head(5))
        anchor.advance(to: head(9))
        anchor.advance(to: head(7))
        #expect(try AuditHeadFile.read(from: path) == head(9))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [AuditHeadFile.fileName])
    }

    @Test func concurrentCallersLeaveTheNewestHead() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + AuditHeadFile.fileName
        let anchor = AuditHeadAnchor(path: path)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in 0..<50 { anchor.advance(to: head(Int64(i * 8 + t + 1))) }
                }
            }
        }
        // The last heads may still be with the background writer.
        var found: AuditCheckpoint?
        for _ in 0..<200 {
            found = try AuditHeadFile.read(from: path)
            if found?.seq == 400 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(found == head(400))
    }

    @Test func inBackgroundModeHeadsAreSignedOffTheCallerAndFlushWaitsForTheNewest() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + AuditHeadFile.fileName
        let anchor = AuditHeadAnchor(path: path, mode: .background)
        // `advance` returns while the head cannot be signed yet: signing and writing happen elsewhere.
        let gate = DispatchSemaphore(value: 0)
        anchor.advance(seq: 1) {
            _ = gate.wait(timeout: .now() + 5)
            return head(1)
        }
        #expect(try AuditHeadFile.read(from: path) == nil)
        gate.signal()
        anchor.flush()
        #expect(try AuditHeadFile.read(from: path) == head(1))

        let signed = Signed()
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask {
                    for i in 0..<100 {
                        let seq = Int64(i * 4 + t + 2)
                        anchor.advance(seq: seq) {
                            signed.list.withLock { $0.append(seq) }
                            return head(seq)
                        }
                    }
                }
            }
        }
        anchor.flush()
        #expect(try AuditHeadFile.read(from: path) == head(401))
        let order = signed.list.withLock { $0 }
        // Signed in increasing order only, never the same head twice, and the newest last.
        #expect(order == order.sorted() && Set(order).count == order.count && order.last == 401)
        // An older head noted after a newer one is ignored, in the background too.
        anchor.advance(seq: 17) { head(17) }
        anchor.flush()
        #expect(try AuditHeadFile.read(from: path) == head(401))
    }

    @Test func theBackgroundWriterWritesAtMostOncePerInterval() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + AuditHeadFile.fileName
        let anchor = AuditHeadAnchor(path: path, mode: .background, interval: .milliseconds(100))
        let signed = Signed()
        let started = ContinuousClock.now
        // 60 commits 5 ms apart (300 ms): at one write per 100 ms, at most 4 or 5 of them are signed and written.
        for seq in Int64(1)...60 {
            anchor.advance(seq: seq) {
                signed.list.withLock { $0.append(seq) }
                return head(seq)
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        anchor.flush()
        let elapsed = ContinuousClock.now - started
        let order = signed.list.withLock { $0 }
        let allowed = Int(elapsed / .milliseconds(100)) + 2
        #expect(order.count <= allowed, "\(order.count) writes in \(elapsed), at most \(allowed) expected")
        #expect(order.first == 1 && order.last == 60)
        #expect(try AuditHeadFile.read(from: path) == head(60))
    }
}

/// The heads an anchor signed, in the order it signed them.
private final class Signed: Sendable {
    let list = Mutex<[Int64]>([])
}
