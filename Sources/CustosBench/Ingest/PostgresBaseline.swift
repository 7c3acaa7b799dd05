import CustosPostgres
import CustosRuntime
import Foundation
import PostgresNIO

/// The baseline on PostgreSQL: the rows Custos stored (messages with their seals, participants, envelopes; the
/// same column values, ids included) loaded with `COPY … FROM STDIN` into a second database of the same cluster
/// with the same migrated schema, as the same application role, one transaction of three COPYs per 1,000 messages:
/// the fastest way PostgreSQL takes rows, with no HTTP, JSON, crypto or checks. The schema's triggers fire as they
/// do for Custos (write-once guards, the counts kept at ingest), which is fair: they are part of storing a message.
///
/// Rows are read back from the archive and written out in COPY's text format by the archive's server, between
/// transactions, off the clock, as a file prepared for `psql \copy` would be; only BEGIN … COPY … COMMIT is timed.
final class PostgresBaseline {
    /// The baseline database's name in the cluster.
    static let databaseName = "custos_baseline"

    private let cluster: BenchPostgres
    private let source: PostgresConnection
    private let target: PostgresConnection
    private let batchSize: Int
    private var after: Int64 = 0
    /// Everything measured so far.
    private(set) var result = BaselineResult()

    private init(cluster: BenchPostgres, source: PostgresConnection, target: PostgresConnection, batchSize: Int) {
        self.cluster = cluster
        self.source = source
        self.target = target
        self.batchSize = batchSize
    }

    /// A fresh, migrated baseline database in `cluster` beside the archive, with the archive's key epochs and
    /// capture tokens (the rows messages refer to) copied in, untimed.
    static func make(cluster: BenchPostgres, resources: Resources, batchSize: Int) async throws -> PostgresBaseline {
        let logger = cluster.logger
        let targetEndpoint = try await cluster.makeDatabase(databaseName, resources: resources)
        let source = try await PostgresConnection.connect(
            configuration: cluster.endpoint(BenchDatabase.archiveName, role: BenchPostgres.applicationRole).configuration, id: 1, logger: logger)
        let target: PostgresConnection
        do {
            target = try await PostgresConnection.connect(configuration: targetEndpoint.configuration, id: 2, logger: logger)
        } catch {
            try? await source.close()
            throw error
        }
        let baseline = PostgresBaseline(cluster: cluster, source: source, target: target, batchSize: batchSize)
        do {
            try await baseline.copyReferences()
        } catch {
            await baseline.close()
            throw BenchError("setting up the COPY baseline: \(serverReason(error))")
        }
        return baseline
    }

    /// Closes both connections.
    func close() async {
        try? await source.close()
        try? await target.close()
    }

    /// Copies the messages stored since the last call, timing only the loading transactions.
    func copyNew() async throws {
        let logger = cluster.logger
        while true {
            let batch = try await Batch.load(source, after: after, limit: batchSize, logger: logger)
            guard let last = batch.lastID else { return }
            let before = cluster.usage()
            let started = Measure.now()
            do {
                try await target.query("BEGIN", logger: logger)
                try await copy(batch.messages, into: "messages", columns: ["id"] + Self.messageColumns)
                try await copy(batch.participants, into: "message_participants", columns: Self.participantColumns)
                try await copy(batch.envelopes, into: "envelopes", columns: Self.envelopeColumns)
                try await target.query("COMMIT", logger: logger)
            } catch {
                throw BenchError("the COPY baseline failed: \(serverReason(error))")
            }
            let seconds = Measure.now() - started
            let after = cluster.usage()
            result.messages += batch.count
            result.seconds += seconds
            result.latencies.append(seconds)
            result.serverCPUSeconds += after.cpu - before.cpu
            result.waitSeconds += after.waiting - before.waiting
            self.after = last
        }
    }

    private func copy(_ lines: ByteBuffer, into table: String, columns: [String]) async throws {
        try await target.copyFrom(table: table, columns: columns, logger: cluster.logger) { writer in
            try await writer.write(lines)
        }
    }

    static let messageColumns = ["uid", "platform", "conversation", "conversation_display", "direction", "sent_at", "captured_at", "size",
                                 "attachment_count", "media_types", "retention_class", "epoch", "ciphertext_hash", "capture_token_id", "seal"]
    static let participantColumns = ["message_id", "part", "token", "domain_token", "display", "sent_at"]
    static let envelopeColumns = ["message_id", "header", "ephemeral", "nonce", "ciphertext"]

    /// The rows messages refer to, as they are in the archive; the epoch's ceremony and its predecessor are left
    /// out (their tables are not copied), as in the SQLite baseline.
    private func copyReferences() async throws {
        let logger = cluster.logger
        let epochs = try await source.query("""
            SELECT epoch, threshold, share_count, public_key, commitments, created_at, created_by FROM key_epochs ORDER BY epoch
            """, logger: logger)
        for try await (epoch, threshold, shares, key, commitments, at, by) in epochs.decode((Int64, Int64, Int64, ByteBuffer, ByteBuffer, Int64, String).self) {
            try await target.query("""
                INSERT INTO key_epochs (epoch, threshold, share_count, public_key, commitments, created_at, created_by)
                VALUES (\(epoch), \(threshold), \(shares), \(key), \(commitments), \(at), \(by))
                """, logger: logger)
        }
        let tokens = try await source.query("SELECT id, name, token_hash, created_at, created_by FROM capture_tokens ORDER BY id", logger: logger)
        for try await (id, name, hash, at, by) in tokens.decode((Int64, String, ByteBuffer, Int64, String).self) {
            try await target.query("""
                INSERT INTO capture_tokens (id, name, token_hash, created_at, created_by) VALUES (\(id), \(name), \(hash), \(at), \(by))
                """, logger: logger)
        }
    }

    /// One transaction's worth of rows, each table's already in COPY's text format (tab-separated, `\N` for NULL,
    /// bytea as `\\x` and hex, backslashes and control characters in text escaped).
    struct Batch {
        var messages = ByteBuffer()
        var participants = ByteBuffer()
        var envelopes = ByteBuffer()
        var count = 0
        var lastID: Int64?

        static func load(_ source: PostgresConnection, after: Int64, limit: Int, logger: Logger) async throws -> Batch {
            var batch = Batch()
            var first: Int64?
            let messages = try await source.query(PostgresQuery(unsafeSQL: "SELECT id, " + line(["id"] + PostgresBaseline.messageColumns,
                                                                                                 of: "messages")
                                                                + " FROM messages WHERE id > $1 ORDER BY id LIMIT $2",
                                                                binds: binds(after, Int64(limit))), logger: logger)
            for try await (id, text) in messages.decode((Int64, String).self) {
                first = first ?? id
                batch.lastID = id
                batch.count += 1
                batch.messages.writeString(text)
                batch.messages.writeInteger(UInt8(ascii: "\n"))
            }
            guard let first, let last = batch.lastID else { return batch }
            // In the order Custos inserted them: message id, then the primary key's order.
            for (table, columns, order) in [("message_participants", PostgresBaseline.participantColumns, "message_id, token, part"),
                                            ("envelopes", PostgresBaseline.envelopeColumns, "message_id")] {
                let rows = try await source.query(PostgresQuery(unsafeSQL: "SELECT " + line(columns, of: table) + " FROM " + table
                                                                + " WHERE message_id BETWEEN $1 AND $2 ORDER BY " + order,
                                                                binds: binds(first, last)), logger: logger)
                for try await text in rows.decode(String.self) {
                    if table == "envelopes" {
                        batch.envelopes.writeString(text)
                        batch.envelopes.writeInteger(UInt8(ascii: "\n"))
                    } else {
                        batch.participants.writeString(text)
                        batch.participants.writeInteger(UInt8(ascii: "\n"))
                    }
                }
            }
            return batch
        }

        private static func binds(_ a: Int64, _ b: Int64) -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(a)
            bindings.append(b)
            return bindings
        }

        /// The expression that writes one row of `columns` of `table` as a line of COPY's text format.
        private static func line(_ columns: [String], of table: String) -> String {
            let types = columnTypes[table] ?? [:]
            let fields = columns.map { c -> String in
                switch types[c] ?? .integer {
                case .integer: return "CAST(\(c) AS TEXT)"
                case .text: return #"replace(replace(replace(replace(\#(c), '\', '\\'), E'\t', '\t'), E'\n', '\n'), E'\r', '\r')"#
                case .bytes: return #"'\\x' || encode(\#(c), 'hex')"#
                }
            }.map { "coalesce(" + $0 + #", '\N')"# }
            return "concat_ws(E'\\t', " + fields.joined(separator: ", ") + ")"
        }

        private enum Kind { case integer, text, bytes }

        /// The columns that are not BIGINT (MigrationsPostgres/0002_archive.sql).
        private static let columnTypes: [String: [String: Kind]] = [
            "messages": ["uid": .text, "platform": .text, "conversation": .bytes, "conversation_display": .bytes, "direction": .text,
                         "media_types": .text, "retention_class": .text, "ciphertext_hash": .bytes, "seal": .bytes],
            "message_participants": ["part": .text, "token": .bytes, "domain_token": .bytes, "display": .bytes],
            "envelopes": ["header": .bytes, "ephemeral": .bytes, "nonce": .bytes, "ciphertext": .bytes],
        ]
    }
}
