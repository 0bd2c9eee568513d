-- A wrong password from admin's known client (its session of 2017-03-14),
-- and one from an unknown client at the same address.
INSERT INTO security_log (at, kind, login, user_id, client_addr, rpc, detail, client_session)
VALUES ('2017-03-15 08:00:00+00', 'login_failed', 'admin', (SELECT id FROM users WHERE login = 'admin'),
        '10.0.0.8', 'login', 'wrong password',
        (SELECT id FROM sessions WHERE token_hash = repeat('b', 64))),
       ('2017-03-15 08:01:00+00', 'login_failed', 'admin', (SELECT id FROM users WHERE login = 'admin'),
        '10.0.0.8', 'login', 'wrong password', NULL);
