-- kompass-bench read --pgbench: the full snapshot's main query
-- (server/rpc_eval_watch.c, "snapshot_scores": every evaluator's score, as
-- kompassd reads it to keep it and as an admin sees it), alone, on
-- kompassd's database, on the same evaluations kompass-bench reads through
-- kompassd. :first and :evaluations
-- are set by the tool (its evaluations have consecutive ids).
\set e :first + (:client_id % :evaluations)
SELECT q.code, u.login, u.full_name, (s.points * 100)::bigint, s.rationale, s.version,
       w.login, (extract(epoch FROM s.written_at) * 1000000)::bigint, s.evaluator_id
  FROM scores s JOIN framework_questions q ON q.id = s.question_id
  JOIN framework_areas a ON a.id = q.area_id
  JOIN users u ON u.id = s.evaluator_id JOIN users w ON w.id = s.written_by
 WHERE s.evaluation_id = :e
 ORDER BY a.number, q.position, u.login;
