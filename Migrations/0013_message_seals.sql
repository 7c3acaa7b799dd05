-- 0013: every message carries its seal (one 16-byte digest per group of index facts and envelope parts, see
-- MessageSeal). Ingest audit entries from here on cover the seals, so an index row edited behind the triggers
-- (a sent time or participant moved out of a hold's scope, an ephemeral key swapped) is found by `custos verify`
-- and refused by approval and disposition. Messages stored before this migration keep a NULL seal and are
-- covered by the older digest (id, uid, ciphertext hash) of their batch.
ALTER TABLE messages ADD COLUMN seal BLOB CHECK (seal IS NULL OR length(seal) = 128);

-- Approval and disposition look up the audited batch of one message by id: the ingest entries by the end of
-- their id range.
CREATE INDEX audit_events_ingest_last_id ON audit_events(CAST(json_extract(details, '$.last_id') AS INTEGER))
WHERE action = 'messages.ingested';
