-- Sign-in attempts, counted where every Switchboard process sharing the
-- database sees them (SQLite's single server keeps them in memory). One
-- row per attempt and key (a client address, an e-mail address): a check
-- under way (failed_at NULL) counts until expires_at, when a process that
-- died mid-check no longer holds it; a failure counts until expires_at,
-- the end of the limiter's window.
CREATE TABLE login_attempts (
    id          BIGSERIAL PRIMARY KEY,
    reservation BIGINT NOT NULL,
    key         TEXT NOT NULL,
    failed_at   BIGINT,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts (key, expires_at);
CREATE INDEX login_attempts_reservation ON login_attempts (reservation);
CREATE INDEX login_attempts_expiry ON login_attempts (expires_at);
