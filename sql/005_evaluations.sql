-- 005: evaluations, their teams and their evidence.
--
-- An evaluation belongs to one municipality and one framework version. Its
-- `version` is bumped by every change to it, in the change's transaction, so
-- it is gap-free and tells clients (and the audit trail) exactly which state
-- they saw. Status moves only along the legal transitions (trigger below);
-- which RPC makes which move belongs to the consensus and sign-off work.

CREATE TABLE evaluations (
    id              bigserial PRIMARY KEY,
    municipality_id bigint NOT NULL REFERENCES municipalities (id),
    framework_id    bigint NOT NULL REFERENCES frameworks (id),
    label           text NOT NULL CHECK (length(label) BETWEEN 1 AND 40),   -- "2017"
    period          text NOT NULL DEFAULT '',                               -- "2017-03"
    ordinal         int NOT NULL CHECK (ordinal >= 1),  -- which evaluation of this municipality
    status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'scoring', 'consensus', 'review', 'signed', 'reopened')),
    version         bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    blind           boolean NOT NULL DEFAULT true,     -- blind individual scoring
    created_by      bigint REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (municipality_id, label)
);
CREATE INDEX evaluations_status ON evaluations (status);

-- The legal moves of an evaluation's status. 'reopened' is a signed
-- evaluation opened again by an admin (a new revision); it goes back to work.
CREATE TABLE evaluation_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO evaluation_transitions VALUES
    ('draft', 'scoring'),
    ('scoring', 'consensus'),
    ('consensus', 'review'),
    ('review', 'consensus'),     -- an approval withdrawn by a later edit
    ('review', 'signed'),
    ('signed', 'reopened'),
    ('reopened', 'consensus'),
    ('reopened', 'review');

CREATE FUNCTION evaluations_check_transition() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM evaluation_transitions
        WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'an evaluation cannot go from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.version < OLD.version THEN
        RAISE EXCEPTION 'an evaluation''s version never goes back' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.framework_id IS DISTINCT FROM OLD.framework_id OR
       NEW.municipality_id IS DISTINCT FROM OLD.municipality_id THEN
        RAISE EXCEPTION 'an evaluation''s municipality and framework are fixed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER evaluations_transition BEFORE UPDATE ON evaluations
    FOR EACH ROW EXECUTE FUNCTION evaluations_check_transition();

-- A framework in use by an evaluation is immutable.
CREATE FUNCTION frameworks_immutable_in_use() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    fid bigint := CASE WHEN TG_TABLE_NAME = 'frameworks' THEN OLD.id ELSE OLD.framework_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM evaluations WHERE framework_id = fid) THEN
        RAISE EXCEPTION 'framework % is used by an evaluation and cannot change',
            (SELECT code FROM frameworks WHERE id = fid)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
CREATE TRIGGER frameworks_in_use BEFORE UPDATE OR DELETE ON frameworks
    FOR EACH ROW EXECUTE FUNCTION frameworks_immutable_in_use();
CREATE TRIGGER framework_areas_in_use BEFORE UPDATE OR DELETE ON framework_areas
    FOR EACH ROW EXECUTE FUNCTION frameworks_immutable_in_use();
CREATE TRIGGER framework_questions_in_use BEFORE UPDATE OR DELETE ON framework_questions
    FOR EACH ROW EXECUTE FUNCTION frameworks_immutable_in_use();

-- The team: each member's role in this evaluation.
CREATE TABLE evaluation_members (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    user_id         bigint NOT NULL REFERENCES users (id),
    role            text NOT NULL CHECK (role IN ('lead', 'peer', 'observer')),
    added_by        bigint REFERENCES users (id),
    added_at        timestamptz NOT NULL DEFAULT now(),
    -- set when an admin overrode a conflict of interest (jäv), with why
    coi_override    text,
    PRIMARY KEY (evaluation_id, user_id)
);
CREATE INDEX evaluation_members_user ON evaluation_members (user_id);

-- The evidence log: interviews, documents, web checks.
CREATE TABLE evidence (
    id              bigserial PRIMARY KEY,
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    kind            text NOT NULL CHECK (kind IN ('interview', 'document', 'web')),
    happened_on     date,                                 -- interview date, document date, check date
    category        text CHECK (category IN ('politician', 'official', 'union', 'other')),
    people          int CHECK (people BETWEEN 1 AND 1000),
    title           text NOT NULL DEFAULT '',             -- document title, web page checked
    reference       text NOT NULL DEFAULT '',             -- document reference or URL
    note            text NOT NULL DEFAULT '',
    created_by      bigint REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'interview' OR (category IS NOT NULL AND people IS NOT NULL)),
    CHECK (kind = 'interview' OR title <> '')
);
CREATE INDEX evidence_evaluation ON evidence (evaluation_id, id);

CREATE TABLE evidence_questions (
    evidence_id     bigint NOT NULL REFERENCES evidence (id),
    question_id     bigint NOT NULL REFERENCES framework_questions (id),
    PRIMARY KEY (evidence_id, question_id)
);
