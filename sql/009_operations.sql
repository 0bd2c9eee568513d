-- 009: operations. The answers to recent writes, so that a write retried
-- with the same request_id (after a timeout, a failover, or a move to
-- another kompassd) gets its first answer instead of being done twice.
--
-- A row is inserted in the same transaction as the write it answers
-- (server/replay.c), so a write and its row are committed together or not
-- at all; the primary key makes two copies of one request racing on two
-- workers (or two kompassd) end with one committed and the other undone.
-- Rows are kept a day. This is a cache of answers, not data: no foreign
-- keys, and nothing else reads it.

CREATE TABLE request_log (
    user_id     bigint NOT NULL,                   -- the caller (users.id)
    request_id  text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 64),
    rpc         text NOT NULL,                     -- "user_add": an id reused for another RPC is refused
    response    bytea NOT NULL,                    -- the serialized kompass.v1.Response
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, request_id)
);
CREATE INDEX request_log_at ON request_log (at);

-- Who took a copy of everything: `kompass admin backup` is recorded in the
-- security log (kind 'backup'), beside logins, as access rather than change
-- (server/rpc_backup.c). A later migration that redefines this check must
-- keep 'backup', or backups will be refused for want of a record.
ALTER TABLE security_log DROP CONSTRAINT security_log_kind_check;
ALTER TABLE security_log ADD CONSTRAINT security_log_kind_check
    CHECK (kind IN ('login', 'logout', 'login_failed', 'throttled', 'denied', 'unauthenticated',
                    'backup'));
