-- 0004: dual-approval decryption. A request names messages; k distinct custodians approve it with
-- their passphrases; each approval leaves proven partial decryptions D_i = s_i·R (fewer than k
-- reveal nothing); the k-th turns them into one message key per message, the grant, and the
-- partials are deleted. Grant keys are deleted when the grant expires or is revoked.
-- Justifications, references and reasons are sealed under the metadata key (they can name people);
-- partials and grant keys are sealed under a key derived from it (files in keys/, never here).

CREATE TABLE decryption_requests (
    id            INTEGER PRIMARY KEY,
    requester_id  INTEGER NOT NULL REFERENCES users(id),
    filed_role    TEXT    NOT NULL,
    justification BLOB    NOT NULL,
    reference     BLOB    NOT NULL,
    hours         INTEGER NOT NULL CHECK (hours >= 1),
    threshold     INTEGER NOT NULL CHECK (threshold >= 2),
    message_count INTEGER NOT NULL CHECK (message_count >= 1),
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'granted', 'rejected', 'lapsed', 'expired', 'revoked')),
    created_at    INTEGER NOT NULL,
    approve_by    INTEGER NOT NULL,
    granted_at    INTEGER,
    expires_at    INTEGER,
    closed_at     INTEGER,
    closed_by     TEXT,
    close_reason  BLOB,
    CHECK (status <> 'granted' OR (granted_at IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX decryption_requests_status ON decryption_requests(status, id);
CREATE INDEX decryption_requests_requester ON decryption_requests(requester_id, id);

-- Only forward moves: pending → granted | rejected | lapsed; granted → expired | revoked. The
-- request's scope and its people never change.
CREATE TRIGGER decryption_requests_forward BEFORE UPDATE ON decryption_requests
WHEN NOT (
    (OLD.status = 'pending' AND NEW.status IN ('granted', 'rejected', 'lapsed'))
    OR (OLD.status = 'granted' AND NEW.status IN ('expired', 'revoked'))
) OR NEW.requester_id IS NOT OLD.requester_id OR NEW.filed_role IS NOT OLD.filed_role
  OR NEW.justification IS NOT OLD.justification OR NEW.reference IS NOT OLD.reference
  OR NEW.hours IS NOT OLD.hours OR NEW.message_count IS NOT OLD.message_count OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a decryption request only moves forward'); END;
CREATE TRIGGER decryption_requests_no_delete BEFORE DELETE ON decryption_requests
BEGIN SELECT RAISE(ABORT, 'decryption requests are kept'); END;

-- One row per custodian per request: a custodian counts once.
CREATE TABLE request_decisions (
    request_id   INTEGER NOT NULL REFERENCES decryption_requests(id),
    custodian_id INTEGER NOT NULL REFERENCES users(id),
    decision     TEXT    NOT NULL CHECK (decision IN ('approved', 'rejected')),
    decided_at   INTEGER NOT NULL,
    PRIMARY KEY (request_id, custodian_id)
) WITHOUT ROWID;
CREATE TRIGGER request_decisions_fixed BEFORE UPDATE ON request_decisions
BEGIN SELECT RAISE(ABORT, 'a decision is final'); END;
CREATE TRIGGER request_decisions_no_delete BEFORE DELETE ON request_decisions
BEGIN SELECT RAISE(ABORT, 'a decision is final'); END;
CREATE TRIGGER request_decisions_not_requester BEFORE INSERT ON request_decisions
WHEN NEW.custodian_id = (SELECT requester_id FROM decryption_requests WHERE id = NEW.request_id)
BEGIN SELECT RAISE(ABORT, 'the requester cannot decide on its own request'); END;

CREATE TABLE request_messages (
    request_id INTEGER NOT NULL REFERENCES decryption_requests(id),
    message_id INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (request_id, message_id)
) WITHOUT ROWID;
CREATE INDEX request_messages_message ON request_messages(message_id, request_id);
CREATE TRIGGER request_messages_fixed BEFORE UPDATE ON request_messages
BEGIN SELECT RAISE(ABORT, 'a request''s scope is fixed'); END;
CREATE TRIGGER request_messages_no_delete BEFORE DELETE ON request_messages
BEGIN SELECT RAISE(ABORT, 'a request''s scope is fixed'); END;
CREATE TRIGGER request_messages_while_pending BEFORE INSERT ON request_messages
WHEN (SELECT created_at FROM decryption_requests WHERE id = NEW.request_id) IS NULL
  OR (SELECT status FROM decryption_requests WHERE id = NEW.request_id) <> 'pending'
  OR EXISTS (SELECT 1 FROM request_decisions WHERE request_id = NEW.request_id)
BEGIN SELECT RAISE(ABORT, 'a request''s scope is fixed once custodians decide on it'); END;

-- Sealed partial decryptions of a pending request (one per message per approving share).
CREATE TABLE request_partials (
    request_id  INTEGER NOT NULL REFERENCES decryption_requests(id),
    message_id  INTEGER NOT NULL,
    share_index INTEGER NOT NULL,
    sealed      BLOB    NOT NULL,
    PRIMARY KEY (request_id, message_id, share_index)
) WITHOUT ROWID;
CREATE TRIGGER request_partials_while_pending BEFORE INSERT ON request_partials
WHEN (SELECT status FROM decryption_requests WHERE id = NEW.request_id) IS NOT 'pending'
BEGIN SELECT RAISE(ABORT, 'partials belong to pending requests only'); END;

-- Sealed message keys of a live grant; deleted when it ends.
CREATE TABLE grant_keys (
    request_id INTEGER NOT NULL REFERENCES decryption_requests(id),
    message_id INTEGER NOT NULL,
    sealed     BLOB    NOT NULL,
    PRIMARY KEY (request_id, message_id)
) WITHOUT ROWID;
CREATE TRIGGER grant_keys_while_granted BEFORE INSERT ON grant_keys
WHEN (SELECT status FROM decryption_requests WHERE id = NEW.request_id) IS NOT 'granted'
BEGIN SELECT RAISE(ABORT, 'message keys belong to live grants only'); END;
CREATE TRIGGER grant_keys_fixed BEFORE UPDATE ON grant_keys
BEGIN SELECT RAISE(ABORT, 'grant keys are not edited'); END;
