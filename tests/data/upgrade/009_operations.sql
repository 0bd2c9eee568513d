-- A recorded answer to a write, as replay (server/replay.c) keeps them.
INSERT INTO request_log (user_id, request_id, rpc, response, at)
VALUES ((SELECT id FROM users WHERE login = 'admin'), 'upgrade-fixture-request', 'user_add',
        '\x0a17757067726164652d666978747572652d72657175657374', now());
