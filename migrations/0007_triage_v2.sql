-- Triage results keep what the person reads besides level and reasons: who it was for and the
-- age band, the action line, the notes, the fact ids behind the result (for /sources and the
-- report), and where the answers and the journal disagreed. JSON, '{}' for older results.

ALTER TABLE triage_results ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
