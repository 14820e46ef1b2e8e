-- Several processes send from one PostgreSQL database. Each has a run, a
-- random number drawn as it opens the database and held alive by a
-- session-level advisory lock on a connection of its own (store/leases.go).
-- claimed_by is the run that claimed the entry last: a process starting
-- takes back at once only the entries whose run's lock is free, the
-- process that claimed them being gone (store/outbox.go ReleaseOutbox).
-- 0: claimed before runs were kept; such an entry goes again when its
-- lease ends.
ALTER TABLE outbox ADD COLUMN claimed_by BIGINT NOT NULL DEFAULT 0;
