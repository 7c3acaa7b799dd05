-- 0007: the audit explorer pages newest first by (at, seq) under any one filter without sorting the log:
-- actor and action already have (column, at) indexes from 0001; these serve no filter and a target filter.
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_target_at ON audit_events(target, at);
