-- 011: password throttling that cannot be aimed (server/throttle.h).
--
-- A failed password attempt made by a known client, one that showed a
-- session of that login (the one it is in, or on a Login the token of its
-- last session), is recorded with that session, and counted for that client
-- alone: no one else's guesses, by login or by address, slow it down, and
-- its failures do not slow anyone else.  NULL: an unknown client.
ALTER TABLE security_log ADD COLUMN client_session bigint REFERENCES sessions (id);
CREATE INDEX security_log_by_client_session ON security_log (client_session, kind, at)
    WHERE client_session IS NOT NULL;
