-- 014: the KommunKompassen cycle across rounds (issue 19).
--
-- Ordinals. An evaluation's ordinal is its place among its municipality's
-- evaluations in the order they were conducted (imported ones included):
-- by period ("2017-03"; an evaluation without one by its label), then id.
-- `ordinal_given` is an ordinal stated on purpose (a published report's
-- "5:e utvärdering", `eval create --ordinal`, `eval set --ordinal`) for when
-- the earlier ones are not in Kompass; every other one follows the one
-- before it (+1), or is 1 when none is. `evaluations.ordinal` keeps the
-- result, renumbered by evaluations_renumber() in the transaction of every
-- change that can move it. Practice copies (calibration) are never counted.

ALTER TABLE evaluations ADD COLUMN ordinal_given int CHECK (ordinal_given IS NULL OR ordinal_given >= 1);

-- Imported evaluations keep the ordinal they came with: it is the
-- published report's (or was counted then). Kompass-made ones are counted.
UPDATE evaluations SET ordinal_given = ordinal WHERE source IS NOT NULL AND NOT practice;

-- The order an evaluation was conducted in, within its municipality.
CREATE FUNCTION evaluation_order_key(period text, label text) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT coalesce(nullif(period, ''), label)
$fn$;

-- Sets the ordinals of municipality mid's evaluations from the order and
-- the given ones; returns the evaluations whose ordinal changed.
CREATE FUNCTION evaluations_renumber(mid bigint)
RETURNS TABLE (evaluation_id bigint, label text, old_ordinal int, new_ordinal int)
LANGUAGE sql AS $fn$
    WITH o AS (
        SELECT e.id, e.label, e.ordinal, e.ordinal_given,
               row_number() OVER w AS rn, count(e.ordinal_given) OVER w AS grp
        FROM evaluations e WHERE e.municipality_id = mid AND NOT e.practice
        WINDOW w AS (ORDER BY evaluation_order_key(e.period, e.label), e.id)),
    g AS (
        SELECT o.id, o.label, o.ordinal,
               CASE WHEN o.grp = 0 THEN row_number() OVER p
                    ELSE first_value(o.ordinal_given) OVER p + row_number() OVER p - 1
               END::int AS computed
        FROM o WINDOW p AS (PARTITION BY o.grp ORDER BY o.rn))
    UPDATE evaluations e SET ordinal = g.computed FROM g
    WHERE e.id = g.id AND e.ordinal <> g.computed
    RETURNING e.id, g.label, g.ordinal, g.computed
$fn$;

SELECT evaluations_renumber(id) FROM municipalities;

