-- 010: full-text search over the texts of every evaluation (good examples).
--
-- search_items holds one row per searchable item: each element of an area's
-- strengths and improvements lists, each area's summary, and each evidence
-- entry (its title and note). Triggers on area_texts and evidence keep it
-- up to date in the same transaction as the change; the migration fills it
-- for the rows that exist. Its tsvector is a stored generated column
-- (Swedish stemming: "medborgardialogen" and "medborgardialog" meet), with
-- a GIN index, so a search reads only the items that match.
--
-- Evidence and areas. Evidence belongs to questions (evidence_questions),
-- not to one area, and one entry may bear on questions of several areas; it
-- is also linked after it is inserted. So an evidence item is indexed once,
-- with area_number NULL, and the area and question filters look its links up
-- when searching (server/rpc_search.c): --question 1.4 finds the evidence
-- linked to 1.4 and the texts of area 1; --area 1 the evidence linked to any
-- question of area 1 and the texts of area 1. A link added later needs no
-- reindexing.
--
-- The server only reads this table: kompass_app may not write it, and the
-- trigger functions that do run as the owner (SECURITY DEFINER).

CREATE TABLE search_items (
    id              bigserial PRIMARY KEY,
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    area_number     int,                 -- NULL for evidence (see above)
    kind            text NOT NULL CHECK (kind IN ('strengths', 'improvements', 'summary', 'evidence')),
    position        int NOT NULL,        -- the item's place in its list, from 1; 1 for a summary
    evidence_id     bigint REFERENCES evidence (id) ON DELETE CASCADE,
    text            text NOT NULL CHECK (text <> ''),
    tsv             tsvector GENERATED ALWAYS AS (to_tsvector('swedish'::regconfig, text)) STORED,
    CHECK ((kind = 'evidence') = (evidence_id IS NOT NULL)),
    CHECK ((kind = 'evidence') = (area_number IS NULL))
);
-- fastupdate off: texts change one save at a time, searches are many. With
-- GIN's pending list, every search would also scan the not-yet-merged
-- entries (up to 4 MB) until a vacuum merged them, and the planner, knowing
-- it, prefers a sequential scan meanwhile.
CREATE INDEX search_items_tsv ON search_items USING gin (tsv) WITH (fastupdate = off);
CREATE INDEX search_items_text ON search_items (evaluation_id, area_number, kind);
CREATE INDEX search_items_evidence ON search_items (evidence_id) WHERE evidence_id IS NOT NULL;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON search_items FROM kompass_app;

-- The items of one area text: the summary as one item, each non-empty
-- element of a list as one (position = its place in the list).
CREATE FUNCTION search_items_put_text(eid bigint, area int, section text, content jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
BEGIN
    DELETE FROM search_items
     WHERE evaluation_id = eid AND area_number = area AND kind = section;
    IF content IS NULL THEN
        RETURN;
    END IF;
    IF section = 'summary' THEN
        INSERT INTO search_items (evaluation_id, area_number, kind, position, text)
        SELECT eid, area, section, 1, content #>> '{}'
         WHERE btrim(content #>> '{}') <> '';
    ELSE
        INSERT INTO search_items (evaluation_id, area_number, kind, position, text)
        SELECT eid, area, section, e.n::int, e.item
          FROM jsonb_array_elements_text(content) WITH ORDINALITY AS e (item, n)
         WHERE btrim(e.item) <> '';
    END IF;
END
$fn$;

-- The item of one evidence entry: "title: note", whichever are written.
CREATE FUNCTION search_items_put_evidence(eid bigint, evid bigint, title text, note text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
BEGIN
    DELETE FROM search_items WHERE evidence_id = evid;
    INSERT INTO search_items (evaluation_id, kind, position, evidence_id, text)
    SELECT eid, 'evidence', 1, evid, t
      FROM (SELECT concat_ws(': ', nullif(btrim(title), ''), nullif(btrim(note), '')) AS t) x
     WHERE t <> '';
END
$fn$;

CREATE FUNCTION search_items_area_texts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM search_items_put_text(OLD.evaluation_id, OLD.area_number, OLD.section, NULL);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM search_items_put_text(NEW.evaluation_id, NEW.area_number, NEW.section, NEW.content);
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER search_items_area_texts AFTER INSERT OR UPDATE OR DELETE ON area_texts
    FOR EACH ROW EXECUTE FUNCTION search_items_area_texts();

-- (A deleted evidence entry takes its item with it: ON DELETE CASCADE.)
CREATE FUNCTION search_items_evidence() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $fn$
BEGIN
    PERFORM search_items_put_evidence(NEW.evaluation_id, NEW.id, NEW.title, NEW.note);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER search_items_evidence AFTER INSERT OR UPDATE OF title, note, evaluation_id
    ON evidence FOR EACH ROW EXECUTE FUNCTION search_items_evidence();

-- What exists already.
SELECT search_items_put_text(evaluation_id, area_number, section, content) FROM area_texts;
SELECT search_items_put_evidence(evaluation_id, id, title, note) FROM evidence;
