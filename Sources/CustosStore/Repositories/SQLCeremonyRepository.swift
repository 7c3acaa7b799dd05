import CustosCore
import CustosCrypto

/// Key ceremonies, their members and steps in SQLite (Migrations/0008).
struct SQLCeremonyRepository: CeremonyRepository {
    let db: any SQLDatabase

    private static let columns = "id, kind, epoch, previous_epoch, setup, status, created_at, created_by, closed_at, outcome"

    func create(_ c: NewCeremony) throws -> Int64 {
        let id = try db.insert("""
            INSERT INTO ceremonies (kind, epoch, previous_epoch, setup, status, created_at, created_by) VALUES (?, ?, ?, ?, 'open', ?, ?) RETURNING id
            """, c.kind.name, c.epoch, c.previousEpoch, c.setup, c.createdAt, c.createdBy)
        for m in c.members {
            try db.run("INSERT INTO ceremony_members (ceremony_id, participant, user_id) VALUES (?, ?, ?)", id, m.participant, m.userID)
        }
        return id
    }

    func open() throws -> CeremonyRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM ceremonies WHERE status = 'open'").map(record(from:))
    }

    func find(id: Int64) throws -> CeremonyRecord? {
        try db.queryOne("SELECT " + Self.columns + " FROM ceremonies WHERE id = ?", id).map(record(from:))
    }

    func recent(limit: Int) throws -> [CeremonyRecord] {
        try db.query("SELECT " + Self.columns + " FROM ceremonies ORDER BY id DESC LIMIT ?", limit).map(record(from:))
    }

    func members(ceremonyID: Int64) throws -> [(participant: Int, userID: Int64)] {
        try db.query("SELECT participant, user_id FROM ceremony_members WHERE ceremony_id = ? ORDER BY participant", ceremonyID).map {
            (Int(try $0.int(0)), try $0.int(1))
        }
    }

    func steps(ceremonyID: Int64) throws -> [CeremonyStep] {
        try db.query("SELECT user_id, step, dealer, body, signer, at FROM ceremony_steps WHERE ceremony_id = ? ORDER BY at, user_id, step",
                     ceremonyID).map { r in
            guard let kind = CeremonyStepKind(rawValue: try r.text(1)) else { throw DomainError.conflict("An unknown ceremony step is stored.") }
            return CeremonyStep(userID: try r.int(0), kind: kind, dealer: try r.optionalInt(2).map(Int.init), body: try r.optionalBlob(3),
                                signer: try r.optionalBlob(4), at: try r.int(5))
        }
    }

    func addStep(ceremonyID: Int64, _ s: CeremonyStep) throws {
        try db.run("INSERT INTO ceremony_steps (ceremony_id, user_id, step, dealer, body, signer, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   ceremonyID, s.userID, s.kind.rawValue, s.dealer, s.body, s.signer, s.at)
    }

    func close(id: Int64, status: CeremonyStatus, at: Int64, outcome: String) throws {
        try db.run("UPDATE ceremonies SET status = ?, closed_at = ?, outcome = ? WHERE id = ?", status.rawValue, at, outcome, id)
    }

    func deleteDealings(ceremonyID: Int64) throws -> Int {
        try db.run("DELETE FROM ceremony_steps WHERE ceremony_id = ? AND step = 'dealing'", ceremonyID)
    }

    private func record(from r: SQLRow) throws -> CeremonyRecord {
        guard let kind = CeremonySetup.Kind(name: try r.text(1)), let status = CeremonyStatus(rawValue: try r.text(5)) else {
            throw DomainError.conflict("A ceremony row has an unknown kind or status.")
        }
        return CeremonyRecord(id: try r.int(0), kind: kind, epoch: Int(try r.int(2)), previousEpoch: try r.optionalInt(3).map(Int.init),
                              setup: try r.blob(4), status: status, createdAt: try r.int(6), createdBy: try r.text(7),
                              closedAt: try r.optionalInt(8), outcome: try r.optionalText(9))
    }
}
