import CustosStore
import Foundation

/// The baseline: the rows Custos stored (messages, participants, envelopes; the same column values,
/// blobs included) inserted into a fresh database with the same schema and settings, 1,000 messages
/// per transaction, through cached prepared statements and nothing else: no HTTP, JSON, crypto or checks.
/// Rows are read back from the Custos database between transactions, off the clock; `copyNew()` can be
/// called after each part of the upload, so both databases grow in step and a slow stretch hits both.
struct SQLiteBaseline {
    private let source: SQLiteConnection
    private let target: Database
    private let batchSize: Int
    private var after: Int64 = 0
    /// Everything measured so far.
    private(set) var result = BaselineResult()

    /// A fresh database at `path` with the migrations, reading the archive at `sourcePath` (read-only).
    init(sourcePath: String, path: String, migrations: URL, batchSize: Int) throws {
        source = try SQLiteConnection(path: sourcePath, readOnly: true)
        try source.execute("PRAGMA busy_timeout = 5000")
        target = try Database(path: path, readers: 1)
        _ = try Migrator(directory: migrations).migrate(target)
        try Self.copyReferences(from: source, to: target)
        self.batchSize = batchSize
    }

    /// Copies every message of `sourcePath` at once; for callers that do not interleave.
    static func run(sourcePath: String, path: String, migrations: URL, batchSize: Int) throws -> BaselineResult {
        var baseline = try SQLiteBaseline(sourcePath: sourcePath, path: path, migrations: migrations, batchSize: batchSize)
        try baseline.copyNew()
        return baseline.result
    }

    static let messageColumns = """
        uid, platform, conversation, conversation_display, direction, sent_at, captured_at, size, attachment_count,
        media_types, retention_class, epoch, ciphertext_hash, capture_token_id
        """
    static let insertMessage = "INSERT INTO messages (" + messageColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    static let insertParticipant = """
        INSERT INTO message_participants (message_id, part, token, domain_token, display, sent_at) VALUES (?, ?, ?, ?, ?, ?)
        """
    static let insertEnvelope = "INSERT INTO envelopes (message_id, header, ephemeral, nonce, ciphertext) VALUES (?, ?, ?, ?, ?)"

    /// Copies the messages stored since the last call, timing only the inserting transactions.
    mutating func copyNew() throws {
        while true {
            let batch = try source.transaction(immediate: false) { try Batch.load(source, after: after, limit: batchSize) }
            guard let last = batch.lastID else { return }
            let waitBefore = Measure.threadScheduling().waiting
            let (_, seconds) = try Measure.time {
                try target.write { conn in
                    for m in batch.messages {
                        let sourceID = try m.int(0)
                        try conn.run(Self.insertMessage, parameters: Array(m.values.dropFirst()))
                        let id = conn.lastInsertRowID
                        for p in batch.participants[sourceID, default: []] {
                            try conn.run(Self.insertParticipant, parameters: [SQLValue.integer(id)] + p.values.dropFirst())
                        }
                        if let e = batch.envelopes[sourceID] {
                            try conn.run(Self.insertEnvelope, parameters: [SQLValue.integer(id)] + e.values.dropFirst())
                        }
                    }
                }
            }
            result.messages += batch.messages.count
            result.seconds += seconds
            result.latencies.append(seconds)
            result.waitSeconds += Measure.threadScheduling().waiting - waitBefore
            after = last
        }
    }

    /// Copies the rows messages refer to (key epochs, capture tokens) into a fresh database, untimed.
    static func copyReferences(from source: SQLiteConnection, to target: Database) throws {
        let epochs = try source.query("SELECT epoch, threshold, share_count, public_key, commitments, created_at, created_by FROM key_epochs")
        let tokens = try source.query("SELECT id, name, token_hash, created_at, created_by FROM capture_tokens")
        try target.write { conn in
            for row in epochs {
                try conn.run("""
                    INSERT INTO key_epochs (epoch, threshold, share_count, public_key, commitments, created_at, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, parameters: row.values)
            }
            for row in tokens {
                try conn.run("INSERT INTO capture_tokens (id, name, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                             parameters: row.values)
            }
        }
    }

    /// One transaction's worth of rows read from the Custos database.
    struct Batch {
        var messages: [SQLRow]
        var participants: [Int64: [SQLRow]]
        var envelopes: [Int64: SQLRow]
        var lastID: Int64?

        /// The next `limit` messages with ids above `after`, with their participant and envelope rows.
        static func load(_ conn: SQLiteConnection, after: Int64, limit: Int) throws -> Batch {
            let messages = try conn.query("SELECT id, " + messageColumns + " FROM messages WHERE id > ? ORDER BY id LIMIT ?", after, limit)
            guard let first = messages.first, let last = messages.last else {
                return Batch(messages: [], participants: [:], envelopes: [:], lastID: nil)
            }
            let (low, high) = (first.values[0], last.values[0])
            // In the order Custos inserted them: message id, then the order the primary key keeps.
            let participants = try conn.query("""
                SELECT message_id, part, token, domain_token, display, sent_at FROM message_participants
                WHERE message_id BETWEEN ? AND ? ORDER BY message_id
                """, low, high)
            let envelopes = try conn.query("SELECT message_id, header, ephemeral, nonce, ciphertext FROM envelopes WHERE message_id BETWEEN ? AND ?",
                                           low, high)
            return Batch(messages: messages, participants: try Dictionary(grouping: participants) { try $0.int(0) },
                         envelopes: Dictionary(try envelopes.map { (try $0.int(0), $0) }, uniquingKeysWith: { a, _ in a }),
                         lastID: try last.int(0))
        }
    }
}
