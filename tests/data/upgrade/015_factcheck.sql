-- Västerås stad's contact person on the 2017 team, a factual review of its
-- revision 1 opened by admin for 10 days, closed, with one remark on area 1
-- answered by ewa and one on area 5 answered too.
INSERT INTO users (login, full_name, organisation, role, password_hash, created_at, created_by)
VALUES ('kontakt', 'Karin Kontakt', 'Västerås stad', 'observer',
        '$argon2id$v=19$m=65536,t=2,p=1$C+uGXJN4p68PqIpUvbfQKw$7nCuXPVaHUIrMn8wP/+U6RqeKAfw6GUy5tK2bLXwl0Y',
        '2017-09-01 08:00:00+00', (SELECT id FROM users WHERE login = 'admin'));
INSERT INTO evaluation_members (evaluation_id, user_id, role, added_by, added_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM users WHERE login = 'kontakt'), 'contact',
        (SELECT id FROM users WHERE login = 'admin'), '2017-09-01 08:05:00+00');
INSERT INTO factchecks (evaluation_id, revision, started_at, started_by, days, ends_on)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1, '2017-09-12 08:00:00+00',
        (SELECT id FROM users WHERE login = 'admin'), 10, '2017-09-22');
INSERT INTO factcheck_remarks (evaluation_id, revision, area_number, body, author_id, created_at,
                               answer, answered_by, answered_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'), 1, 1,
        'Medborgarpanelen startade 2016, inte 2017.', (SELECT id FROM users WHERE login = 'kontakt'),
        '2017-09-14 10:00:00+00', 'Rättat i sammanfattningen.',
        (SELECT id FROM users WHERE login = 'ewa'), '2017-09-15 09:00:00+00'),
       ((SELECT id FROM evaluations WHERE label = '2017'), 1, 5,
        'Se bilaga om e-tjänster.', (SELECT id FROM users WHERE login = 'kontakt'),
        '2017-09-20 10:00:00+00', 'Ingen ändring: bilagan avser 2018.',
        (SELECT id FROM users WHERE login = 'ewa'), '2017-09-21 09:00:00+00');
UPDATE factchecks SET closed_at = '2017-09-22 16:00:00+00',
       closed_by = (SELECT id FROM users WHERE login = 'admin')
WHERE evaluation_id = (SELECT id FROM evaluations WHERE label = '2017');
