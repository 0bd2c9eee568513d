-- A score, an area text and a held section lock.
INSERT INTO scores (evaluation_id, question_id, evaluator_id, points, rationale, version,
                    written_by, written_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM framework_questions WHERE code = '1.4'),
        (SELECT id FROM users WHERE login = 'ewa'), 25.5, 'Bred dialog', 5,
        (SELECT id FROM users WHERE login = 'ewa'), '2017-03-20 10:00:00+00');
INSERT INTO area_texts (evaluation_id, area_number, section, content, version, written_by,
                        written_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1, 'strengths',
        '["Webbsändning av KF", "E-förslag"]', 6, (SELECT id FROM users WHERE login = 'admin'),
        '2017-03-21 10:00:00+00');
INSERT INTO section_locks (evaluation_id, area_number, section, holder_id, token, acquired_at,
                           expires_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1, 'summary',
        (SELECT id FROM users WHERE login = 'ewa'), 'upgrade-fixture-token',
        '2017-03-21 10:00:00+00', '2017-03-21 10:05:00+00');
