-- 013: the consensus meeting (docs/signoff.md, "The consensus meeting").
--
-- comment_threads, comments  a thread per question of an evaluation: what
--                            the team said about it, and its resolution.
--                            Comments are never changed or deleted; an open
--                            thread keeps the evaluation in consensus
--                            (server/rpc_consensus.c, s_advance)
-- comment_reads              per user and thread, the last comment they were
--                            shown: what is new for them ("3 new on 7.1")
-- area_text_writers          everyone who has saved any version of a section
--                            of an area's texts (kept by a trigger on
--                            area_texts): none of them approves the area
--                            (four eyes)
-- evaluations.practice       a calibration exercise ("övning"): a practice
--                            copy of a signed evaluation for a new peer
--                            evaluator. The one marker every query tests:
--                            practice evaluations never count in averages,
--                            agreement statistics, history, reports or search
-- calibrations               of which signed evaluation (and revision) a
--                            practice copy was made, for whom, by whom

ALTER TABLE evaluations ADD COLUMN practice boolean NOT NULL DEFAULT false;

-- A practice evaluation stays one, and is never reviewed or signed: it has
-- no consensus of its own (its trainee's scores are compared with the
-- signed one it was copied from).
CREATE FUNCTION evaluations_practice_rules() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.practice IS DISTINCT FROM OLD.practice THEN
        RAISE EXCEPTION 'whether an evaluation is a calibration exercise never changes'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.practice AND NEW.status IN ('review', 'signed', 'reopened') THEN
        RAISE EXCEPTION 'a calibration exercise is never reviewed or signed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER evaluations_practice BEFORE UPDATE ON evaluations
    FOR EACH ROW EXECUTE FUNCTION evaluations_practice_rules();

-- ---------------------------------------------------------------- threads

CREATE TABLE comment_threads (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    question_id     bigint NOT NULL REFERENCES framework_questions (id),
    status          text NOT NULL CHECK (status IN ('open', 'resolved')),
    opened_by       bigint NOT NULL REFERENCES users (id),
    opened_at       timestamptz NOT NULL DEFAULT now(),
    -- the resolution, while resolved
    resolved_by     bigint REFERENCES users (id),
    resolved_at     timestamptz,
    resolve_reason  text NOT NULL DEFAULT '' CHECK (length(resolve_reason) <= 2000),
    version         bigint NOT NULL,     -- the evaluation's version of its last change
    PRIMARY KEY (evaluation_id, question_id),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK ((status = 'resolved') = (resolved_by IS NOT NULL))
);
CREATE INDEX comment_threads_open ON comment_threads (evaluation_id) WHERE status = 'open';

-- A thread's entries in order: comments, and the resolutions and reopenings
-- between them (so the thread reads as it happened).
CREATE TABLE comments (
    id              bigserial PRIMARY KEY,
    evaluation_id   bigint NOT NULL,
    question_id     bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('comment', 'resolve', 'reopen')),
    body            text NOT NULL DEFAULT '' CHECK (length(body) <= 10000),
    author_id       bigint NOT NULL REFERENCES users (id),
    version         bigint NOT NULL,     -- the evaluation's version it was written at
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (evaluation_id, question_id)
        REFERENCES comment_threads (evaluation_id, question_id),
    CHECK (kind <> 'comment' OR btrim(body, E' \t\r\n') <> '')
);
CREATE INDEX comments_thread ON comments (evaluation_id, question_id, id);

CREATE FUNCTION comments_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'comments are never changed or deleted' USING ERRCODE = 'check_violation';
END
$fn$;
CREATE TRIGGER comments_append_only BEFORE UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_append_only();
-- a signed evaluation's threads are closed with it (sql/007_consensus.sql)
CREATE TRIGGER comments_signed BEFORE INSERT OR UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
CREATE TRIGGER comment_threads_signed BEFORE INSERT OR UPDATE OR DELETE ON comment_threads
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();

-- How far each user has read each thread: comments by others with a larger
-- id are new to them. A reader's view, not the evaluation's content: not
-- versioned, not audited (like a session's last use).
CREATE TABLE comment_reads (
    evaluation_id   bigint NOT NULL,
    question_id     bigint NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id),
    last_read       bigint NOT NULL,     -- comments.id of the last one shown to them
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, question_id, user_id),
    FOREIGN KEY (evaluation_id, question_id)
        REFERENCES comment_threads (evaluation_id, question_id)
);

-- ---------------------------------------------------------------- four eyes

CREATE TABLE area_text_writers (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    area_number     int NOT NULL,
    section         text NOT NULL CHECK (section IN ('summary', 'strengths', 'improvements')),
    user_id         bigint NOT NULL REFERENCES users (id),
    first_written   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, area_number, section, user_id)
);

CREATE FUNCTION area_text_writers_note() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO area_text_writers (evaluation_id, area_number, section, user_id)
    VALUES (NEW.evaluation_id, NEW.area_number, NEW.section, NEW.written_by)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER area_texts_writers AFTER INSERT OR UPDATE ON area_texts
    FOR EACH ROW EXECUTE FUNCTION area_text_writers_note();

-- Who wrote the sections that exist: their current writers, and everyone
-- the audit trail saw save them before.
INSERT INTO area_text_writers (evaluation_id, area_number, section, user_id, first_written)
SELECT t.evaluation_id, t.area_number, t.section, w.user_id, min(w.at)
  FROM area_texts t
  JOIN (SELECT evaluation_id, area_number, section, written_by AS user_id, written_at AS at
          FROM area_texts
        UNION ALL
        SELECT e.evaluation_id, m[1]::int, m[2], e.actor_id, e.at
          FROM audit_events e
         CROSS JOIN LATERAL regexp_match(e.target,
                   '^text of area ([0-9]+) (summary|strengths|improvements)$') AS m
         WHERE e.action = 'text.save' AND m IS NOT NULL
           AND EXISTS (SELECT 1 FROM users u WHERE u.id = e.actor_id)) w
    ON w.evaluation_id = t.evaluation_id AND w.area_number = t.area_number
   AND w.section = t.section
 GROUP BY t.evaluation_id, t.area_number, t.section, w.user_id;

-- ---------------------------------------------------------------- calibration

CREATE TABLE calibrations (
    id              bigserial PRIMARY KEY,
    practice_id     bigint NOT NULL UNIQUE REFERENCES evaluations (id),
    source_id       bigint NOT NULL REFERENCES evaluations (id),
    source_revision int NOT NULL,        -- the signed revision whose consensus is the key
    trainee_id      bigint NOT NULL REFERENCES users (id),
    created_by      bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, trainee_id),      -- once seen, a consensus trains no more
    FOREIGN KEY (source_id, source_revision)
        REFERENCES evaluation_revisions (evaluation_id, revision),
    CHECK (practice_id <> source_id)
);
CREATE INDEX calibrations_trainee ON calibrations (trainee_id, created_at);
