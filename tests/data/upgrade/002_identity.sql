-- Users of each role, one disabled, sessions live and ended, security events.
INSERT INTO users (login, full_name, organisation, role, active, password_hash, password_set_at,
                   created_at, last_login_at)
VALUES ('admin', 'Christine Feuk', 'SKL', 'admin', true,
        '$argon2id$v=19$m=65536,t=2,p=1$UoTw7MSbGkKB7wYHap35mw$LWN9+vqDeyOZdFH9LViB9sZT8vBV07aOFziuNppEZYM',
        '2016-02-01 09:05:00+00', '2016-02-01 09:05:00+00', '2017-03-14 08:00:00+00'),
       ('ewa', 'Ewa Luvö', 'Borås Stad', 'evaluator', true,
        '$argon2id$v=19$m=65536,t=2,p=1$C+uGXJN4p68PqIpUvbfQKw$7nCuXPVaHUIrMn8wP/+U6RqeKAfw6GUy5tK2bLXwl0Y',
        '2017-01-10 10:00:00+00', '2017-01-10 10:00:00+00', NULL),
       ('kim', 'Kim Kontakt', 'Västerås stad', 'observer', false,
        '$argon2id$v=19$m=65536,t=2,p=1$C+uGXJN4p68PqIpUvbfQKw$7nCuXPVaHUIrMn8wP/+U6RqeKAfw6GUy5tK2bLXwl0Y',
        '2017-01-11 10:00:00+00', '2017-01-11 10:00:00+00', '2017-02-01 12:00:00+00');
UPDATE users SET created_by = (SELECT id FROM users WHERE login = 'admin')
 WHERE login IN ('ewa', 'kim');

INSERT INTO sessions (user_id, token_hash, created_at, last_used_at, idle_expires_at, expires_at,
                      revoked_at, revoked_why, client_addr, client_key)
VALUES ((SELECT id FROM users WHERE login = 'kim'), repeat('a', 64),
        '2017-02-01 12:00:00+00', '2017-02-01 12:30:00+00', '2017-02-02 00:30:00+00',
        '2017-02-08 12:00:00+00', '2017-02-01 13:00:00+00', 'user_disabled', '10.0.0.7', ''),
       ((SELECT id FROM users WHERE login = 'admin'), repeat('b', 64),
        '2017-03-14 08:00:00+00', '2017-03-14 08:10:00+00', '2099-01-01 00:00:00+00',
        '2099-01-01 00:00:00+00', NULL, NULL, '10.0.0.8', '');

INSERT INTO security_log (at, kind, login, user_id, client_addr, rpc, detail)
VALUES ('2017-02-01 11:59:00+00', 'login_failed', 'kim', (SELECT id FROM users WHERE login = 'kim'),
        '10.0.0.7', 'login', 'wrong password'),
       ('2017-02-01 13:00:00+00', 'denied', 'kim', (SELECT id FROM users WHERE login = 'kim'),
        '10.0.0.7', 'user_add', 'DENIED: user_add is for admin; you are observer');
