-- 0002: custodian keys, archive key epochs and their sealed shares, capture tokens, and the
-- write-once message store with its metadata-only index.
-- Nothing here is content: subjects, bodies and attachment names never reach the server in
-- clear. Participant addresses and conversation ids are stored only as keyed BLAKE2b tokens
-- (for exact search) and as display values sealed under the server's metadata key.

CREATE TABLE custodian_keys (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    public_key BLOB    NOT NULL UNIQUE,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE key_epochs (
    epoch       INTEGER PRIMARY KEY,
    threshold   INTEGER NOT NULL CHECK (threshold >= 2),
    share_count INTEGER NOT NULL CHECK (share_count >= threshold),
    public_key  BLOB    NOT NULL,
    commitments BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL
);

CREATE TABLE key_shares (
    epoch        INTEGER NOT NULL REFERENCES key_epochs(epoch),
    share_index  INTEGER NOT NULL,
    custodian_id INTEGER NOT NULL REFERENCES users(id),
    sealed       BLOB    NOT NULL,
    PRIMARY KEY (epoch, share_index),
    UNIQUE (epoch, custodian_id)
) WITHOUT ROWID;

CREATE TRIGGER key_epochs_write_once BEFORE UPDATE ON key_epochs
BEGIN SELECT RAISE(ABORT, 'key epochs are write-once'); END;
CREATE TRIGGER key_epochs_no_delete BEFORE DELETE ON key_epochs
BEGIN SELECT RAISE(ABORT, 'key epochs are write-once'); END;
CREATE TRIGGER key_shares_write_once BEFORE UPDATE ON key_shares
BEGIN SELECT RAISE(ABORT, 'key shares are write-once'); END;

CREATE TABLE capture_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);

-- The metadata index. Ciphertext lives in `envelopes`, apart, so searches never page through it.
CREATE TABLE messages (
    id                   INTEGER PRIMARY KEY,
    uid                  TEXT    NOT NULL UNIQUE,
    platform             TEXT    NOT NULL,
    conversation         BLOB    NOT NULL,
    conversation_display BLOB    NOT NULL,
    direction            TEXT    NOT NULL,
    sent_at              INTEGER NOT NULL,
    captured_at          INTEGER NOT NULL,
    size                 INTEGER NOT NULL,
    attachment_count     INTEGER NOT NULL,
    media_types          TEXT    NOT NULL,
    retention_class      TEXT    NOT NULL,
    epoch                INTEGER NOT NULL REFERENCES key_epochs(epoch),
    ciphertext_hash      BLOB    NOT NULL,
    capture_token_id     INTEGER NOT NULL REFERENCES capture_tokens(id)
);
CREATE INDEX messages_sent_at ON messages(sent_at, id);
CREATE INDEX messages_platform_sent_at ON messages(platform, sent_at, id);
CREATE INDEX messages_conversation_sent_at ON messages(conversation, sent_at, id);

CREATE TABLE message_participants (
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    part         TEXT    NOT NULL CHECK (part IN ('from', 'to', 'cc', 'bcc', 'member')),
    token        BLOB    NOT NULL,
    domain_token BLOB,
    display      BLOB    NOT NULL,
    sent_at      INTEGER NOT NULL,
    PRIMARY KEY (message_id, token, part)
) WITHOUT ROWID;
CREATE INDEX message_participants_token ON message_participants(token, sent_at, message_id);
CREATE INDEX message_participants_domain ON message_participants(domain_token, sent_at, message_id);

CREATE TABLE envelopes (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    header     BLOB NOT NULL,
    ephemeral  BLOB NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL
);

-- Archived messages are write-once (P5). Disposal will get its own, hold-checked path.
CREATE TRIGGER messages_write_once BEFORE UPDATE ON messages
BEGIN SELECT RAISE(ABORT, 'archived messages are write-once'); END;
CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'archived messages are write-once'); END;
CREATE TRIGGER message_participants_write_once BEFORE UPDATE ON message_participants
BEGIN SELECT RAISE(ABORT, 'archived messages are write-once'); END;
CREATE TRIGGER message_participants_no_delete BEFORE DELETE ON message_participants
BEGIN SELECT RAISE(ABORT, 'archived messages are write-once'); END;
CREATE TRIGGER envelopes_write_once BEFORE UPDATE ON envelopes
BEGIN SELECT RAISE(ABORT, 'archived messages are write-once'); END;
CREATE TRIGGER envelopes_no_delete BEFORE DELETE ON envelopes
BEGIN SELECT RAISE(ABORT, 'archived messages are write-once'); END;
