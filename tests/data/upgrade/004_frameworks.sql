-- A municipality (KK2015 itself is loaded by the migration).
INSERT INTO municipalities (name, kind, county, org_number)
VALUES ('Västerås stad', 'stad', 'Västmanlands län', '212000-2080');
