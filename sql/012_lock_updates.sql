-- Live updates of section locks: taking, renewing and releasing a lock
-- wakes the publishers of every kompassd on this database (LISTEN
-- kompass_updates), like the audit chain's events do (006_editing.sql), so
-- that subscribers see who is editing what without polling. Locks are not
-- versioned and not audited (a break is: lock.break); the payload carries
-- the lock's key, its holder's id and its times, nothing else:
--   lock:EVALUATION:AREA:SECTION:take|renew|release:HOLDER_ID:EXPIRES_US:ACQUIRED_US
-- A publisher of an older kompassd ignores it (it is not "evaluation:seq").
CREATE FUNCTION section_locks_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    l  section_locks;
    op text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        l := OLD;
        op := 'release';
    ELSIF TG_OP = 'INSERT' OR OLD.token <> NEW.token THEN
        l := NEW;
        op := 'take';
    ELSE
        l := NEW;
        op := 'renew';
    END IF;
    PERFORM pg_notify('kompass_updates', 'lock:' || l.evaluation_id || ':' || l.area_number
        || ':' || l.section || ':' || op || ':' || l.holder_id
        || ':' || (extract(epoch FROM l.expires_at) * 1000000)::bigint
        || ':' || (extract(epoch FROM l.acquired_at) * 1000000)::bigint);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER section_locks_notify AFTER INSERT OR UPDATE OR DELETE ON section_locks
    FOR EACH ROW EXECUTE FUNCTION section_locks_notify();
