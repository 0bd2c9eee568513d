-- Västerås 2017 on KK2015 in scoring, its team, and its evidence.
INSERT INTO evaluations (municipality_id, framework_id, label, period, ordinal, status, version,
                         created_by, created_at)
VALUES ((SELECT id FROM municipalities WHERE name = 'Västerås stad'),
        (SELECT id FROM frameworks WHERE code = 'KK2015'), '2017', '2017-03', 5, 'scoring', 4,
        (SELECT id FROM users WHERE login = 'admin'), '2017-03-01 08:00:00+00');
INSERT INTO evaluation_members (evaluation_id, user_id, role, added_by, added_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), (SELECT id FROM users WHERE login = 'admin'),
        'lead', (SELECT id FROM users WHERE login = 'admin'), '2017-03-01 08:01:00+00'),
       ((SELECT id FROM evaluations WHERE label = '2017'), (SELECT id FROM users WHERE login = 'ewa'),
        'peer', (SELECT id FROM users WHERE login = 'admin'), '2017-03-01 08:02:00+00');
INSERT INTO evidence (evaluation_id, kind, happened_on, category, people, title, reference, note,
                      created_by, created_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 'interview', '2017-03-14', 'politician',
        3, '', '', 'KS ordförande m.fl.', (SELECT id FROM users WHERE login = 'ewa'),
        '2017-03-14 15:00:00+00');
INSERT INTO evidence_questions (evidence_id, question_id)
VALUES ((SELECT id FROM evidence WHERE note = 'KS ordförande m.fl.'),
        (SELECT id FROM framework_questions WHERE code = '1.4'));
