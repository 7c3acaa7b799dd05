-- 0005: cheaper ingest, and no whole-archive scan for the list of retention classes.
--
-- message_participants had two indexes in random order of token: (token, sent_at, message_id) from 0002 and
-- (token, part, sent_at, message_id) from 0003. Every participant row went into both. One suffices: the table
-- is WITHOUT ROWID with primary key (message_id, token, part), so message_participants_token holds `part`
-- too and covers a search by part; SQLite walks the person's entries newest first and skips other parts
-- inside the index (EXPLAIN QUERY PLAN: SEARCH d USING COVERING INDEX message_participants_token), keyset
-- pages included. The (token, part, …) index cannot serve a search by any part in time order, so it goes.
DROP INDEX message_participants_token_part;

-- Retention classes in use, kept as messages arrive (the class a message is stored under never changes:
-- messages are write-once), so listing them reads this table instead of every message.
CREATE TABLE retention_classes (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;

INSERT INTO retention_classes (name) SELECT DISTINCT retention_class FROM messages;

CREATE TRIGGER messages_retention_class_insert AFTER INSERT ON messages
BEGIN
    INSERT INTO retention_classes (name) VALUES (NEW.retention_class) ON CONFLICT (name) DO NOTHING;
END;
