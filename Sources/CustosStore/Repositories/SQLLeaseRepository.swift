import CustosCore

/// Leases of background work (Migrations/0015, MigrationsPostgres/0004): one upsert that only takes a free, expired
/// or own lease, so two instances racing for it cannot both win (each engine serialises the row's writes).
struct SQLLeaseRepository: LeaseRepository {
    let db: any SQLDatabase

    func acquire(name: String, holder: String, now: Int64, until: Int64) throws -> Bool {
        try db.queryOne("""
            INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
            RETURNING holder
            """, name, holder, until, now) != nil
    }

    func release(name: String, holder: String) throws {
        try db.run("UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?", name, holder)
    }

    func holder(name: String) throws -> (holder: String, until: Int64)? {
        try db.queryOne("SELECT holder, expires_at FROM leases WHERE name = ?", name).map { (try $0.text(0), try $0.int(1)) }
    }
}
