-- The installation as it was made, long ago.
UPDATE installation SET instance_id = 'upgrade-fixture-instance',
                        created_at = '2016-02-01 09:00:00+00';
