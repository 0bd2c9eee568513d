-- 006: what evaluators edit together: individual scores, area texts, and
-- the section locks that keep two people from editing one text at once.
--
-- Every row carries `version`: the evaluation's version at which it was last
-- written. A writer sends the version it last saw; a different one means
-- someone else wrote in between, and the write is refused (CONFLICT) instead
-- of overwriting. Since each change bumps the evaluation's version, versions
-- are unique within an evaluation and tell the order of changes.

CREATE TABLE scores (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    question_id     bigint NOT NULL REFERENCES framework_questions (id),
    evaluator_id    bigint NOT NULL REFERENCES users (id),
    points          numeric(6,2) NOT NULL CHECK (points >= 0),
    rationale       text NOT NULL DEFAULT '',
    version         bigint NOT NULL,
    written_by      bigint NOT NULL REFERENCES users (id),  -- differs when an admin wrote for the evaluator
    written_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, question_id, evaluator_id)
);

-- An evaluator declares their individual scoring complete (blind scoring
-- ends for the team when every evaluator has).
CREATE TABLE score_submissions (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    evaluator_id    bigint NOT NULL REFERENCES users (id),
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, evaluator_id)
);

-- Per area: the team's summary (a text) and two lists (JSON arrays of
-- strings): strengths and improvement opportunities.
CREATE TABLE area_texts (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    area_number     int NOT NULL,
    section         text NOT NULL CHECK (section IN ('summary', 'strengths', 'improvements')),
    content         jsonb NOT NULL CHECK (
                        (section = 'summary' AND jsonb_typeof(content) = 'string') OR
                        (section <> 'summary' AND jsonb_typeof(content) = 'array')),
    version         bigint NOT NULL,
    written_by      bigint NOT NULL REFERENCES users (id),
    written_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, area_number, section)
);

-- A section lock: (evaluation, area, section) held by one user for a lease.
-- An expired lease is free for anyone; `token` identifies the holder's
-- editing session, so a lock taken again elsewhere (or broken) invalidates
-- the old session's saves.
CREATE TABLE section_locks (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    area_number     int NOT NULL,
    section         text NOT NULL CHECK (section IN ('summary', 'strengths', 'improvements')),
    holder_id       bigint NOT NULL REFERENCES users (id),
    token           text NOT NULL,
    acquired_at     timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (evaluation_id, area_number, section)
);

-- Live updates: every event of an evaluation's audit chain wakes the
-- publishers of every kompassd on this database (LISTEN kompass_updates);
-- they read the events themselves, so nothing is lost to NOTIFY's size
-- limit and nothing sensitive travels in the payload.
CREATE FUNCTION audit_events_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.evaluation_id <> 0 THEN
        PERFORM pg_notify('kompass_updates', NEW.evaluation_id || ':' || NEW.seq);
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER audit_events_notify AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_notify();
