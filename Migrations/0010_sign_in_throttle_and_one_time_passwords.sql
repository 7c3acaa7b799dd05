-- 0010: throttle refusals are audited once per subject and window.

-- Per throttle subject (the same keyed tokens as login_failures): when its last audit entry was written
-- and how many refusals were counted without one since. Rows are purged with the failures.
CREATE TABLE throttle_notices (
    subject BLOB    PRIMARY KEY,
    since   INTEGER NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0 CHECK (refused >= 0)
) WITHOUT ROWID;

-- The purge finds old failures by time alone.
CREATE INDEX login_failures_at ON login_failures(at);
