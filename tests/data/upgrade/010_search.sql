-- Texts written at schema 010: the triggers index them in search_items (the
-- rows written by earlier fixtures were indexed by the migration itself).
INSERT INTO area_texts (evaluation_id, area_number, section, content, version, written_by,
                        written_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1, 'summary',
        '"Västerås arbetar aktivt med medborgardialog i alla nämnder."', 10,
        (SELECT id FROM users WHERE login = 'ewa'), '2017-03-25 10:00:00+00'),
       ((SELECT id FROM evaluations WHERE label = '2017'), 1, 'improvements',
        '["Återkoppla resultaten av dialogerna till invånarna"]', 11,
        (SELECT id FROM users WHERE login = 'ewa'), '2017-03-25 11:00:00+00');
INSERT INTO evidence (evaluation_id, kind, happened_on, title, reference, note, created_by,
                      created_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 'document', '2016-11-01',
        'Riktlinjer för medborgardialog', 'KS 2016/123', 'Antagna av KF',
        (SELECT id FROM users WHERE login = 'ewa'), '2017-03-25 12:00:00+00');
INSERT INTO evidence_questions (evidence_id, question_id)
VALUES ((SELECT id FROM evidence WHERE title = 'Riktlinjer för medborgardialog'),
        (SELECT id FROM framework_questions WHERE code = '1.4'));
