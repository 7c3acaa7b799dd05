-- 0011: a minimum retention period (issue 18): no retention class is shorter, and no message is disposed of
-- before it has been kept that long since it was captured, so an administrator cannot have an import of old
-- mail destroyed the next day by a short class and a rule. Set once, when the archive is made (default one
-- year, 366 days), and never lowered; an archive made before this migration has the default.
CREATE TABLE archive_settings (
    name   TEXT    PRIMARY KEY,
    value  INTEGER NOT NULL CHECK (value >= 1),
    set_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER archive_settings_only_raised BEFORE UPDATE ON archive_settings
WHEN NEW.name IS NOT OLD.name OR (OLD.name = 'minimum_retention_days' AND NEW.value < OLD.value)
BEGIN SELECT RAISE(ABORT, 'the minimum retention period is never lowered'); END;
CREATE TRIGGER archive_settings_kept BEFORE DELETE ON archive_settings
BEGIN SELECT RAISE(ABORT, 'archive settings are kept'); END;

CREATE TRIGGER retention_policies_minimum_on_insert BEFORE INSERT ON retention_policies
WHEN NEW.period_days < coalesce((SELECT value FROM archive_settings WHERE name = 'minimum_retention_days'), 366)
BEGIN SELECT RAISE(ABORT, 'a retention period cannot be shorter than the archive minimum'); END;
CREATE TRIGGER retention_policies_minimum_on_update BEFORE UPDATE OF period_days ON retention_policies
WHEN NEW.period_days < coalesce((SELECT value FROM archive_settings WHERE name = 'minimum_retention_days'), 366)
BEGIN SELECT RAISE(ABORT, 'a retention period cannot be shorter than the archive minimum'); END;

DROP TRIGGER disposals_after_retention;
CREATE TRIGGER disposals_after_retention BEFORE INSERT ON disposals
WHEN NOT EXISTS (
    SELECT 1 FROM messages m JOIN retention_policies p ON p.name = m.retention_class
    WHERE m.id = NEW.message_id AND NEW.disposed_at >= m.sent_at + p.period_days * 86400
      AND NEW.disposed_at >= m.captured_at
          + coalesce((SELECT value FROM archive_settings WHERE name = 'minimum_retention_days'), 366) * 86400)
BEGIN SELECT RAISE(ABORT, 'message is still within its retention period, or within the archive minimum since its capture'); END;
