-- A recorded answer to a write, as replay (server/replay.c) keeps them.
INSERT INTO request_log (user_id, request_id, rpc, response, at)
VALUES ((SELECT id FROM users WHERE login = 'admin'), 'upgrade-fixture-request', 'user_add',
        '\x0a17757067726164652d666978747572652d72657175657374', now());

-- A backup, as the security log records it.
INSERT INTO security_log (at, kind, login, user_id, client_addr, rpc, detail)
VALUES ('2017-03-15 07:00:00+00', 'backup', 'admin', (SELECT id FROM users WHERE login = 'admin'),
        '10.0.0.8', 'backup',
        'backup 0123456789abcdef0123456789abcdef: 15653 bytes, PostgreSQL 15.18, schema '
        '009_operations.sql, sha256 cd2bae1bc625f66b5bd3a85179f942957b3dd7ab21eed2ad2c68c9034b72d17e');
