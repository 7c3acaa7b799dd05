-- 0008: custodians' own devices. A custodian's keys live on the custodian's machine; the server keeps
-- only the public halves: a ristretto255 encryption key (shares are sealed to it) and an Ed25519
-- signing key (every API request from the device is signed with it). A device row is never deleted
-- and changes once, when it is revoked; a person has at most one device in force.

CREATE TABLE custodian_devices (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id),
    encryption_key BLOB    NOT NULL UNIQUE CHECK (length(encryption_key) = 32),
    signing_key    BLOB    NOT NULL UNIQUE CHECK (length(signing_key) = 32),
    fingerprint    TEXT    NOT NULL,
    enrolled_at    INTEGER NOT NULL,
    revoked_at     INTEGER CHECK (revoked_at IS NULL OR revoked_at >= enrolled_at)
);
CREATE UNIQUE INDEX custodian_devices_one_active ON custodian_devices(user_id) WHERE revoked_at IS NULL;

CREATE TRIGGER custodian_devices_no_delete BEFORE DELETE ON custodian_devices
BEGIN SELECT RAISE(ABORT, 'custodian devices are kept'); END;
CREATE TRIGGER custodian_devices_revoke_once BEFORE UPDATE ON custodian_devices
WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.user_id IS NOT OLD.user_id
  OR NEW.encryption_key IS NOT OLD.encryption_key OR NEW.signing_key IS NOT OLD.signing_key
  OR NEW.fingerprint IS NOT OLD.fingerprint OR NEW.enrolled_at IS NOT OLD.enrolled_at
BEGIN SELECT RAISE(ABORT, 'a custodian device only changes when it is revoked, once'); END;

-- One-time enrolment codes, made by a signed-in custodian and found by their BLAKE2b-256 hash only.
CREATE TABLE device_enrolment_codes (
    code_hash  BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX device_enrolment_codes_user ON device_enrolment_codes(user_id);

-- Nonces of accepted device requests, kept for as long as a replay could still pass the time check.
CREATE TABLE device_request_nonces (
    signing_key BLOB    NOT NULL,
    nonce       BLOB    NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (signing_key, nonce)
) WITHOUT ROWID;
CREATE INDEX device_request_nonces_seen_at ON device_request_nonces(seen_at);
