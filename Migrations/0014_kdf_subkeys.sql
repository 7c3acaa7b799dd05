-- 0014: every sealed value moves to its own subkey of metadata.key (one per purpose, libsodium crypto_kdf).
-- The re-sealing needs the keys, so the server does it in Swift when it opens the data directory (KeyUpgrade,
-- SQLiteArchiveStore.resealUnderSubkeys), in one transaction, and records it here. Sealed values inside audit
-- entries stay as they were written: the chain covers them.
CREATE TABLE key_upgrades (
    name       TEXT    PRIMARY KEY,
    applied_at INTEGER NOT NULL,
    resealed   INTEGER NOT NULL CHECK (resealed >= 0)
) WITHOUT ROWID;
