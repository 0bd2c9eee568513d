-- 012 adds a trigger on section_locks and changes no row. A lock held at
-- that schema, renewed once (the trigger fires on the upgraded database
-- only for later changes; the row must come through unchanged).
UPDATE section_locks SET expires_at = expires_at + interval '1 minute';
