import CustosPostgres
import CustosTestSupport
import PostgresNIO
import Testing

private let auditInsert = """
    INSERT INTO audit_events (seq, at, actor, role, action, target, details, client, prev_hash, hash)
    VALUES (1, 1700000000, 'ada', 'security', 'audit.viewed', '-', '{}', '127.0.0.1', '\\x00', '\\x01')
    """
private let checkpointInsert = "INSERT INTO audit_checkpoints (seq, at, hash, signature) VALUES (1, 1700000000, '\\x01', '\\x02')"
private let appendOnlyEdits = [
    ("UPDATE audit_events SET actor = 'mallory'", "audit events are append-only"),
    ("DELETE FROM audit_events", "audit events are append-only"),
    ("TRUNCATE audit_events", "audit events are append-only"),
    ("UPDATE audit_checkpoints SET at = 0", "audit checkpoints are append-only"),
    ("DELETE FROM audit_checkpoints", "audit checkpoints are append-only"),
    ("TRUNCATE audit_checkpoints", "audit checkpoints are append-only"),
]

/// The raw-SQL refusals: what the database itself refuses, as the application role and as the owner.
@Suite("PostgreSQL schema", .enabled(if: !TestPostgresServer.skipped, "CUSTOS_SKIP_POSTGRES=1"))
struct PostgresSchemaTests {
    @Test("the application role appends audit events but cannot edit, delete or truncate them")
    func applicationAppendsOnly() async throws {
        let (server, database, _) = try await migratedDatabase()
        try await server.endpoint(database: database, role: TestPostgresServer.applicationRole).withConnection(logger: server.logger) { db in
            #expect(await refusal(auditInsert, on: db, logger: server.logger) == nil)
            #expect(await refusal(checkpointInsert, on: db, logger: server.logger) == nil)
            for (sql, _) in appendOnlyEdits {
                let reason = await refusal(sql, on: db, logger: server.logger)
                // Refused by its privileges before the triggers are reached.
                #expect(reason?.contains("permission denied") == true, "\(sql): \(reason ?? "accepted")")
            }
            var actors: [String] = []
            for try await actor in try await db.query("SELECT actor FROM audit_events", logger: server.logger).decode(String.self) {
                actors.append(actor)
            }
            #expect(actors == ["ada"])
        }
    }

    @Test("the owner's plain UPDATE, DELETE and TRUNCATE of the audit log are refused by its triggers")
    func ownerRefusedByTriggers() async throws {
        let (server, database, _) = try await migratedDatabase()
        try await server.endpoint(database: database, role: TestPostgresServer.ownerRole).withConnection(logger: server.logger) { db in
            #expect(await refusal(auditInsert, on: db, logger: server.logger) == nil)
            #expect(await refusal(checkpointInsert, on: db, logger: server.logger) == nil)
            for (sql, message) in appendOnlyEdits {
                let reason = await refusal(sql, on: db, logger: server.logger)
                #expect(reason?.contains(message) == true, "\(sql): \(reason ?? "accepted")")
            }
            var count: [Int] = []
            for try await n in try await db.query("SELECT count(*)::bigint FROM audit_events", logger: server.logger).decode(Int.self) {
                count.append(n)
            }
            #expect(count == [1])
        }
    }

    @Test("the application role is no superuser and can change no schema, temporary tables included")
    func applicationHasNoDDL() async throws {
        let (server, database, _) = try await migratedDatabase()
        try await server.endpoint(database: database, role: TestPostgresServer.applicationRole).withConnection(logger: server.logger) { db in
            var flags: [String] = []
            for try await value in try await db.query("SELECT current_setting('is_superuser')", logger: server.logger).decode(String.self) {
                flags.append(value)
            }
            #expect(flags == ["off"])
            let ddl = [
                "CREATE TABLE stash (x INT)",
                "CREATE TEMP TABLE stash (x INT)",
                "DROP TRIGGER audit_events_no_update ON audit_events",
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_delete",
                "ALTER TABLE audit_events ADD COLUMN note TEXT",
                "DROP TABLE audit_events",
                "CREATE SCHEMA side",
                "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
                "SET ROLE \(TestPostgresServer.ownerRole)",
                "SET session_replication_role = replica",
            ]
            for sql in ddl {
                let reason = await refusal(sql, on: db, logger: server.logger)
                #expect(reason != nil, "\(sql) was accepted")
            }
        }
    }

    @Test("the database refuses an administrator with another role, in either order, and self-granted roles")
    func separationOfDuties() async throws {
        let (server, database, _) = try await migratedDatabase()
        try await server.endpoint(database: database, role: TestPostgresServer.applicationRole).withConnection(logger: server.logger) { db in
            for (id, name) in [(1, "root"), (2, "ada"), (3, "bob")] {
                try await db.query("""
                    INSERT INTO users (id, username, display_name, password_hash, created_at, password_changed_at)
                    VALUES (\(id), \(name), \(name), 'argon2id-encoding', 1700000000, 1700000000)
                    """, logger: server.logger)
            }
            func grant(_ user: Int, _ role: String, by: Int = 1) async -> String? {
                await refusal("INSERT INTO user_roles (user_id, role, granted_at, granted_by) VALUES (\(user), '\(role)', 1700000000, \(by))",
                              on: db, logger: server.logger)
            }
            let conflict = "role conflict: an administrator holds no other role"
            #expect(await grant(2, "admin") == nil)
            for role in ["auditor", "custodian", "legal", "security"] {
                #expect(await grant(2, role)?.contains(conflict) == true, "admin + \(role)")
            }
            #expect(await grant(3, "custodian") == nil)
            #expect(await grant(3, "auditor") == nil)
            #expect(await grant(3, "admin")?.contains(conflict) == true)
            let inPlace = await refusal("UPDATE user_roles SET role = 'admin' WHERE user_id = 3 AND role = 'auditor'",
                                        on: db, logger: server.logger)
            #expect(inPlace != nil, "turning a role into admin in place was accepted")
            #expect(await grant(1, "security", by: 1)?.contains("nobody changes their own roles") == true)
            #expect(await grant(3, "superuser")?.contains("user_roles_role_check") == true)
        }
    }

    @Test("sign-in state is the application's to change: sessions, failures and throttle notices")
    func applicationManagesSessions() async throws {
        let (server, database, _) = try await migratedDatabase()
        try await server.endpoint(database: database, role: TestPostgresServer.applicationRole).withConnection(logger: server.logger) { db in
            let statements = [
                "INSERT INTO users (username, display_name, password_hash, created_at, password_changed_at) VALUES ('ada', 'Ada', 'h', 1, 1)",
                "UPDATE users SET last_login_at = 2, must_change_password = FALSE WHERE username = 'ada'",
                """
                INSERT INTO sessions (token_hash, user_id, stage, created_at, last_seen_at, expires_at, client_address)
                SELECT '\\xaa', id, 'totp', 1, 1, 100, '127.0.0.1' FROM users WHERE username = 'ada'
                """,
                "UPDATE sessions SET stage = 'active', active_role = 'auditor'",
                "DELETE FROM sessions",
                "INSERT INTO login_failures (subject, at) VALUES ('\\x01', 5)",
                "DELETE FROM login_failures WHERE at < 10",
                "INSERT INTO throttle_notices (subject, since) VALUES ('\\x01', 5) ON CONFLICT (subject) DO UPDATE SET refused = throttle_notices.refused + 1",
                "INSERT INTO throttle_notices (subject, since) VALUES ('\\x01', 5) ON CONFLICT (subject) DO UPDATE SET refused = throttle_notices.refused + 1",
                "DELETE FROM throttle_notices WHERE since < 10",
            ]
            for sql in statements {
                let reason = await refusal(sql, on: db, logger: server.logger)
                #expect(reason == nil, "\(sql): \(reason ?? "")")
            }
            #expect(await refusal("DELETE FROM users", on: db, logger: server.logger)?.contains("permission denied") == true)
            #expect(await refusal("""
                INSERT INTO sessions (token_hash, user_id, stage, created_at, last_seen_at, expires_at, client_address)
                SELECT '\\xbb', id, 'half', 1, 1, 100, '127.0.0.1' FROM users WHERE username = 'ada'
                """, on: db, logger: server.logger)?.contains("sessions_stage_check") == true)
            #expect(await refusal("INSERT INTO throttle_notices (subject, since, refused) VALUES ('\\x02', 1, -1)",
                                  on: db, logger: server.logger)?.contains("throttle_notices_refused_check") == true)
        }
    }
}
