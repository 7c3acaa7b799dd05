-- 0010: one-time passwords expire, and throttle refusals are audited once per subject and window.

-- When the password an administrator (or `custos init`) issued stops working; NULL once the person has
-- chosen their own. Outstanding one-time passwords get 72 hours from when they were issued.
ALTER TABLE users ADD COLUMN one_time_password_expires_at INTEGER;
UPDATE users SET one_time_password_expires_at = password_changed_at + 72 * 3600 WHERE must_change_password = 1;

-- Per throttle subject (the same keyed tokens as login_failures): when its last audit entry was written
-- and how many refusals were counted without one since. Rows are purged with the failures.
CREATE TABLE throttle_notices (
    subject BLOB    PRIMARY KEY,
    since   INTEGER NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0 CHECK (refused >= 0)
) WITHOUT ROWID;

-- The purge finds old failures by time alone.
CREATE INDEX login_failures_at ON login_failures(at);
