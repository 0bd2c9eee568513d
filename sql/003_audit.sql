-- 003: the audit trail (docs/audit.md), the application role, and the
-- security log made append-only like the trail.
--
-- audit_events is append-only: one hash chain per evaluation (evaluation_id)
-- and one global chain (evaluation_id 0) for administrative actions. kompassd's
-- workers run as the role kompass_app, which may only SELECT and INSERT here;
-- triggers refuse UPDATE, DELETE and TRUNCATE for every role that is not a
-- superuser (the table's owner included), and check on INSERT that an event
-- extends its chain (next sequence number, previous event's hash).

-- ------------------------------------------------------------ the app role
-- Roles belong to the whole cluster, and several databases of one cluster
-- may migrate at the same time (the tests do): create it only if missing,
-- and let a concurrent creator win.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kompass_app') THEN
        BEGIN
            CREATE ROLE kompass_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- another database's migration created it just now
        END;
    END IF;
    -- The connecting (owner) role must be able to SET ROLE kompass_app.
    -- Superusers can without membership; granting to them would only race.
    IF NOT pg_has_role(current_user, 'kompass_app', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT kompass_app TO %I', current_user);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;

-- Ordinary tables: read and write rows, nothing else (no TRUNCATE, no DDL).
GRANT USAGE ON SCHEMA public TO kompass_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kompass_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO kompass_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kompass_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO kompass_app;
-- The schema's history is the migrations' business alone.
REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM kompass_app;

-- ------------------------------------------------------------ the events
CREATE TABLE audit_events (
    id            bigserial PRIMARY KEY,
    evaluation_id bigint NOT NULL CHECK (evaluation_id >= 0), -- 0: the global chain
    seq           bigint NOT NULL CHECK (seq >= 1),           -- 1, 2, ... within the chain
    at            timestamptz NOT NULL,                       -- server time, microseconds
    actor_id      bigint NOT NULL DEFAULT 0,                  -- 0: kompassd itself
    actor         text NOT NULL DEFAULT '',                   -- login at the time
    real_actor_id bigint NOT NULL DEFAULT 0,                  -- admin acting for actor, else 0
    real_actor    text NOT NULL DEFAULT '',
    client_addr   text NOT NULL DEFAULT '',
    client_key    text NOT NULL DEFAULT '',                   -- CURVE public key, Z85
    action        text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.-]*$'),
    target        text NOT NULL CHECK (target <> ''),
    before        text NOT NULL DEFAULT '',                   -- JSON text, '' when nothing
    after         text NOT NULL DEFAULT '',                   -- JSON text, '' when nothing
    reason        text NOT NULL DEFAULT '',
    eval_version  bigint NOT NULL DEFAULT 0,                  -- 0: no evaluation version
    prev_hash     text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash          text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    UNIQUE (evaluation_id, seq)
);
CREATE INDEX audit_events_action ON audit_events (evaluation_id, action);
CREATE INDEX audit_events_actor ON audit_events (evaluation_id, actor);

-- Append-only for everyone but a superuser. Privileges already keep
-- kompass_app out; this also stops the owner and anyone later granted more.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) THEN
        RAISE EXCEPTION 'the audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- An event must extend its chain: the next sequence number, linked to the
-- hash of the chain's last event. Writers take the chain's advisory lock
-- (audit_chain_lock) before reading the head, so this holds under
-- concurrency; the trigger takes it too, so a writer that forgot cannot
-- slip in between.
CREATE FUNCTION audit_chain_lock(chain bigint) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('kompass.audit.chain', chain));
$$;

CREATE FUNCTION audit_check_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last_seq  bigint;
    last_hash text;
BEGIN
    PERFORM audit_chain_lock(NEW.evaluation_id);
    SELECT seq, hash INTO last_seq, last_hash FROM audit_events
        WHERE evaluation_id = NEW.evaluation_id ORDER BY seq DESC LIMIT 1;
    IF NEW.seq <> coalesce(last_seq, 0) + 1
       OR NEW.prev_hash <> coalesce(last_hash, repeat('0', 64)) THEN
        RAISE EXCEPTION 'audit event does not extend chain %: seq % after %', NEW.evaluation_id,
            NEW.seq, coalesce(last_seq, 0);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_link BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_check_link();

GRANT SELECT, INSERT ON audit_events TO kompass_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM kompass_app;
GRANT USAGE ON SEQUENCE audit_events_id_seq TO kompass_app;
REVOKE UPDATE ON SEQUENCE audit_events_id_seq FROM kompass_app;

-- ------------------------------------------------------------ the security log
-- Refused attempts are evidence too: append-only like the trail. Logouts
-- join logins there (sessions are access, not data: docs/audit.md).
ALTER TABLE security_log DROP CONSTRAINT security_log_kind_check;
ALTER TABLE security_log ADD CONSTRAINT security_log_kind_check
    CHECK (kind IN ('login', 'logout', 'login_failed', 'throttled', 'denied', 'unauthenticated'));
REVOKE UPDATE, DELETE, TRUNCATE ON security_log FROM kompass_app;
CREATE TRIGGER security_log_no_update BEFORE UPDATE ON security_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER security_log_no_delete BEFORE DELETE ON security_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER security_log_no_truncate BEFORE TRUNCATE ON security_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
