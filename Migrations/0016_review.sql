-- 0016: review inside a grant. A request may be filed for a matter; what reviewers decide about a message
-- (its coding) belongs to that matter, or to the archive for requests filed without one. Decisions are metadata
-- about a message and outlive the grant; their free text, like every display value, is sealed by the server
-- before it is stored. Coding layouts are what legal defines: field names and choices, not content.

-- The matter a request was filed for. Fixed once written, like the request's scope.
CREATE TABLE request_matters (
    request_id INTEGER PRIMARY KEY REFERENCES decryption_requests(id),
    matter_id  INTEGER NOT NULL REFERENCES matters(id)
);
CREATE TRIGGER request_matters_fixed BEFORE UPDATE ON request_matters
BEGIN SELECT RAISE(ABORT, 'the matter of a request is fixed'); END;
CREATE TRIGGER request_matters_no_delete BEFORE DELETE ON request_matters
BEGIN SELECT RAISE(ABORT, 'the matter of a request is fixed'); END;

-- `scope` is 'archive' or 'matter:<id>'; `layout` is the layout's canonical text (CodingLayout).
CREATE TABLE coding_layouts (
    scope      TEXT    PRIMARY KEY CHECK (scope = 'archive' OR scope GLOB 'matter:[1-9]*'),
    layout     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id)
) WITHOUT ROWID;

-- The current coding of a message in a scope: one row, changed in place; every change is also in the audit
-- log with the value it replaced. `changes` counts changes after the first coding (security's report).
CREATE TABLE review_decisions (
    id             INTEGER PRIMARY KEY,
    scope          TEXT    NOT NULL CHECK (scope = 'archive' OR scope GLOB 'matter:[1-9]*'),
    message_id     INTEGER NOT NULL REFERENCES messages(id),
    codes          TEXT    NOT NULL,
    tags           TEXT    NOT NULL,
    basis          BLOB,
    reviewer_id    INTEGER NOT NULL REFERENCES users(id),
    request_id     INTEGER NOT NULL REFERENCES decryption_requests(id),
    first_coded_at INTEGER NOT NULL,
    first_reviewer INTEGER NOT NULL REFERENCES users(id),
    coded_at       INTEGER NOT NULL CHECK (coded_at >= first_coded_at),
    changes        INTEGER NOT NULL DEFAULT 0 CHECK (changes >= 0),
    UNIQUE (scope, message_id)
);
CREATE INDEX review_decisions_message ON review_decisions(message_id);
CREATE TRIGGER review_decisions_history BEFORE UPDATE ON review_decisions
WHEN NEW.scope IS NOT OLD.scope OR NEW.message_id IS NOT OLD.message_id
  OR NEW.first_coded_at IS NOT OLD.first_coded_at OR NEW.first_reviewer IS NOT OLD.first_reviewer
  OR NEW.changes < OLD.changes OR NEW.coded_at < OLD.coded_at
BEGIN SELECT RAISE(ABORT, 'a coding changes only forward'); END;
CREATE TRIGGER review_decisions_no_delete BEFORE DELETE ON review_decisions
BEGIN SELECT RAISE(ABORT, 'review decisions are kept'); END;
