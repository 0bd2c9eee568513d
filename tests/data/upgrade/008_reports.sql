-- Västerås 2014, imported from its published report: the figures of one
-- question, its printed evaluators, then signed as published.
INSERT INTO evaluations (municipality_id, framework_id, label, period, ordinal, status, version,
                         blind, created_by, created_at, source, report_date, source_sha256)
VALUES ((SELECT id FROM municipalities WHERE name = 'Västerås stad'),
        (SELECT id FROM frameworks WHERE code = 'KK2015'), '2014', '2014-03', 4, 'review', 1,
        false, (SELECT id FROM users WHERE login = 'admin'), '2017-04-01 08:00:00+00',
        'SKL, KommunKompassen: Analys av Västerås stad 2014', '2014-09-30', repeat('c4', 32));
INSERT INTO consensus_scores (evaluation_id, question_id, points, method, reason, version,
                              written_by, written_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2014'),
        (SELECT id FROM framework_questions WHERE code = '1.1'), 13, 'imported', '', 1, NULL,
        '2017-04-01 08:00:00+00');
INSERT INTO published_evaluators (evaluation_id, position, name, organisation, title)
VALUES ((SELECT id FROM evaluations WHERE label = '2014'), 1, 'Christine Feuk', 'SKL',
        'senior konsult'),
       ((SELECT id FROM evaluations WHERE label = '2014'), 2, 'Lars Peer', 'Eskilstuna kommun', '');
UPDATE evaluations SET status = 'signed' WHERE label = '2014';
