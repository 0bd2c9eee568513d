-- kompass-bench write --pgbench: the database's own minimal durable score
-- write, run by pgbench on kompassd's cluster beside kompassd's writes.
-- One transaction: the score row, an audit row with its SHA-256, the
-- notification; committed with fsync as kompassd's are. The tables are
-- kompass-bench's scratch copies (schema kompass_bench, made and dropped by
-- the tool), shaped like `scores` and `audit_events` with their keys, so
-- that kompassd's own chains stay untouched. pgbench's :client_id is the
-- client; :questions is set by the tool.
\set q random(1, :questions)
\set p random(0, 1500)
BEGIN;
UPDATE kompass_bench.score
   SET points = :p::numeric / 100, version = version + 1, written_at = now()
 WHERE client = :client_id AND question = :q;
INSERT INTO kompass_bench.audit (client, at, after, hash)
VALUES (:client_id, now(), '{"points":"' || :p::text || '"}',
        encode(sha256(convert_to(:client_id::text || ':' || :q::text || ':' || :p::text
                                 || ':' || clock_timestamp()::text, 'UTF8')), 'hex'));
SELECT pg_notify('kompass_bench', :client_id::text || ':' || :q::text);
COMMIT;
