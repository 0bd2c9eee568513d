-- A thread on 1.4 of Västerås 2017 (a comment, resolved, reopened, another
-- comment), how far ewa has read it, the writer of area 1's strengths, and
-- a calibration exercise for ewa copied from Västerås 2014's revision 1.
INSERT INTO comment_threads (evaluation_id, question_id, status, opened_by, opened_at, version)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM framework_questions WHERE code = '1.4'), 'open',
        (SELECT id FROM users WHERE login = 'admin'), '2017-03-22 09:00:00+00', 12);
INSERT INTO comments (evaluation_id, question_id, kind, body, author_id, version, created_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM framework_questions WHERE code = '1.4'), 'comment',
        'Intervjuerna talar för 25, dokumenten för 20.', (SELECT id FROM users WHERE login = 'admin'),
        10, '2017-03-22 09:00:00+00'),
       ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM framework_questions WHERE code = '1.4'), 'resolve',
        'Vi enades om 24', (SELECT id FROM users WHERE login = 'ewa'), 11, '2017-03-22 09:30:00+00'),
       ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM framework_questions WHERE code = '1.4'), 'reopen', '',
        (SELECT id FROM users WHERE login = 'admin'), 12, '2017-03-22 10:00:00+00');
INSERT INTO comment_reads (evaluation_id, question_id, user_id, last_read, read_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM framework_questions WHERE code = '1.4'),
        (SELECT id FROM users WHERE login = 'ewa'),
        (SELECT min(id) FROM comments), '2017-03-22 09:10:00+00');
INSERT INTO area_text_writers (evaluation_id, area_number, section, user_id, first_written)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1, 'summary',
        (SELECT id FROM users WHERE login = 'ewa'), '2017-03-21 11:00:00+00')
-- loaded at schema 013 or later, 010's summary by ewa has made the row through
-- 013's trigger already
ON CONFLICT (evaluation_id, area_number, section, user_id)
    DO UPDATE SET first_written = EXCLUDED.first_written;
INSERT INTO evaluation_revisions (evaluation_id, revision, content, content_hash, eval_version,
                                  signed_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2014'), 1, '{"format":"kompass-content/1"}',
        repeat('d5', 32), 1, '2017-04-01 08:00:00+00');
INSERT INTO evaluations (municipality_id, framework_id, label, period, ordinal, status, version,
                         created_by, created_at, practice)
VALUES ((SELECT id FROM municipalities WHERE name = 'Västerås stad'),
        (SELECT id FROM frameworks WHERE code = 'KK2015'), '2014 övning 1', '2014-03', 4, 'scoring',
        1, (SELECT id FROM users WHERE login = 'admin'), '2017-05-01 08:00:00+00', true);
INSERT INTO evaluation_members (evaluation_id, user_id, role, added_by, added_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2014 övning 1'),
        (SELECT id FROM users WHERE login = 'ewa'), 'peer',
        (SELECT id FROM users WHERE login = 'admin'), '2017-05-01 08:00:00+00');
INSERT INTO calibrations (practice_id, source_id, source_revision, trainee_id, created_by,
                          created_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2014 övning 1'),
        (SELECT id FROM evaluations WHERE label = '2014'), 1,
        (SELECT id FROM users WHERE login = 'ewa'), (SELECT id FROM users WHERE login = 'admin'),
        '2017-05-01 08:00:00+00');
