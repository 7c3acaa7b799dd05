import CustosCore
import CustosStore
import Foundation
import Testing

/// The archive schema as the migrations in Migrations/ build it: the participant index that serves searches by
/// any part serves searches by one part too, and the retention classes in use are listed without a scan.
@Suite struct SearchSchemaTests {
    static let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Migrations")

    /// A migrated archive in a scratch directory with one key epoch and one capture token, and `messages` stored.
    private func archive(_ messages: [MessageRecord]) throws -> (SQLiteArchiveStore, String) {
        let dir = NSTemporaryDirectory() + "custos-schema-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try SQLiteArchiveStore(path: dir + "/custos.sqlite", migrations: Self.migrations)
        try store.database.write { conn in
            try conn.run("INSERT INTO key_epochs (epoch, threshold, share_count, public_key, commitments, created_at, created_by) "
                         + "VALUES (1, 2, 3, x'00', x'00', 0, 'test')")
            try conn.run("INSERT INTO capture_tokens (id, name, token_hash, created_at, created_by) VALUES (1, 't', x'01', 0, 'test')")
            try conn.run("INSERT INTO retention_policies (name, period_days, created_at, updated_at) VALUES ('sec-17a4', 1096, 0, 0)")
        }
        _ = try store.write { uow in try messages.map { try uow.messages.insert($0) } }
        return (store, dir)
    }

    private func message(_ n: Int, retention: String, parts: [(String, UInt8)]) -> MessageRecord {
        MessageRecord(uid: "test:\(n)", platform: "email", conversationToken: [UInt8](repeating: 7, count: 32), conversationDisplay: [1],
                      direction: "inbound", sentAt: Int64(1_700_000_000 + n), capturedAt: 1_700_000_000, size: 1, attachmentCount: 0,
                      mediaTypes: "", retentionClass: retention, epoch: 1, ciphertextHash: [UInt8](repeating: 0, count: 32), captureTokenID: 1,
                      participants: parts.map { ParticipantRecord(part: $0.0, token: [UInt8](repeating: $0.1, count: 32), domainToken: nil, display: [2]) },
                      header: [3], ephemeral: [UInt8](repeating: 4, count: 32), nonce: [UInt8](repeating: 5, count: 24), ciphertext: [6])
    }

    @Test func retentionClassesInUseAreListed() throws {
        let (store, dir) = try archive([message(1, retention: "sec-17a4", parts: [("from", 1)]),
                                        message(2, retention: "default", parts: [("from", 1)]),
                                        message(3, retention: "sec-17a4", parts: [("to", 2)])])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try store.read { try $0.search.retentionClasses() } == ["default", "sec-17a4"])
        // A message must name a class that has a retention policy.
        #expect(throws: (any Error).self) { _ = try store.write { uow in try uow.messages.insert(message(4, retention: "nowhere", parts: [])) } }
    }

    @Test func aPagesPeopleComeByPartThenTokenInTheOrderAsked() throws {
        // Tokens chosen so that token order and part order disagree; each display value names its token.
        func labelled(_ n: Int, _ parts: [(String, UInt8)]) -> MessageRecord {
            var m = message(n, retention: "default", parts: parts)
            m.participants = parts.map { ParticipantRecord(part: $0.0, token: [UInt8](repeating: $0.1, count: 32), domainToken: nil, display: [$0.1]) }
            return m
        }
        let (store, dir) = try archive([labelled(1, [("member", 1), ("bcc", 2), ("to", 6), ("cc", 4), ("from", 5), ("to", 3)]),
                                        labelled(2, [("to", 1), ("from", 2)])])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = try store.read { uow in try uow.search.search(SearchCriteria(), limit: 5).map(\.id) }
        let people = try store.read { try $0.search.participants(of: [ids[1], ids[0], ids[1]]) }
        let first: [(String, UInt8)] = [("from", 5), ("to", 3), ("to", 6), ("cc", 4), ("bcc", 2), ("member", 1)]
        let expected = first + [("from", 2), ("to", 1)] + first
        #expect(people.map { "\($0.part) \($0.display)" } == expected.map { "\($0.0) \([$0.1])" })
        #expect(people.map(\.messageID) == Array(repeating: ids[1], count: 6) + [ids[0], ids[0]] + Array(repeating: ids[1], count: 6))
    }

    @Test func searchesByPartUseTheCoveringTokenIndexInTimeOrder() throws {
        let person: UInt8 = 9
        let stored = (0..<40).map { n in message(n, retention: "default", parts: [(n % 3 == 0 ? "from" : "cc", person), ("to", 1)]) }
        let (store, dir) = try archive(stored)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var criteria = SearchCriteria()
        criteria.participantToken = [UInt8](repeating: person, count: 32)
        criteria.part = "from"
        let first = try store.read { try $0.search.search(criteria, limit: 5) }
        #expect(first.map(\.sentAt) == [39, 36, 33, 30, 27].map { Int64(1_700_000_000 + $0) })
        criteria.cursor = SearchCursor(sentAt: first[4].sentAt, id: first[4].id)
        let next = try store.read { try $0.search.search(criteria, limit: 5) }
        #expect(next.map(\.sentAt) == [24, 21, 18, 15, 12].map { Int64(1_700_000_000 + $0) })
        #expect(try store.read { try $0.search.count(criteria) } == 14)
        let indexes = try store.database.read { conn in
            try conn.query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'message_participants' ORDER BY name").map { try $0.text(0) }
        }
        #expect(indexes.contains("message_participants_token") && !indexes.contains("message_participants_token_part"))
        let plan = try store.database.read { conn in
            try conn.query("EXPLAIN QUERY PLAN SELECT DISTINCT d.sent_at, d.message_id FROM message_participants d "
                           + "WHERE d.token = ? AND d.part = ? ORDER BY d.sent_at DESC, d.message_id DESC LIMIT 5",
                           criteria.participantToken ?? [], "from").map { try $0.text(3) }
        }
        #expect(plan.contains { $0.contains("COVERING INDEX message_participants_token") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
    }
}
