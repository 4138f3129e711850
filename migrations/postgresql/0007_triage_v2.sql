-- PostgreSQL twin of migrations/0007_triage_v2.sql: what the person reads besides level and reasons (JSON).
ALTER TABLE triage_results ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
