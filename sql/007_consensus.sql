-- 007: from independent scores to signed final scores.
--
-- consensus_scores   the team's agreed points per question (what reports show)
-- area_approvals     a peer's approval of an area's texts (an edit withdraws it)
-- signatures         who signed which revision's content (its hash), meaning what
-- evaluation_revisions  the canonical content of each signed revision, kept
--                    readable after a reopen; its hash is what was signed
--
-- A signed evaluation is frozen: the triggers at the end refuse every change
-- to what was signed while the evaluation's status is 'signed', whoever
-- connects (the server refuses first, with a clearer message).

ALTER TABLE evaluations
    -- bumped when an admin reopens a signed evaluation
    ADD COLUMN revision int NOT NULL DEFAULT 1 CHECK (revision >= 1),
    -- a disagreement is major when the spread exceeds this share of the max
    ADD COLUMN major_spread_pct numeric(5,2) NOT NULL DEFAULT 20
        CHECK (major_spread_pct >= 0 AND major_spread_pct <= 100),
    -- NULL: carried out in Kompass; otherwise where a published evaluation
    -- was imported from (it has consensus scores and texts, no team)
    ADD COLUMN source text CHECK (source IS NULL OR length(source) BETWEEN 1 AND 500);

CREATE TABLE consensus_scores (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    question_id     bigint NOT NULL REFERENCES framework_questions (id),
    points          numeric(6,2) NOT NULL CHECK (points >= 0),
    -- how it was reached: set by hand, merged automatically, or imported
    method          text NOT NULL CHECK (method IN ('set', 'mean', 'median', 'lead', 'imported')),
    reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    version         bigint NOT NULL,
    written_by      bigint REFERENCES users (id),        -- NULL only when imported
    written_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, question_id)
);

CREATE TABLE area_approvals (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    area_number     int NOT NULL,
    approved_by     bigint NOT NULL REFERENCES users (id),
    version         bigint NOT NULL,                     -- the evaluation's version approved
    approved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (evaluation_id, area_number)
);

CREATE TABLE evaluation_revisions (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    revision        int NOT NULL CHECK (revision >= 1),
    -- the canonical content (compact JSON, sorted keys), byte for byte as hashed
    content         text NOT NULL,
    content_hash    text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    eval_version    bigint NOT NULL,
    signed_at       timestamptz NOT NULL DEFAULT now(),
    -- set when an admin reopened it
    reopened_at     timestamptz,
    reopened_by     bigint REFERENCES users (id),
    reopen_reason   text,
    PRIMARY KEY (evaluation_id, revision),
    CHECK ((reopened_at IS NULL) = (reopen_reason IS NULL))
);

CREATE TABLE signatures (
    id              bigserial PRIMARY KEY,
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    revision        int NOT NULL,
    user_id         bigint NOT NULL REFERENCES users (id),
    printed_name    text NOT NULL,
    organisation    text NOT NULL,
    capacity        text NOT NULL CHECK (capacity IN ('lead', 'peer', 'admin')),
    meaning         text NOT NULL CHECK (meaning IN ('authored', 'reviewed', 'approved')),
    content_hash    text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    eval_version    bigint NOT NULL,
    signed_at       timestamptz NOT NULL DEFAULT now(),
    -- a signature is never deleted; content changed before the last
    -- signature, or a reopen, cancels it
    cancelled_at    timestamptz,
    cancelled_by    bigint REFERENCES users (id),
    cancel_reason   text,
    CHECK ((cancelled_at IS NULL) = (cancel_reason IS NULL))
);
CREATE UNIQUE INDEX signatures_once ON signatures (evaluation_id, revision, user_id)
    WHERE cancelled_at IS NULL;
CREATE INDEX signatures_evaluation ON signatures (evaluation_id, revision);

-- Signatures and signed revisions: only cancelling / reopening may change them.
CREATE FUNCTION signatures_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    IF TG_TABLE_NAME = 'signatures' THEN
        IF OLD.cancelled_at IS NOT NULL OR
           (to_jsonb(NEW) - 'cancelled_at' - 'cancelled_by' - 'cancel_reason') <>
           (to_jsonb(OLD) - 'cancelled_at' - 'cancelled_by' - 'cancel_reason') THEN
            RAISE EXCEPTION 'a signature can only be cancelled, once' USING ERRCODE = 'check_violation';
        END IF;
    ELSIF OLD.reopened_at IS NOT NULL OR
          (to_jsonb(NEW) - 'reopened_at' - 'reopened_by' - 'reopen_reason') <>
          (to_jsonb(OLD) - 'reopened_at' - 'reopened_by' - 'reopen_reason') THEN
        RAISE EXCEPTION 'a signed revision can only be reopened, once' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER signatures_append_only BEFORE UPDATE OR DELETE ON signatures
    FOR EACH ROW EXECUTE FUNCTION signatures_append_only();
CREATE TRIGGER evaluation_revisions_append_only BEFORE UPDATE OR DELETE ON evaluation_revisions
    FOR EACH ROW EXECUTE FUNCTION signatures_append_only();

-- What was signed does not change while the evaluation is signed.
CREATE FUNCTION refuse_when_signed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    eid bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.evaluation_id ELSE NEW.evaluation_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM evaluations WHERE id = eid AND status = 'signed') THEN
        RAISE EXCEPTION 'evaluation % is signed: % cannot change', eid, TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
CREATE TRIGGER consensus_scores_signed BEFORE INSERT OR UPDATE OR DELETE ON consensus_scores
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
CREATE TRIGGER scores_signed BEFORE INSERT OR UPDATE OR DELETE ON scores
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
CREATE TRIGGER area_texts_signed BEFORE INSERT OR UPDATE OR DELETE ON area_texts
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
CREATE TRIGGER area_approvals_signed BEFORE INSERT OR UPDATE OR DELETE ON area_approvals
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
CREATE TRIGGER evidence_signed BEFORE INSERT OR UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
CREATE TRIGGER evaluation_members_signed BEFORE INSERT OR UPDATE OR DELETE ON evaluation_members
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
