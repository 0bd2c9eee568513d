-- Västerås stad 2017 states that it is the city's 5th evaluation (the
-- earlier rounds but 2014 are not in Kompass), as `eval set --ordinal 5`
-- leaves it at this schema.
-- 014 counts Kompass-made evaluations' ordinals afresh (imported ones keep
-- theirs): on purpose, so the column is not compared across it.
-- upgrade-changes: evaluations.ordinal
UPDATE evaluations SET ordinal_given = 5, ordinal = 5 WHERE label = '2017';
