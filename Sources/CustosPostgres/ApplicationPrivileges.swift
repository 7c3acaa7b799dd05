/// The row privileges the application role needs, table by table, and nothing more: no ownership, no DDL, no
/// TRUNCATE, no UPDATE or DELETE on what is append-only. A migration that adds a table adds its line here;
/// the migrator refuses to finish while a table has none, so no table is left reachable by accident.
public enum ApplicationPrivileges {
    /// Table name → privileges granted to the application role.
    public static let tables: [String: [String]] = [
        "schema_migrations": ["SELECT"],
        "users": ["SELECT", "INSERT", "UPDATE"],
        // Roles are replaced by deleting a person's rows and inserting the new set (the trigger checks each).
        "user_roles": ["SELECT", "INSERT", "DELETE"],
        "sessions": ["SELECT", "INSERT", "UPDATE", "DELETE"],
        "login_failures": ["SELECT", "INSERT", "DELETE"],
        "throttle_notices": ["SELECT", "INSERT", "UPDATE", "DELETE"],
        "audit_events": ["SELECT", "INSERT"],
        "audit_checkpoints": ["SELECT", "INSERT"],

        // MigrationsPostgres/0002: keys, devices, capture tokens, messages. Epochs, their signatures, ceremony
        // members and messages are only appended; a ceremony closes (UPDATE) and its dealings are deleted.
        "key_epochs": ["SELECT", "INSERT"],
        "ceremonies": ["SELECT", "INSERT", "UPDATE"],
        "ceremony_members": ["SELECT", "INSERT"],
        "ceremony_steps": ["SELECT", "INSERT", "DELETE"],
        "epoch_signatures": ["SELECT", "INSERT"],
        "custodian_devices": ["SELECT", "INSERT", "UPDATE"],
        "device_enrolment_codes": ["SELECT", "INSERT", "UPDATE"],
        "device_request_nonces": ["SELECT", "INSERT", "DELETE"],
        "capture_tokens": ["SELECT", "INSERT", "UPDATE"],
        "messages": ["SELECT", "INSERT"],
        "message_participants": ["SELECT", "INSERT"],
        // Disposition deletes envelopes (the triggers check the disposal and holds); nothing updates them.
        "envelopes": ["SELECT", "INSERT", "DELETE"],
        // Kept by SECURITY DEFINER triggers on messages; the application only reads them.
        "message_counts": ["SELECT"],
        "retention_classes": ["SELECT"],
        "saved_searches": ["SELECT", "INSERT", "DELETE"],
        "key_upgrades": ["SELECT", "INSERT"],

        // MigrationsPostgres/0003: decryption. Partials and grant keys are deleted when used or ended.
        "decryption_requests": ["SELECT", "INSERT", "UPDATE"],
        "request_decisions": ["SELECT", "INSERT"],
        "request_messages": ["SELECT", "INSERT"],
        "request_partials": ["SELECT", "INSERT", "DELETE"],
        "grant_keys": ["SELECT", "INSERT", "DELETE"],

        // MigrationsPostgres/0004: holds, retention, disposition. hold_coverage is a view (not listed by the
        // migrator's check, but REVOKE ALL ON ALL TABLES covers it, so it needs its grant here).
        "matters": ["SELECT", "INSERT", "UPDATE"],
        "matter_members": ["SELECT", "INSERT"],
        "legal_holds": ["SELECT", "INSERT", "UPDATE"],
        "hold_terms": ["SELECT", "INSERT"],
        "hold_coverage": ["SELECT"],
        "hold_notices": ["SELECT", "INSERT", "UPDATE"],
        // Set at init by an upsert (INSERT … ON CONFLICT DO UPDATE needs both).
        "archive_settings": ["SELECT", "INSERT", "UPDATE"],
        "retention_policies": ["SELECT", "INSERT", "UPDATE"],
        "retention_rules": ["SELECT", "INSERT", "DELETE"],
        "disposition_runs": ["SELECT", "INSERT", "UPDATE"],
        "disposals": ["SELECT", "INSERT"],
        // A lease row is taken and renewed by upsert, given up by an UPDATE of its end.
        "leases": ["SELECT", "INSERT", "UPDATE"],

        // MigrationsPostgres/0006: review. A request's matter is written once; a coding is changed in place (the
        // trigger lets it move only forward) and never deleted; layouts are replaced by upsert.
        "request_matters": ["SELECT", "INSERT"],
        "coding_layouts": ["SELECT", "INSERT", "UPDATE"],
        "review_decisions": ["SELECT", "INSERT", "UPDATE"],
        // MigrationsPostgres/0007: a note is inserted, and an escalation resolved once (UPDATE, checked by trigger).
        "review_notes": ["SELECT", "INSERT", "UPDATE"],
    ]

    /// Whether `name` is a plain lower-case identifier, safe to place in a GRANT without quoting.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")),
              name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
            || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") }
    }

    /// The statements that take every privilege from `role` in the public schema and give back exactly the
    /// ones above; run by the owner after migrating, in one transaction.
    static func statements(for role: String, tables: [String: [String]]) -> [String] {
        var sql = [
            // Only the named roles connect, and nobody but the owner creates anything (temporary tables included).
            """
            DO $grants$ BEGIN
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM \(role)', current_database());
                EXECUTE format('GRANT CONNECT ON DATABASE %I TO \(role)', current_database());
            END $grants$
            """,
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "REVOKE ALL ON SCHEMA public FROM \(role)",
            "GRANT USAGE ON SCHEMA public TO \(role)",
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, \(role)",
            "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, \(role)",
            "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC, \(role)",
            "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \(role)",
        ]
        for (table, privileges) in tables.sorted(by: { $0.key < $1.key }) {
            sql.append("GRANT \(privileges.joined(separator: ", ")) ON TABLE \(table) TO \(role)")
        }
        return sql
    }
}
