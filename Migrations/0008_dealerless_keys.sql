-- 0008: archive keys made by the custodians' own devices (issue 17). No dealer and no custodian secret
-- on the server: the shares sealed here by the old dealer ceremony and the passphrase-wrapped custodian
-- keys are dropped. An archive made before this migration keeps its messages and metadata, but its
-- dealer-made epochs ("legacy") can no longer be opened, served or captured to.
DROP TABLE key_shares;
DROP TABLE custodian_keys;

-- A ceremony an administrator proposed and the named custodians' devices carry out. Its setup (kind,
-- epoch, threshold, the participants' device keys, the hash of the transcript before) never changes.
CREATE TABLE ceremonies (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('new_key', 'redistribution')),
    epoch          INTEGER NOT NULL,
    previous_epoch INTEGER REFERENCES key_epochs(epoch),
    setup          BLOB    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'active', 'failed', 'cancelled')),
    created_at     INTEGER NOT NULL,
    created_by     TEXT    NOT NULL,
    closed_at      INTEGER,
    outcome        TEXT
);
CREATE UNIQUE INDEX ceremonies_one_open ON ceremonies(status) WHERE status = 'open';
CREATE TRIGGER ceremonies_forward BEFORE UPDATE ON ceremonies
WHEN OLD.status <> 'open' OR NEW.status = 'open' OR NEW.setup IS NOT OLD.setup OR NEW.epoch IS NOT OLD.epoch
  OR NEW.kind IS NOT OLD.kind OR NEW.previous_epoch IS NOT OLD.previous_epoch OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a ceremony only closes, once'); END;
CREATE TRIGGER ceremonies_no_delete BEFORE DELETE ON ceremonies
BEGIN SELECT RAISE(ABORT, 'ceremonies are kept'); END;

CREATE TABLE ceremony_members (
    ceremony_id INTEGER NOT NULL REFERENCES ceremonies(id),
    participant INTEGER NOT NULL CHECK (participant >= 1),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (ceremony_id, participant),
    UNIQUE (ceremony_id, user_id)
) WITHOUT ROWID;
CREATE TRIGGER ceremony_members_fixed BEFORE UPDATE ON ceremony_members
BEGIN SELECT RAISE(ABORT, 'a ceremony''s members are fixed'); END;
CREATE TRIGGER ceremony_members_no_delete BEFORE DELETE ON ceremony_members
BEGIN SELECT RAISE(ABORT, 'a ceremony''s members are fixed'); END;

-- What each device sent, step by step: its commitment (the dealing's digest), its dealing (share boxes;
-- deleted when the ceremony closes), its receipt (its boxes checked out), its signature of the transcript.
CREATE TABLE ceremony_steps (
    ceremony_id INTEGER NOT NULL REFERENCES ceremonies(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    step        TEXT    NOT NULL CHECK (step IN ('commit', 'dealing', 'receipt', 'signature')),
    dealer      INTEGER,
    body        BLOB,
    signer      BLOB,
    at          INTEGER NOT NULL,
    PRIMARY KEY (ceremony_id, user_id, step)
) WITHOUT ROWID;
CREATE TRIGGER ceremony_steps_fixed BEFORE UPDATE ON ceremony_steps
BEGIN SELECT RAISE(ABORT, 'ceremony steps are not edited'); END;
CREATE TRIGGER ceremony_steps_only_open BEFORE INSERT ON ceremony_steps
WHEN (SELECT status FROM ceremonies WHERE id = NEW.ceremony_id) IS NOT 'open'
BEGIN SELECT RAISE(ABORT, 'the ceremony is closed'); END;
CREATE TRIGGER ceremony_steps_keep_record BEFORE DELETE ON ceremony_steps
WHEN OLD.step <> 'dealing'
BEGIN SELECT RAISE(ABORT, 'only dealings (share boxes) are deleted'); END;

-- An epoch carries the transcript its row must agree with, and the ceremony that made it.
ALTER TABLE key_epochs ADD COLUMN kind TEXT NOT NULL DEFAULT 'legacy' CHECK (kind IN ('legacy', 'new_key', 'redistribution'));
ALTER TABLE key_epochs ADD COLUMN previous_epoch INTEGER REFERENCES key_epochs(epoch);
ALTER TABLE key_epochs ADD COLUMN transcript BLOB;
ALTER TABLE key_epochs ADD COLUMN transcript_hash BLOB;
ALTER TABLE key_epochs ADD COLUMN ceremony_id INTEGER REFERENCES ceremonies(id);

-- The signatures that make a transcript an epoch: all of its custodians', k of the epoch before's.
CREATE TABLE epoch_signatures (
    epoch     INTEGER NOT NULL REFERENCES key_epochs(epoch),
    signer    BLOB    NOT NULL,
    signature BLOB    NOT NULL,
    PRIMARY KEY (epoch, signer)
) WITHOUT ROWID;
CREATE TRIGGER epoch_signatures_fixed BEFORE UPDATE ON epoch_signatures
BEGIN SELECT RAISE(ABORT, 'epoch signatures are write-once'); END;
CREATE TRIGGER epoch_signatures_no_delete BEFORE DELETE ON epoch_signatures
BEGIN SELECT RAISE(ABORT, 'epoch signatures are write-once'); END;
