-- 0017: notes on a message and escalations to a second reviewer. A note's text, and the resolution of an
-- escalation, are sealed by the server like other display values. A note is never changed or deleted; an
-- escalation is resolved once, by someone other than its author.
CREATE TABLE review_notes (
    id          INTEGER PRIMARY KEY,
    scope       TEXT    NOT NULL CHECK (scope = 'archive' OR scope GLOB 'matter:[1-9]*'),
    message_id  INTEGER NOT NULL REFERENCES messages(id),
    author_id   INTEGER NOT NULL REFERENCES users(id),
    request_id  INTEGER NOT NULL REFERENCES decryption_requests(id),
    written_at  INTEGER NOT NULL,
    body        BLOB    NOT NULL,
    escalated   INTEGER NOT NULL DEFAULT 0 CHECK (escalated IN (0, 1)),
    resolved_at INTEGER,
    resolved_by INTEGER REFERENCES users(id),
    resolution  BLOB,
    CHECK (resolved_at IS NULL OR escalated = 1),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL) AND (resolved_at IS NULL) = (resolution IS NULL)),
    CHECK (resolved_by IS NULL OR resolved_by <> author_id)
);
CREATE INDEX review_notes_message ON review_notes(message_id, id);
CREATE INDEX review_notes_scope ON review_notes(scope, id);
CREATE TRIGGER review_notes_resolve_once BEFORE UPDATE ON review_notes
WHEN OLD.resolved_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.scope IS NOT OLD.scope OR NEW.message_id IS NOT OLD.message_id
  OR NEW.author_id IS NOT OLD.author_id OR NEW.request_id IS NOT OLD.request_id OR NEW.written_at IS NOT OLD.written_at
  OR NEW.body IS NOT OLD.body OR NEW.escalated IS NOT OLD.escalated
BEGIN SELECT RAISE(ABORT, 'a note is kept as written; an escalation is resolved once'); END;
CREATE TRIGGER review_notes_no_delete BEFORE DELETE ON review_notes
BEGIN SELECT RAISE(ABORT, 'review notes are kept'); END;
