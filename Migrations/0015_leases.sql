-- 0015: leases of background work. Several servers may share one PostgreSQL archive; the same table here keeps
-- one code path (a single SQLite server always holds its leases).
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
