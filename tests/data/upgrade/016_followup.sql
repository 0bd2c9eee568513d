-- Västerås stad gets its kommungrupp (B3, större stad); the 2017 evaluation
-- has assessed one of 2014's improvement opportunities (area 1's first).
UPDATE municipalities SET municipality_group = 'B3' WHERE name = 'Västerås stad';
INSERT INTO followup_statuses (evaluation_id, source_id, area_number, item_text, status, note,
                               version, written_by, written_at)
VALUES ((SELECT id FROM evaluations WHERE label = '2017'),
        (SELECT id FROM evaluations WHERE label = '2014'), 1,
        'Dialog kring verksamhetsresultat med invånarna.', 'remains',
        'Kvarstår: resultatdialogen med invånarna har inte kommit i gång.', 3,
        (SELECT id FROM users WHERE login = 'ewa'), '2017-04-02 09:00:00+00');
