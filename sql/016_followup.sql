-- 015: follow-up of the previous round, municipality groups (issue 19).
--
-- Municipality groups. SKR's kommungruppsindelning of 2017 sorts the
-- municipalities into nine groups: A1 storstäder, A2 pendlingskommun nära
-- storstad, B3 större stad, B4 pendlingskommun nära större stad, B5
-- lågpendlingskommun nära större stad, C6 mindre stad/tätort, C7
-- pendlingskommun nära mindre stad/tätort, C8 landsbygdskommun, C9
-- landsbygdskommun med besöksnäring. Optional (NULL: not given); the
-- report's `--average group:G` averages over a group.
ALTER TABLE municipalities ADD COLUMN municipality_group text
    CHECK (municipality_group IS NULL OR
           municipality_group IN ('A1', 'A2', 'B3', 'B4', 'B5', 'C6', 'C7', 'C8', 'C9'));

-- The previous round of an evaluation: the latest signed evaluation of the
-- same municipality on the same framework conducted before it (by period,
-- then id: sql/014_cycle.sql), imported ones included, practice copies
-- never. NULL: none. The report's series and the follow-up both use it.
CREATE FUNCTION evaluation_previous(eid bigint) RETURNS bigint
LANGUAGE sql STABLE AS $fn$
    SELECT e.id FROM evaluations e, evaluations t
     WHERE t.id = eid AND e.municipality_id = t.municipality_id
       AND e.framework_id = t.framework_id AND e.status = 'signed' AND NOT e.practice
       AND e.id <> t.id
       AND (evaluation_order_key(e.period, e.label), e.id)
           < (evaluation_order_key(t.period, t.label), t.id)
     ORDER BY evaluation_order_key(e.period, e.label) DESC, e.id DESC LIMIT 1
$fn$;

-- Follow-up ("uppföljning"): the team's assessment of each improvement
-- opportunity of the previous round (source_id, its area texts'
-- `improvements`), keyed by the opportunity's text, so that an assessment
-- stays with what it assessed. An opportunity without a row is not assessed
-- yet. `version` is the evaluation's version after the change, as in
-- area_texts.
CREATE TABLE followup_statuses (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    source_id       bigint NOT NULL REFERENCES evaluations (id),
    area_number     int NOT NULL,
    item_text       text NOT NULL,
    status          text NOT NULL CHECK (status IN ('done', 'started', 'remains')),
    note            text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    version         bigint NOT NULL,
    written_by      bigint NOT NULL REFERENCES users (id),
    written_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, source_id, area_number, item_text),
    CHECK (evaluation_id <> source_id)
);
