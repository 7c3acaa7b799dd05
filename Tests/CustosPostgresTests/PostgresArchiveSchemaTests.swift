import CSQLite
import CustosPostgres
import CustosTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// The repository's SQLite migrations (Migrations/), next to MigrationsPostgres/.
private let sqliteMigrations = repositoryMigrations.deletingLastPathComponent().appendingPathComponent("Migrations")

private let app = TestPostgresServer.applicationRole
private let owner = TestPostgresServer.ownerRole

/// Three people, an epoch, a capture token and two messages (participants and envelopes too), sent and captured at
/// time 0 in the 'default' class, so that by 2_000_000_000 both are past retention and the archive minimum.
/// Message 1 is on 'slack' from token aa; message 2 on 'mail' from token bb. Both roles may insert all of it.
private let fixture = [
    #"""
    INSERT INTO users (id, username, display_name, password_hash, created_at, password_changed_at)
    VALUES (1, 'ada', 'Ada', 'h', 1, 1), (2, 'cas', 'Cas', 'h', 1, 1), (3, 'cy', 'Cy', 'h', 1, 1)
    """#,
    #"""
    INSERT INTO key_epochs (epoch, threshold, share_count, public_key, commitments, created_at, created_by)
    VALUES (1, 2, 3, '\x01', '\x02', 1, 'ada')
    """#,
    #"INSERT INTO capture_tokens (id, name, token_hash, created_at, created_by) VALUES (1, 'mailroom', '\x03', 1, 'ada')"#,
    #"""
    INSERT INTO messages (id, uid, platform, conversation, conversation_display, direction, sent_at, captured_at, size,
                          attachment_count, media_types, retention_class, epoch, ciphertext_hash, capture_token_id)
    VALUES (1, 'm1', 'slack', '\x0c01', '\x0d', 'in', 0, 0, 10, 0, 'text/plain', 'default', 1, '\x04', 1),
           (2, 'm2', 'mail', '\x0c02', '\x0d', 'in', 0, 0, 10, 0, 'text/plain', 'default', 1, '\x05', 1)
    """#,
    #"""
    INSERT INTO message_participants (message_id, part, token, domain_token, display, sent_at)
    VALUES (1, 'from', '\xaa', '\xdd', '\x0e', 0), (2, 'from', '\xbb', '\xdd', '\x0e', 0)
    """#,
    #"""
    INSERT INTO envelopes (message_id, header, ephemeral, nonce, ciphertext)
    VALUES (1, '\x10', '\x11', '\x12', '\x13'), (2, '\x20', '\x21', '\x22', '\x23')
    """#,
    "INSERT INTO disposition_runs (id, started_at, dry_run, actor) VALUES (1, 2000000000, FALSE, 'ada')",
]

/// A fresh, migrated archive holding `fixture`, signed in as `role`.
private func withArchive(
    as role: String, _ body: (Statements) async throws -> Void
) async throws {
    let (server, database, _) = try await migratedDatabase()
    try await server.endpoint(database: database, role: role).withConnection(logger: server.logger) { connection in
        let db = Statements(connection: connection, role: role, logger: server.logger)
        for sql in fixture { await db.accepted(sql) }
        try await body(db)
    }
}

/// Runs statements as one role and records what the database says.
private struct Statements: Sendable {
    let connection: PostgresConnection
    let role: String
    let logger: Logger

    /// Expects `sql` to succeed.
    func accepted(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let reason = await refusal(sql, on: connection, logger: logger)
        #expect(reason == nil, "\(role): \(sql): \(reason ?? "")", sourceLocation: sourceLocation)
    }

    /// Expects `sql` to be refused with `message`; when `appLacksPrivilege`, the application role is refused by its
    /// privileges instead, before any trigger.
    func refused(_ sql: String, _ message: String, appLacksPrivilege: Bool = false,
                 sourceLocation: SourceLocation = #_sourceLocation) async {
        let reason = await refusal(sql, on: connection, logger: logger)
        let expected = appLacksPrivilege && role == app ? "permission denied" : message
        #expect(reason?.contains(expected) == true, "\(role): \(sql): expected \(expected), got \(reason ?? "accepted")",
                sourceLocation: sourceLocation)
    }

    /// The first column of the first row, as text (nil when there is no row or it is NULL, or the query fails,
    /// which is recorded as an issue).
    func value(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) async -> String? {
        do {
            var found: String?? = nil
            for try await text in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String?.self)
            where found == nil {
                found = .some(text)
            }
            return found ?? nil
        } catch {
            Issue.record("\(role): \(sql): \(serverReason(error))", sourceLocation: sourceLocation)
            return nil
        }
    }
}

/// The raw-SQL refusals of the archive tables, each checked as the application role and as the owner.
@Suite("PostgreSQL archive schema", .enabled(if: !TestPostgresServer.skipped, "CUSTOS_SKIP_POSTGRES=1"))
struct PostgresArchiveSchemaTests {
    @Test("a stored message, its participants and its envelope cannot be altered, and only disposition removes the envelope",
          arguments: [app, owner])
    func messagesAreWriteOnce(role: String) async throws {
        try await withArchive(as: role) { db in
            let writeOnce = "archived messages are write-once"
            let onlyDisposition = "archived messages are write-once: only disposition removes an envelope"
            for sql in [
                "UPDATE messages SET sent_at = 99 WHERE id = 1",
                #"UPDATE messages SET seal = decode(repeat('00', 128), 'hex') WHERE id = 1"#,
                "UPDATE messages SET retention_class = 'default' WHERE id = 1",
                "DELETE FROM messages WHERE id = 1",
                "TRUNCATE messages CASCADE",
                #"UPDATE message_participants SET token = '\xcc' WHERE message_id = 1"#,
                "DELETE FROM message_participants WHERE message_id = 1",
                "TRUNCATE message_participants",
                #"UPDATE envelopes SET ephemeral = '\x99' WHERE message_id = 1"#,
            ] {
                await db.refused(sql, writeOnce, appLacksPrivilege: true)
            }
            // The application may delete envelopes (disposition does), so it meets the trigger too.
            await db.refused("DELETE FROM envelopes WHERE message_id = 1", onlyDisposition)
            await db.refused("TRUNCATE envelopes", onlyDisposition, appLacksPrivilege: true)
            #expect(await db.value("SELECT count(*)::text FROM envelopes") == "2")
            #expect(await db.value("SELECT sent_at::text FROM messages WHERE id = 1") == "0")

            // Disposition: once the disposal is recorded, the envelope goes; the index row and the disposal stay.
            await db.accepted("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (1, 1, 2000000000)")
            await db.accepted("DELETE FROM envelopes WHERE message_id = 1")
            #expect(await db.value("SELECT string_agg(message_id::text, ',') FROM envelopes") == "2")
            #expect(await db.value("SELECT uid FROM messages WHERE id = 1") == "m1")
            await db.refused("UPDATE disposals SET disposed_at = 0", "disposals are kept", appLacksPrivilege: true)
            await db.refused("DELETE FROM disposals", "disposals are kept", appLacksPrivilege: true)
            await db.refused("TRUNCATE disposals", "disposals are kept", appLacksPrivilege: true)
            await db.refused("DELETE FROM messages WHERE id = 1", writeOnce, appLacksPrivilege: true)
        }
    }

    @Test("a message an active hold covers cannot be disposed of, nor its envelope deleted, until the hold is released",
          arguments: [app, owner])
    func heldMessagesAreKept(role: String) async throws {
        try await withArchive(as: role) { db in
            let held = "message is under legal hold"
            // Message 1's disposal is recorded before any hold; its envelope is still there when the hold arrives.
            await db.accepted("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (1, 1, 2000000000)")
            await db.accepted(#"INSERT INTO matters (id, name, description, created_at, created_by, updated_at) VALUES (1, '\x01', '\x02', 5, 1, 5)"#)
            // Hold 1 covers whatever participant aa took part in (message 1); hold 2 the platform 'mail' (message 2),
            // its value being the platform name's UTF-8 bytes.
            await db.accepted("""
                INSERT INTO legal_holds (id, matter_id, term_count, placed_at, placed_by)
                VALUES (1, 1, 1, 5, 1), (2, 1, 1, 5, 1)
                """)
            await db.accepted(#"INSERT INTO hold_terms (hold_id, kind, value, display) VALUES (1, 'participant', '\xaa', '\x0f')"#)
            await db.accepted("INSERT INTO hold_terms (hold_id, kind, value) VALUES (2, 'platform', convert_to('mail', 'UTF8'))")
            #expect(await db.value("SELECT string_agg(hold_id || ':' || message_id || ':' || active, ',' ORDER BY hold_id) FROM hold_coverage")
                == "1:1:true,2:2:true")

            await db.refused("DELETE FROM envelopes WHERE message_id = 1", held)
            await db.refused("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (2, 1, 2000000000)", held)
            await db.refused("TRUNCATE envelopes", "only disposition removes an envelope", appLacksPrivilege: true)

            // The hold itself: its scope is fixed, it is kept, and its matter cannot close while it is active.
            let scopeFixed = "a legal hold's scope is fixed"
            await db.refused("UPDATE legal_holds SET sent_after = 100 WHERE id = 1", "a legal hold's scope is fixed; it can only be released, once")
            await db.refused(#"INSERT INTO hold_terms (hold_id, kind, value) VALUES (1, 'participant', '\xab')"#, scopeFixed)
            await db.refused("DELETE FROM hold_terms WHERE hold_id = 1", scopeFixed, appLacksPrivilege: true)
            await db.refused(#"UPDATE hold_terms SET value = '\xab' WHERE hold_id = 1"#, scopeFixed, appLacksPrivilege: true)
            await db.refused("TRUNCATE hold_terms", scopeFixed, appLacksPrivilege: true)
            await db.refused("DELETE FROM legal_holds WHERE id = 1", "legal holds are kept", appLacksPrivilege: true)
            await db.refused("TRUNCATE legal_holds CASCADE", "legal holds are kept", appLacksPrivilege: true)
            await db.refused("UPDATE matters SET status = 'closed' WHERE id = 1", "a matter with active legal holds cannot be closed")
            await db.refused("DELETE FROM matters WHERE id = 1", "matters are kept", appLacksPrivilege: true)
            #expect(await db.value("SELECT count(*)::text FROM envelopes") == "2")

            // Released (once), the holds no longer keep anything.
            for hold in [1, 2] {
                await db.accepted(#"UPDATE legal_holds SET released_at = 6, released_by = 1, release_reason = '\x03' WHERE id = \#(hold)"#)
            }
            await db.refused(#"UPDATE legal_holds SET released_at = 7, released_by = 1, release_reason = '\x03' WHERE id = 1"#,
                             "it can only be released, once")
            await db.accepted("DELETE FROM envelopes WHERE message_id = 1")
            await db.accepted("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (2, 1, 2000000000)")
            await db.accepted("DELETE FROM envelopes WHERE message_id = 2")
            await db.accepted("UPDATE matters SET status = 'closed' WHERE id = 1")
        }
    }

    @Test("retention only lengthens: no shorter period for a class in use, none below the minimum, which only rises",
          arguments: [app, owner])
    func retentionOnlyLengthens(role: String) async throws {
        try await withArchive(as: role) { db in
            // 'default' holds the fixture's messages.
            await db.refused("UPDATE retention_policies SET period_days = 2000 WHERE name = 'default'",
                             "a retention period cannot be shortened once messages exist in its class")
            await db.accepted("UPDATE retention_policies SET period_days = 3000, updated_at = 9 WHERE name = 'default'")
            #expect(await db.value("SELECT period_days::text FROM retention_policies WHERE name = 'default'") == "3000")

            // An unused class may be shortened, but never below the archive minimum (366 days unless set).
            let belowMinimum = "a retention period cannot be shorter than the archive minimum"
            await db.refused("INSERT INTO retention_policies (name, period_days, created_at, updated_at) VALUES ('brief', 30, 1, 1)", belowMinimum)
            await db.accepted("INSERT INTO retention_policies (name, period_days, created_at, updated_at) VALUES ('short', 500, 1, 1)")
            await db.accepted("UPDATE retention_policies SET period_days = 400 WHERE name = 'short'")
            await db.refused("UPDATE retention_policies SET period_days = 365 WHERE name = 'short'", belowMinimum)

            // The minimum is set by an upsert, may rise and never falls, and is kept.
            func upsert(_ days: Int) -> String {
                """
                INSERT INTO archive_settings (name, value, set_at) VALUES ('minimum_retention_days', \(days), 1)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, set_at = excluded.set_at
                """
            }
            await db.accepted(upsert(380))
            await db.accepted(upsert(390))
            await db.refused(upsert(300), "the minimum retention period is never lowered")
            await db.refused("UPDATE archive_settings SET name = 'other'", "the minimum retention period is never lowered")
            await db.refused("DELETE FROM archive_settings", "archive settings are kept", appLacksPrivilege: true)
            await db.refused("TRUNCATE archive_settings", "archive settings are kept", appLacksPrivilege: true)
            await db.refused("UPDATE retention_policies SET period_days = 385 WHERE name = 'short'", belowMinimum)

            // Classes are not renamed, and one in use (or 'default') is not deleted; nor is its record of use.
            await db.refused("UPDATE retention_policies SET name = 'renamed' WHERE name = 'short'", "a retention class cannot be renamed")
            let kept = "a retention class with messages (or the default class) cannot be deleted"
            await db.refused("DELETE FROM retention_policies WHERE name = 'default'", kept, appLacksPrivilege: true)
            await db.refused("TRUNCATE retention_policies CASCADE", kept, appLacksPrivilege: true)
            await db.refused("DELETE FROM retention_classes", "retention classes in use are kept", appLacksPrivilege: true)
            await db.refused(#"""
                INSERT INTO messages (id, uid, platform, conversation, conversation_display, direction, sent_at, captured_at,
                                      size, attachment_count, media_types, retention_class, epoch, ciphertext_hash, capture_token_id)
                VALUES (3, 'm3', 'slack', '\x0c01', '\x0d', 'in', 0, 0, 10, 0, 'text/plain', 'nonesuch', 1, '\x06', 1)
                """#, "unknown retention class")

            // A disposal before the period ends, or before the minimum has passed since capture, is refused.
            let tooSoon = "message is still within its retention period, or within the archive minimum since its capture"
            await db.refused("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (1, 1, 3000 * 86400 - 1)", tooSoon)
            await db.accepted(#"""
                INSERT INTO messages (id, uid, platform, conversation, conversation_display, direction, sent_at, captured_at,
                                      size, attachment_count, media_types, retention_class, epoch, ciphertext_hash, capture_token_id)
                VALUES (3, 'm3', 'slack', '\x0c01', '\x0d', 'in', 0, 1990000000, 10, 0, 'text/plain', 'default', 1, '\x06', 1)
                """#)
            await db.refused("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (3, 1, 2000000000)", tooSoon)
            await db.accepted("INSERT INTO disposals (message_id, run_id, disposed_at) VALUES (1, 1, 3000 * 86400)")
        }
    }

    @Test("decisions, scopes, ceremonies, epochs, devices and notices keep the rules SQLite's triggers give them",
          arguments: [app, owner])
    func otherRecordsKeepTheirRules(role: String) async throws {
        try await withArchive(as: role) { db in
            // A request by ada over message 1; cas decides on it.
            await db.accepted(#"""
                INSERT INTO decryption_requests (id, requester_id, filed_role, justification, reference, hours, threshold,
                                                 message_count, status, created_at, approve_by)
                VALUES (1, 1, 'legal', '\x01', '\x02', 4, 2, 1, 'pending', 10, 100)
                """#)
            await db.accepted("INSERT INTO request_messages (request_id, message_id) VALUES (1, 1)")
            await db.refused("INSERT INTO request_decisions (request_id, custodian_id, decision, decided_at) VALUES (1, 1, 'approved', 11)",
                             "the requester cannot decide on its own request")
            await db.refused(#"INSERT INTO grant_keys (request_id, message_id, sealed) VALUES (1, 1, '\x05')"#,
                             "message keys belong to live grants only")
            await db.accepted("INSERT INTO request_decisions (request_id, custodian_id, decision, decided_at) VALUES (1, 2, 'approved', 11)")
            await db.accepted(#"INSERT INTO request_partials (request_id, message_id, share_index, sealed) VALUES (1, 1, 1, '\x04')"#)
            await db.refused("INSERT INTO request_messages (request_id, message_id) VALUES (1, 2)",
                             "a request's scope is fixed once custodians decide on it")
            await db.refused("UPDATE request_decisions SET decision = 'rejected'", "a decision is final", appLacksPrivilege: true)
            await db.refused("DELETE FROM request_decisions", "a decision is final", appLacksPrivilege: true)
            await db.refused("DELETE FROM request_messages", "a request's scope is fixed", appLacksPrivilege: true)
            await db.refused("UPDATE decryption_requests SET hours = 400 WHERE id = 1", "a decryption request only moves forward")
            await db.refused("UPDATE decryption_requests SET status = 'expired' WHERE id = 1", "a decryption request only moves forward")
            await db.accepted("UPDATE decryption_requests SET status = 'granted', granted_at = 12, expires_at = 20 WHERE id = 1")
            await db.refused(#"INSERT INTO request_partials (request_id, message_id, share_index, sealed) VALUES (1, 1, 2, '\x04')"#,
                             "partials belong to pending requests only")
            await db.accepted(#"INSERT INTO grant_keys (request_id, message_id, sealed) VALUES (1, 1, '\x05')"#)
            await db.refused(#"UPDATE grant_keys SET sealed = '\x06'"#, "grant keys are not edited", appLacksPrivilege: true)
            await db.refused("UPDATE decryption_requests SET status = 'pending' WHERE id = 1", "a decryption request only moves forward")
            await db.refused("DELETE FROM decryption_requests", "decryption requests are kept", appLacksPrivilege: true)

            // Epochs and their signatures are write-once.
            await db.refused("UPDATE key_epochs SET threshold = 3", "key epochs are write-once", appLacksPrivilege: true)
            await db.refused("DELETE FROM key_epochs", "key epochs are write-once", appLacksPrivilege: true)
            await db.accepted(#"INSERT INTO epoch_signatures (epoch, signer, signature) VALUES (1, '\x07', '\x08')"#)
            await db.refused(#"UPDATE epoch_signatures SET signature = '\x09'"#, "epoch signatures are write-once", appLacksPrivilege: true)

            // A ceremony: steps only while open, only dealings deleted, closed once.
            await db.accepted(#"""
                INSERT INTO ceremonies (id, kind, epoch, previous_epoch, setup, status, created_at, created_by)
                VALUES (1, 'redistribution', 2, 1, '\x0a', 'open', 20, 'ada')
                """#)
            await db.accepted("INSERT INTO ceremony_members (ceremony_id, participant, user_id) VALUES (1, 1, 2), (1, 2, 3)")
            await db.accepted(#"""
                INSERT INTO ceremony_steps (ceremony_id, user_id, step, body, at)
                VALUES (1, 2, 'commit', '\x0b', 21), (1, 2, 'dealing', '\x0c', 22)
                """#)
            await db.refused("UPDATE ceremony_members SET participant = 3", "a ceremony's members are fixed", appLacksPrivilege: true)
            await db.refused("UPDATE ceremony_steps SET at = 0", "ceremony steps are not edited", appLacksPrivilege: true)
            await db.refused("DELETE FROM ceremony_steps WHERE step = 'commit'", "only dealings (share boxes) are deleted")
            await db.accepted("DELETE FROM ceremony_steps WHERE ceremony_id = 1 AND step = 'dealing'")
            await db.refused(#"UPDATE ceremonies SET setup = '\x0f' WHERE id = 1"#, "a ceremony only closes, once")
            await db.accepted("UPDATE ceremonies SET status = 'failed', closed_at = 23, outcome = 'timed out' WHERE id = 1")
            await db.refused("UPDATE ceremonies SET status = 'cancelled' WHERE id = 1", "a ceremony only closes, once")
            await db.refused(#"INSERT INTO ceremony_steps (ceremony_id, user_id, step, body, at) VALUES (1, 3, 'commit', '\x0b', 24)"#,
                             "the ceremony is closed")
            await db.refused("DELETE FROM ceremonies", "ceremonies are kept", appLacksPrivilege: true)

            // A device changes once, when revoked, and is kept.
            await db.accepted("""
                INSERT INTO custodian_devices (id, user_id, encryption_key, signing_key, fingerprint, enrolled_at)
                VALUES (1, 2, decode(repeat('01', 32), 'hex'), decode(repeat('02', 32), 'hex'), 'fp', 30)
                """)
            await db.refused("UPDATE custodian_devices SET fingerprint = 'other' WHERE id = 1",
                             "a custodian device only changes when it is revoked, once")
            await db.accepted("UPDATE custodian_devices SET revoked_at = 31 WHERE id = 1")
            await db.refused("UPDATE custodian_devices SET revoked_at = 32 WHERE id = 1",
                             "a custodian device only changes when it is revoked, once")
            await db.refused("DELETE FROM custodian_devices", "custodian devices are kept", appLacksPrivilege: true)

            // A hold notice is acknowledged once and kept.
            await db.accepted(#"INSERT INTO matters (id, name, description, created_at, created_by, updated_at) VALUES (1, '\x01', '\x02', 5, 1, 5)"#)
            await db.accepted("INSERT INTO legal_holds (id, matter_id, term_count, placed_at, placed_by) VALUES (1, 1, 0, 5, 1)")
            await db.accepted(#"INSERT INTO hold_notices (id, hold_id, person, notified_at, notified_by) VALUES (1, 1, '\x01', 6, 1)"#)
            await db.accepted("UPDATE hold_notices SET acknowledged_at = 7 WHERE id = 1")
            await db.refused("UPDATE hold_notices SET acknowledged_at = 8 WHERE id = 1", "a hold notice can only be acknowledged, once")
            await db.refused("DELETE FROM hold_notices", "hold notices are kept", appLacksPrivilege: true)
        }
    }

    @Test("the application role cannot update, delete or truncate what it only appends to, and truncates nothing")
    func applicationAppendsOnly() async throws {
        // Each of these takes only SELECT and INSERT from the application (message_counts and retention_classes
        // only SELECT: triggers keep them).
        let appendOnly = [
            "key_epochs", "epoch_signatures", "ceremony_members", "messages", "message_participants", "key_upgrades",
            "request_decisions", "request_messages", "matter_members", "hold_terms", "disposals",
            "message_counts", "retention_classes", "audit_events", "audit_checkpoints",
        ]
        let (server, database, _) = try await migratedDatabase()
        var columns: [String: String] = [:]
        var tables: [String] = []
        try await server.endpoint(database: database, role: owner).withConnection(logger: server.logger) { db in
            for try await (table, column) in try await db.query("""
                SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
                JOIN pg_tables t ON t.schemaname = c.table_schema AND t.tablename = c.table_name
                WHERE c.table_schema = 'public' AND c.ordinal_position = 1 ORDER BY 1
                """, logger: server.logger).decode((String, String).self) {
                columns[table] = column
                tables.append(table)
            }
        }
        try await server.endpoint(database: database, role: app).withConnection(logger: server.logger) { connection in
            let db = Statements(connection: connection, role: app, logger: server.logger)
            for table in appendOnly {
                let column = try #require(columns[table], "\(table) is missing")
                for sql in ["UPDATE \(table) SET \(column) = \(column)", "DELETE FROM \(table)"] {
                    await db.refused(sql, "", appLacksPrivilege: true)
                }
            }
            for table in tables {
                await db.refused("TRUNCATE \(table)", "", appLacksPrivilege: true)
            }
            // The grants in the database are exactly ApplicationPrivileges, table by table.
            for table in tables + ["hold_coverage"] {
                let held = await db.value("""
                    SELECT string_agg(p, ',' ORDER BY p) FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                        'REFERENCES', 'TRIGGER']) p WHERE has_table_privilege('\(table)', p)
                    """)
                let listed = ApplicationPrivileges.tables[table]?.sorted().joined(separator: ",")
                #expect(held == listed, "\(table): granted \(held ?? "nothing"), listed \(listed ?? "nothing")")
            }
        }
    }

    @Test("every table and view of the SQLite schema exists in PostgreSQL with the same columns, in order, with the same nullability and mapped types, and every index and trigger by name")
    func mirrorsSQLiteSchema() async throws {
        let sqlite = try SQLiteSchema.build(from: sqliteMigrations)
        // The first table and the last, so a schema read short (or not at all) cannot pass.
        #expect(sqlite.columns["users"] != nil && sqlite.columns["key_upgrades"] != nil,
                "read \(sqlite.columns.count) tables from \(sqliteMigrations.path)")
        let (server, database, _) = try await migratedDatabase()
        var columns: [String: [Column]] = [:]
        var indexes: Set<String> = []
        var triggers: Set<String> = []
        var truncateGuarded: Set<String> = []
        try await server.endpoint(database: database, role: owner).withConnection(logger: server.logger) { db in
            for try await (table, name, type, nullable) in try await db.query("""
                SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
                WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
                """, logger: server.logger).decode((String, String, String, String).self) {
                columns[table, default: []].append(Column(name: name, type: type, notNull: nullable == "NO"))
            }
            // Constraint-backed indexes (primary keys, UNIQUE) are named by PostgreSQL; SQLite leaves them unnamed.
            for try await name in try await db.query("""
                SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
                AND indexname NOT IN (SELECT conname FROM pg_constraint)
                """, logger: server.logger).decode(String.self) { indexes.insert(name) }
            for try await name in try await db.query("SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal",
                                                      logger: server.logger).decode(String.self) { triggers.insert(name) }
            // tgtype bit 5 (32) marks a TRUNCATE trigger.
            for try await table in try await db.query(
                "SELECT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal AND tgtype & 32 <> 0",
                logger: server.logger).decode(String.self) { truncateGuarded.insert(table) }
        }
        for (table, expected) in sqlite.columns.sorted(by: { $0.key < $1.key }) {
            guard let actual = columns[table] else {
                Issue.record("table \(table) is missing from PostgreSQL")
                continue
            }
            #expect(actual.map(\.name) == expected.map(\.name), "\(table): column names or order differ")
            for (want, have) in zip(expected, actual) where want.name == have.name {
                #expect(have.notNull == want.notNull, "\(table).\(want.name): NOT NULL \(have.notNull), SQLite \(want.notNull)")
                let type = SQLiteSchema.postgresType(table: table, column: want.name, declared: want.type)
                #expect(have.type == type, "\(table).\(want.name): \(have.type), expected \(type) for SQLite \(want.type)")
            }
        }
        // schema_migrations is each migrator's own bookkeeping, outside Migrations/.
        #expect(Set(columns.keys).subtracting(sqlite.columns.keys) == ["schema_migrations"])
        #expect(sqlite.indexes.subtracting(indexes).isEmpty, "indexes missing: \(sqlite.indexes.subtracting(indexes).sorted())")
        #expect(indexes.subtracting(sqlite.indexes).isEmpty, "indexes SQLite lacks: \(indexes.subtracting(sqlite.indexes).sorted())")
        // MigrationsPostgres/0001 checks self-granted roles in user_roles_separation_of_duties.
        let missing = sqlite.triggers.subtracting(triggers).subtracting(["user_roles_not_self_granted"])
        #expect(missing.isEmpty, "triggers missing: \(missing.sorted())")
        // TRUNCATE fires no row triggers: wherever SQLite guards DELETE, a statement trigger must refuse TRUNCATE.
        let unguarded = sqlite.deleteGuarded.subtracting(truncateGuarded)
        #expect(unguarded.isEmpty, "tables that can be truncated: \(unguarded.sorted())")
    }
}

private struct Column: Sendable {
    let name: String
    let type: String
    let notNull: Bool
}

/// The final schema of the SQLite migrations, read from an in-memory database they were applied to in order.
private struct SQLiteSchema {
    var columns: [String: [Column]] = [:]
    var indexes: Set<String> = []
    var triggers: Set<String> = []
    /// Tables with a BEFORE DELETE trigger.
    var deleteGuarded: Set<String> = []

    /// 0/1 flag columns, BOOLEAN in PostgreSQL (and hold_coverage's `active`, a comparison).
    static let booleans: Set = ["users.must_change_password", "users.disabled", "disposition_runs.dry_run", "hold_coverage.active"]
    /// Declared TEXT in SQLite, which stores whatever it is given: these hold sealed bytes.
    static let sealedInText: Set = ["saved_searches.name"]

    /// The PostgreSQL type `data_type` names for a SQLite column; an untyped column (hold_terms.value,
    /// retention_rules.value) holds tokens, or a platform name as bytes.
    static func postgresType(table: String, column: String, declared: String) -> String {
        let key = table + "." + column
        if booleans.contains(key) { return "boolean" }
        if sealedInText.contains(key) { return "bytea" }
        switch declared.uppercased() {
        case "INTEGER": return "bigint"
        case "TEXT": return "text"
        case "BLOB", "": return "bytea"
        case "REAL": return "double precision"
        default: return "unmapped SQLite type \(declared)"
        }
    }

    static func build(from folder: URL) throws -> SQLiteSchema {
        var handle: OpaquePointer?
        guard sqlite3_open(":memory:", &handle) == SQLITE_OK, let db = handle else { throw TestServerError("sqlite3_open failed") }
        defer { sqlite3_close(db) }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        for file in files {
            let sql = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            var error: UnsafeMutablePointer<CChar>?
            guard sqlite3_exec(db, sql, nil, nil, &error) == SQLITE_OK else {
                let message = error.map { String(cString: $0) } ?? "unknown"
                sqlite3_free(error)
                throw TestServerError("Migrations/\(file): \(message)")
            }
        }
        var schema = SQLiteSchema()
        // A primary key column cannot be NULL in PostgreSQL (nor, in practice, in the SQLite archive's tables).
        for row in try rows(db, """
            SELECT m.name, p.name, p.type, p."notnull" OR p.pk > 0 FROM sqlite_master m, pragma_table_info(m.name) p
            WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid
            """) {
            schema.columns[row[0], default: []].append(Column(name: row[1], type: row[2], notNull: row[3] == "1"))
        }
        // Indexes SQLite makes for PRIMARY KEY and UNIQUE have no SQL and are PostgreSQL constraints instead.
        schema.indexes = Set(try rows(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").map { $0[0] })
        schema.triggers = Set(try rows(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'").map { $0[0] })
        schema.deleteGuarded = Set(try rows(db, """
            SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%BEFORE DELETE ON%'
            """).map { $0[0] })
        return schema
    }

    private static func rows(_ db: OpaquePointer, _ sql: String) throws -> [[String]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw TestServerError("cannot prepare \(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        var result: [[String]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            result.append((0..<sqlite3_column_count(statement)).map { column in
                sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""
            })
        }
        return result
    }
}
