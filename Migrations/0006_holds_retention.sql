-- 0006: matters, legal holds, retention policies and disposition (P5).
--
-- A hold wins over every other path, and the schema says so itself: `hold_coverage` is the one definition of
-- which messages an active hold covers, and the triggers below refuse to record a disposal of, or to delete the
-- envelope of, any message it covers. Raw SQL against the database meets the same triggers as the application.
-- Matter names, descriptions, participant and conversation values and release reasons can name people, so they
-- are sealed under the metadata key like every other display value; scopes are matched on blind tokens.

CREATE TABLE matters (
    id          INTEGER PRIMARY KEY,
    name        BLOB    NOT NULL,
    description BLOB    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at  INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    updated_at  INTEGER NOT NULL
);

CREATE TABLE matter_members (
    matter_id INTEGER NOT NULL REFERENCES matters(id),
    user_id   INTEGER NOT NULL REFERENCES users(id),
    added_at  INTEGER NOT NULL,
    added_by  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (matter_id, user_id)
) WITHOUT ROWID;

CREATE TRIGGER matters_no_delete BEFORE DELETE ON matters
BEGIN SELECT RAISE(ABORT, 'matters are kept'); END;

-- A hold's scope is fixed when it is placed: `term_count` says how many terms it has, and no more can be added
-- later (an added term would narrow it). The one change a hold allows is its release, once, with a reason.
CREATE TABLE legal_holds (
    id             INTEGER PRIMARY KEY,
    matter_id      INTEGER NOT NULL REFERENCES matters(id),
    sent_after     INTEGER,            -- covers messages sent at or after this time
    sent_before    INTEGER,            -- … and before this time (exclusive)
    term_count     INTEGER NOT NULL CHECK (term_count >= 0),
    placed_at      INTEGER NOT NULL,
    placed_by      INTEGER NOT NULL REFERENCES users(id),
    released_at    INTEGER,
    released_by    INTEGER REFERENCES users(id),
    release_reason BLOB,
    CHECK ((released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL))
);
CREATE INDEX legal_holds_matter ON legal_holds(matter_id, id);

CREATE TABLE hold_terms (
    hold_id INTEGER NOT NULL REFERENCES legal_holds(id),
    kind    TEXT    NOT NULL CHECK (kind IN ('participant', 'domain', 'conversation', 'platform')),
    value           NOT NULL,          -- blind token (BLOB), or the platform name (TEXT)
    display BLOB,                      -- sealed value as legal typed it; NULL for a platform
    PRIMARY KEY (hold_id, kind, value)
) WITHOUT ROWID;

CREATE TRIGGER legal_holds_release_only BEFORE UPDATE ON legal_holds
WHEN OLD.released_at IS NOT NULL OR NEW.released_at IS NULL
  OR NEW.id IS NOT OLD.id OR NEW.matter_id IS NOT OLD.matter_id
  OR NEW.sent_after IS NOT OLD.sent_after OR NEW.sent_before IS NOT OLD.sent_before
  OR NEW.term_count IS NOT OLD.term_count OR NEW.placed_at IS NOT OLD.placed_at OR NEW.placed_by IS NOT OLD.placed_by
BEGIN SELECT RAISE(ABORT, 'a legal hold''s scope is fixed; it can only be released, once'); END;
CREATE TRIGGER legal_holds_no_delete BEFORE DELETE ON legal_holds
BEGIN SELECT RAISE(ABORT, 'legal holds are kept'); END;
CREATE TRIGGER hold_terms_fixed BEFORE UPDATE ON hold_terms
BEGIN SELECT RAISE(ABORT, 'a legal hold''s scope is fixed'); END;
CREATE TRIGGER hold_terms_no_delete BEFORE DELETE ON hold_terms
BEGIN SELECT RAISE(ABORT, 'a legal hold''s scope is fixed'); END;
CREATE TRIGGER hold_terms_counted BEFORE INSERT ON hold_terms
WHEN (SELECT count(*) FROM hold_terms WHERE hold_id = NEW.hold_id) >= (SELECT term_count FROM legal_holds WHERE id = NEW.hold_id)
  OR (SELECT released_at FROM legal_holds WHERE id = NEW.hold_id) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a legal hold''s scope is fixed'); END;

CREATE TRIGGER matters_close_without_holds BEFORE UPDATE OF status ON matters
WHEN NEW.status = 'closed' AND EXISTS (SELECT 1 FROM legal_holds WHERE matter_id = OLD.id AND released_at IS NULL)
BEGIN SELECT RAISE(ABORT, 'a matter with active legal holds cannot be closed'); END;

-- Which messages each hold covers, now and as messages arrive: a message matches every kind of term the hold
-- has (any one value within a kind) and its date range. `active` is 1 until the hold is released.
CREATE VIEW hold_coverage AS
SELECT h.id AS hold_id, h.matter_id AS matter_id, m.id AS message_id, (h.released_at IS NULL) AS active
FROM legal_holds h, messages m
WHERE (h.sent_after IS NULL OR m.sent_at >= h.sent_after)
  AND (h.sent_before IS NULL OR m.sent_at < h.sent_before)
  AND (NOT EXISTS (SELECT 1 FROM hold_terms t WHERE t.hold_id = h.id AND t.kind = 'platform')
       OR EXISTS (SELECT 1 FROM hold_terms t WHERE t.hold_id = h.id AND t.kind = 'platform' AND t.value = m.platform))
  AND (NOT EXISTS (SELECT 1 FROM hold_terms t WHERE t.hold_id = h.id AND t.kind = 'conversation')
       OR EXISTS (SELECT 1 FROM hold_terms t WHERE t.hold_id = h.id AND t.kind = 'conversation' AND t.value = m.conversation))
  AND (NOT EXISTS (SELECT 1 FROM hold_terms t WHERE t.hold_id = h.id AND t.kind = 'participant')
       OR EXISTS (SELECT 1 FROM hold_terms t JOIN message_participants p ON p.message_id = m.id AND p.token = t.value
                  WHERE t.hold_id = h.id AND t.kind = 'participant'))
  AND (NOT EXISTS (SELECT 1 FROM hold_terms t WHERE t.hold_id = h.id AND t.kind = 'domain')
       OR EXISTS (SELECT 1 FROM hold_terms t JOIN message_participants p ON p.message_id = m.id AND p.domain_token = t.value
                  WHERE t.hold_id = h.id AND t.kind = 'domain'));

-- Retention: a class has a period in days, counted from when the message was sent. A period can be lengthened at
-- any time and shortened only while no message is in the class (retention_classes, from 0005, lists the classes
-- messages were stored under). Every message names a class that exists; 'default' always exists.
CREATE TABLE retention_policies (
    name        TEXT    PRIMARY KEY,
    period_days INTEGER NOT NULL CHECK (period_days BETWEEN 1 AND 73050),
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO retention_policies (name, period_days, description, created_at, updated_at)
VALUES ('default', 2557, 'Every message no rule assigns elsewhere: 7 years.', CAST(strftime('%s', 'now') AS INTEGER),
        CAST(strftime('%s', 'now') AS INTEGER));
INSERT INTO retention_policies (name, period_days, description, created_at, updated_at)
SELECT name, 2557, 'Found in use when retention policies were introduced.', CAST(strftime('%s', 'now') AS INTEGER),
       CAST(strftime('%s', 'now') AS INTEGER)
FROM retention_classes WHERE name <> 'default';

CREATE TRIGGER retention_policies_never_shorter BEFORE UPDATE OF period_days ON retention_policies
WHEN NEW.period_days < OLD.period_days AND EXISTS (SELECT 1 FROM retention_classes WHERE name = OLD.name)
BEGIN SELECT RAISE(ABORT, 'a retention period cannot be shortened once messages exist in its class'); END;
CREATE TRIGGER retention_policies_name_fixed BEFORE UPDATE OF name ON retention_policies
BEGIN SELECT RAISE(ABORT, 'a retention class cannot be renamed'); END;
CREATE TRIGGER retention_policies_kept BEFORE DELETE ON retention_policies
WHEN OLD.name = 'default' OR EXISTS (SELECT 1 FROM retention_classes WHERE name = OLD.name)
BEGIN SELECT RAISE(ABORT, 'a retention class with messages (or the default class) cannot be deleted'); END;
CREATE TRIGGER messages_known_retention_class BEFORE INSERT ON messages
WHEN NOT EXISTS (SELECT 1 FROM retention_policies WHERE name = NEW.retention_class)
BEGIN SELECT RAISE(ABORT, 'unknown retention class'); END;

-- Which class a message gets at capture: a conversation rule first, then a platform rule, else 'default'.
CREATE TABLE retention_rules (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('platform', 'conversation')),
    value              NOT NULL,       -- platform name (TEXT) or conversation token (BLOB)
    display    BLOB,                   -- sealed conversation id; NULL for a platform
    class      TEXT    NOT NULL REFERENCES retention_policies(name),
    created_at INTEGER NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    UNIQUE (kind, value)
);

-- Disposition. Runs are recorded (dry runs too); a disposal is a tombstone: the message's index row and its
-- ciphertext hash stay, its envelope goes. A disposal must be recorded before the envelope can be deleted, and
-- neither is possible for a message an active hold covers or whose retention period has not ended.
CREATE TABLE disposition_runs (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    dry_run     INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    actor       TEXT    NOT NULL,
    due         INTEGER NOT NULL DEFAULT 0,   -- past retention and not yet disposed
    held        INTEGER NOT NULL DEFAULT 0,   -- of those, kept by an active hold
    disposed    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE disposals (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id),
    run_id      INTEGER NOT NULL REFERENCES disposition_runs(id),
    disposed_at INTEGER NOT NULL
);

CREATE TRIGGER disposals_not_held BEFORE INSERT ON disposals
WHEN EXISTS (SELECT 1 FROM hold_coverage c WHERE c.message_id = NEW.message_id AND c.active)
BEGIN SELECT RAISE(ABORT, 'message is under legal hold'); END;
CREATE TRIGGER disposals_after_retention BEFORE INSERT ON disposals
WHEN NOT EXISTS (SELECT 1 FROM messages m JOIN retention_policies p ON p.name = m.retention_class
                 WHERE m.id = NEW.message_id AND NEW.disposed_at >= m.sent_at + p.period_days * 86400)
BEGIN SELECT RAISE(ABORT, 'message is still within its retention period'); END;
CREATE TRIGGER disposals_fixed BEFORE UPDATE ON disposals
BEGIN SELECT RAISE(ABORT, 'disposals are kept'); END;
CREATE TRIGGER disposals_no_delete BEFORE DELETE ON disposals
BEGIN SELECT RAISE(ABORT, 'disposals are kept'); END;

DROP TRIGGER envelopes_no_delete;
CREATE TRIGGER envelopes_only_disposed BEFORE DELETE ON envelopes
WHEN NOT EXISTS (SELECT 1 FROM disposals WHERE message_id = OLD.message_id)
BEGIN SELECT RAISE(ABORT, 'archived messages are write-once: only disposition removes an envelope'); END;
CREATE TRIGGER envelopes_not_held BEFORE DELETE ON envelopes
WHEN EXISTS (SELECT 1 FROM hold_coverage c WHERE c.message_id = OLD.message_id AND c.active)
BEGIN SELECT RAISE(ABORT, 'message is under legal hold'); END;

-- Hold notices: the people told to preserve what a hold covers, and whether they have acknowledged it.
CREATE TABLE hold_notices (
    id              INTEGER PRIMARY KEY,
    hold_id         INTEGER NOT NULL REFERENCES legal_holds(id),
    person          BLOB    NOT NULL,   -- sealed name or address
    notified_at     INTEGER NOT NULL,
    notified_by     INTEGER NOT NULL REFERENCES users(id),
    acknowledged_at INTEGER
);
CREATE INDEX hold_notices_hold ON hold_notices(hold_id, id);
CREATE TRIGGER hold_notices_acknowledge_only BEFORE UPDATE ON hold_notices
WHEN OLD.acknowledged_at IS NOT NULL OR NEW.acknowledged_at IS NULL OR NEW.hold_id IS NOT OLD.hold_id
  OR NEW.person IS NOT OLD.person OR NEW.notified_at IS NOT OLD.notified_at OR NEW.notified_by IS NOT OLD.notified_by
BEGIN SELECT RAISE(ABORT, 'a hold notice can only be acknowledged, once'); END;
CREATE TRIGGER hold_notices_no_delete BEFORE DELETE ON hold_notices
BEGIN SELECT RAISE(ABORT, 'hold notices are kept'); END;

-- Disposal deletes whatever key material was made for a message; find it without scanning.
CREATE INDEX grant_keys_message ON grant_keys(message_id);
CREATE INDEX request_partials_message ON request_partials(message_id);
