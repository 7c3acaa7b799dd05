-- 0003: what the auditor's workbench needs: aggregate counts kept at ingest (facets over the
-- whole archive never scan it), an index for participant searches by part, and saved searches
-- (their query text is sealed under the metadata key, as it can name participants).

CREATE TABLE message_counts (
    platform TEXT    NOT NULL,
    month    TEXT    NOT NULL,   -- YYYY-MM of sent_at, UTC
    count    INTEGER NOT NULL,
    PRIMARY KEY (platform, month)
) WITHOUT ROWID;

INSERT INTO message_counts (platform, month, count)
SELECT platform, strftime('%Y-%m', sent_at, 'unixepoch'), count(*) FROM messages GROUP BY 1, 2;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO message_counts (platform, month, count)
    VALUES (NEW.platform, strftime('%Y-%m', NEW.sent_at, 'unixepoch'), 1)
    ON CONFLICT (platform, month) DO UPDATE SET count = count + 1;
END;

CREATE INDEX message_participants_token_part ON message_participants(token, part, sent_at, message_id);

CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT    NOT NULL,
    query      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX saved_searches_user ON saved_searches(user_id, id);
