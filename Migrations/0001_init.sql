-- 0001: people, roles, sessions, login throttling and the hash-chained audit log.
-- Times are unix seconds (UTC). Secrets never appear in clear: passwords are Argon2id
-- encodings, session tokens are BLAKE2b hashes, TOTP secrets are sealed under the server's
-- metadata key, throttle subjects are keyed BLAKE2b tokens.

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1 CHECK (must_change_password IN (0, 1)),
    totp_secret_sealed   BLOB,
    totp_last_counter    INTEGER,
    disabled             INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at           INTEGER NOT NULL,
    password_changed_at  INTEGER NOT NULL,
    last_login_at        INTEGER
);

CREATE TABLE user_roles (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'auditor', 'legal', 'custodian', 'security')),
    granted_at INTEGER NOT NULL,
    granted_by INTEGER REFERENCES users(id),
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;

-- Separation of duties below the application: admin may not be held with custodian or auditor.
CREATE TRIGGER user_roles_separation_of_duties
BEFORE INSERT ON user_roles
WHEN (NEW.role = 'admin' AND EXISTS (SELECT 1 FROM user_roles WHERE user_id = NEW.user_id AND role IN ('custodian', 'auditor')))
  OR (NEW.role IN ('custodian', 'auditor') AND EXISTS (SELECT 1 FROM user_roles WHERE user_id = NEW.user_id AND role = 'admin'))
BEGIN
    SELECT RAISE(ABORT, 'role conflict: admin cannot be combined with custodian or auditor');
END;

CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    token_hash     BLOB    NOT NULL UNIQUE,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    stage          TEXT    NOT NULL CHECK (stage IN ('totp', 'active')),
    active_role    TEXT,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    client_address TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    subject BLOB    NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX login_failures_subject_at ON login_failures(subject, at);

CREATE TABLE audit_events (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    details   TEXT    NOT NULL,
    client    TEXT    NOT NULL,
    prev_hash BLOB    NOT NULL,
    hash      BLOB    NOT NULL
);
CREATE INDEX audit_events_action_at ON audit_events(action, at);
CREATE INDEX audit_events_actor_at ON audit_events(actor, at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    hash      BLOB    NOT NULL,
    signature BLOB    NOT NULL
);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
