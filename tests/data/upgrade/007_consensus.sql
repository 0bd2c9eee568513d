-- A consensus score, an approved area, and a cancelled signature of an
-- earlier content (a content change before the last signature cancels).
INSERT INTO consensus_scores (evaluation_id, question_id, points, method, reason, version,
                              written_by, written_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM framework_questions WHERE code = '1.4'), 19.5, 'set',
        'Utanför spannet: medborgardialogen visades vid besöket', 7,
        (SELECT id FROM users WHERE login = 'ewa'), '2017-03-22 10:00:00+00');
INSERT INTO area_approvals (evaluation_id, area_number, approved_by, version, approved_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1,
        (SELECT id FROM users WHERE login = 'ewa'), 8, '2017-03-23 10:00:00+00');
INSERT INTO signatures (evaluation_id, revision, user_id, printed_name, organisation, capacity,
                        meaning, content_hash, eval_version, signed_at, cancelled_at,
                        cancelled_by, cancel_reason)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1,
        (SELECT id FROM users WHERE login = 'ewa'), 'Ewa Luvö', 'Borås Stad', 'peer', 'reviewed',
        repeat('ab', 32), 9, '2017-03-24 10:00:00+00', '2017-03-24 11:00:00+00',
        (SELECT id FROM users WHERE login = 'ewa'), 'the content changed before the last signature');
