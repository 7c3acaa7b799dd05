-- 0005: leases of background work (SQLite's 0015): several servers on one archive agree here which of them runs
-- grant expiry, lapses, purges and disposition; a lease is taken by one upsert, which PostgreSQL serialises on the
-- row.
CREATE TABLE leases (
    name       TEXT   PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

-- A PostgreSQL archive is born sealing under the KDF subkeys (SQLite's 0014 re-seals older archives once, in
-- Swift); recording it as done keeps the two engines' histories alike.
INSERT INTO key_upgrades (name, applied_at, resealed) VALUES ('0014_kdf_subkeys', 0, 0);
