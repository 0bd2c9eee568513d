-- The audit trail as an installation at this schema holds it: a user added,
-- one disabled, a password reset, in the global chain, each event hashed as
-- server/audit.c hashes it (docs/audit.md, "The hash") so that `kompass audit
-- verify` passes after the upgrade; and security events of the kinds this
-- migration adds. Values are ASCII: the canonical form escapes anything else
-- as \uXXXX, which to_json does not.
INSERT INTO users (login, full_name, organisation, role, password_hash, created_at, created_by)
VALUES ('anna', 'Anna Eklund', 'SKL', 'evaluator',
        '$argon2id$v=19$m=65536,t=2,p=1$C+uGXJN4p68PqIpUvbfQKw$7nCuXPVaHUIrMn8wP/+U6RqeKAfw6GUy5tK2bLXwl0Y',
        '2017-01-12 10:00:00+00', (SELECT id FROM users WHERE login = 'admin'));

CREATE FUNCTION pg_temp.fixture_event(p_at timestamptz, p_actor text, p_action text,
                                      p_target text, p_before text, p_after text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_seq      bigint;
    v_prev     text;
    v_actor_id bigint;
    v_at       text;
    v_canon    text;
BEGIN
    SELECT coalesce(max(seq), 0) + 1 INTO v_seq FROM audit_events WHERE evaluation_id = 0;
    SELECT coalesce((SELECT hash FROM audit_events WHERE evaluation_id = 0
                     ORDER BY seq DESC LIMIT 1), repeat('0', 64)) INTO v_prev;
    SELECT id INTO v_actor_id FROM users WHERE login = p_actor;
    v_at := to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    v_canon := '{"action":' || to_json(p_action)::text
            || ',"actor":' || to_json(p_actor)::text
            || ',"actor_id":' || v_actor_id
            || ',"after":' || to_json(p_after)::text
            || ',"at":' || to_json(v_at)::text
            || ',"before":' || to_json(p_before)::text
            || ',"client_addr":"10.0.0.8","client_key":"","eval_version":0,"evaluation_id":0'
            || ',"prev_hash":' || to_json(v_prev)::text
            || ',"real_actor":"","real_actor_id":0,"reason":""'
            || ',"seq":' || v_seq
            || ',"target":' || to_json(p_target)::text
            || ',"v":1}';
    INSERT INTO audit_events (evaluation_id, seq, at, actor_id, actor, client_addr, action,
                              target, before, after, prev_hash, hash)
    VALUES (0, v_seq, p_at, v_actor_id, p_actor, '10.0.0.8', p_action, p_target, p_before,
            p_after, v_prev, encode(sha256(convert_to(v_canon, 'UTF8')), 'hex'));
END
$$;

SELECT pg_temp.fixture_event('2017-01-12 10:00:00.123456+00', 'admin', 'user.add', 'user anna', '',
       '{"login":"anna","full_name":"Anna Eklund","organisation":"SKL","role":"evaluator","active":true}');
SELECT pg_temp.fixture_event('2017-02-01 13:00:00+00', 'admin', 'user.disable', 'user kim',
       '{"active":true}', '{"active":false,"sessions_ended":1}');
SELECT pg_temp.fixture_event('2017-03-14 08:05:00.5+00', 'admin', 'user.reset_password', 'user ewa',
       '{"credentials_set_at":"2017-01-10T10:00:00.000000Z"}',
       '{"credentials_set_at":"2017-03-14T08:05:00.500000Z","sessions_ended":0}');

INSERT INTO security_log (at, kind, login, user_id, client_addr, rpc, detail)
VALUES ('2017-03-14 08:00:00+00', 'login', 'admin', (SELECT id FROM users WHERE login = 'admin'),
        '10.0.0.8', 'login', ''),
       ('2017-03-14 09:00:00+00', 'logout', 'admin', (SELECT id FROM users WHERE login = 'admin'),
        '10.0.0.8', 'logout', '');
