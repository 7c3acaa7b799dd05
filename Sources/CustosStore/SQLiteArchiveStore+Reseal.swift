import CustosCore
import Foundation

extension SQLiteArchiveStore {
    /// Every column that holds a sealed value: its table, the columns that identify a row, and what the value is.
    struct SealedColumn: Sendable {
        var table: String
        var keys: [String]
        var column: String
        /// The kind, from the row's key values and the extra columns in `context`.
        var context: [String] = []
        var kind: @Sendable ([SQLValue]) -> SealedKind
    }

    static let sealedColumns: [SealedColumn] = {
        func display(_ purpose: String) -> @Sendable ([SQLValue]) -> SealedKind { { _ in .display(purpose: purpose) } }
        @Sendable func userID(_ v: [SQLValue]) -> Int64 { if case .integer(let id) = v.last { id } else { -1 } }
        return [
            SealedColumn(table: "messages", keys: ["id"], column: "conversation_display", kind: display("conversation")),
            SealedColumn(table: "message_participants", keys: ["message_id", "token", "part"], column: "display", kind: display("participant")),
            SealedColumn(table: "matters", keys: ["id"], column: "name", kind: display("matter-name")),
            SealedColumn(table: "matters", keys: ["id"], column: "description", kind: display("matter-description")),
            SealedColumn(table: "legal_holds", keys: ["id"], column: "release_reason", kind: display("hold-release")),
            SealedColumn(table: "hold_terms", keys: ["hold_id", "kind", "value"], column: "display", kind: display("hold-term")),
            SealedColumn(table: "hold_notices", keys: ["id"], column: "person", kind: display("hold-notice")),
            SealedColumn(table: "decryption_requests", keys: ["id"], column: "justification", kind: display("request-justification")),
            SealedColumn(table: "decryption_requests", keys: ["id"], column: "reference", kind: display("request-reference")),
            SealedColumn(table: "decryption_requests", keys: ["id"], column: "close_reason", kind: display("request-reason")),
            SealedColumn(table: "retention_rules", keys: ["id"], column: "display", kind: display("retention-rule")),
            SealedColumn(table: "saved_searches", keys: ["id"], column: "name", context: ["user_id"],
                         kind: { .display(purpose: "saved-name-\(userID($0))") }),
            SealedColumn(table: "saved_searches", keys: ["id"], column: "query", context: ["user_id"],
                         kind: { .display(purpose: "saved-query-\(userID($0))") }),
            SealedColumn(table: "users", keys: ["id"], column: "totp_secret_sealed", kind: { .totp(userID: userID($0)) }),
        ]
    }()

    static let subkeyUpgrade = "0014_kdf_subkeys"

    /// Re-seals every stored sealed value with `reseal`, once per database, in one transaction; answers how many
    /// values were re-sealed, or nil when it was done before. Write-once and fixed-scope tables keep their triggers:
    /// each table's triggers are dropped and created again, as they were, inside the same transaction, so no one
    /// ever sees the table without them.
    public func resealUnderSubkeys(_ reseal: (SealedKind, [UInt8]) throws -> [UInt8], now: Int64) throws -> Int? {
        try database.write { c -> Int? in
            if try c.queryOne("SELECT 1 FROM key_upgrades WHERE name = ?", Self.subkeyUpgrade) != nil { return nil }
            var count = 0
            for table in Set(Self.sealedColumns.map(\.table)).sorted() {
                let triggers = try c.query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", table)
                    .map { (name: try $0.text(0), sql: try $0.text(1)) }
                for t in triggers { try c.execute("DROP TRIGGER \"\(t.name)\"") }
                for col in Self.sealedColumns where col.table == table {
                    let select = "SELECT \(col.column), " + (col.keys + col.context).joined(separator: ", ")
                        + " FROM \(table) WHERE \(col.column) IS NOT NULL"
                    let update = "UPDATE \(table) SET \(col.column) = ? WHERE "
                        + col.keys.map { "\($0) = ?" }.joined(separator: " AND ")
                    for row in try c.query(select) {
                        let sealed = try row.blob(0)
                        let kind = col.kind(Array(row.values.dropFirst()))
                        let fresh = try reseal(kind, sealed)
                        guard fresh != sealed else { continue }
                        let keys = Array(row.values[1...col.keys.count])
                        guard try c.run(update, parameters: [fresh] + keys) == 1 else {
                            throw SQLiteError.constraint(message: "re-sealing \(table).\(col.column) did not find its row")
                        }
                        count += 1
                    }
                }
                for t in triggers { try c.execute(t.sql) }
            }
            try c.run("INSERT INTO key_upgrades (name, applied_at, resealed) VALUES (?, ?, ?)", Self.subkeyUpgrade, now, count)
            return count
        }
    }
}
