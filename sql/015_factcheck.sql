-- 015: the municipality's factual review ("faktagranskning", issue 19).
--
-- A team member may be the evaluated municipality's contact person
-- (role 'contact'). Once every area's texts are approved the lead opens the
-- review of the current revision for a window of days; the contact leaves
-- remarks per area and the team answers each one. Nobody signs while the
-- review is open or a remark is unanswered (docs/signoff.md, "The factual
-- review"). One review per revision; remarks and answers are kept as
-- written.

ALTER TABLE evaluation_members DROP CONSTRAINT evaluation_members_role_check;
ALTER TABLE evaluation_members ADD CONSTRAINT evaluation_members_role_check
    CHECK (role IN ('lead', 'peer', 'observer', 'contact'));

CREATE TABLE factchecks (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    revision        int NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    started_by      bigint NOT NULL REFERENCES users (id),
    days            int NOT NULL CHECK (days BETWEEN 1 AND 90),
    ends_on         date NOT NULL,        -- the window's last day
    closed_at       timestamptz,
    closed_by       bigint REFERENCES users (id),
    PRIMARY KEY (evaluation_id, revision),
    CHECK ((closed_at IS NULL) = (closed_by IS NULL))
);

CREATE TABLE factcheck_remarks (
    id              bigserial PRIMARY KEY,
    evaluation_id   bigint NOT NULL,
    revision        int NOT NULL,
    area_number     int NOT NULL CHECK (area_number >= 1),
    body            text NOT NULL CHECK (body <> ''),
    author_id       bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    answer          text CHECK (answer IS NULL OR answer <> ''),
    answered_by     bigint REFERENCES users (id),
    answered_at     timestamptz,
    FOREIGN KEY (evaluation_id, revision) REFERENCES factchecks (evaluation_id, revision),
    CHECK ((answer IS NULL) = (answered_by IS NULL) AND (answer IS NULL) = (answered_at IS NULL))
);
CREATE INDEX factcheck_remarks_eval ON factcheck_remarks (evaluation_id, revision);

-- A review is closed once; a remark is answered once; nothing is deleted.
CREATE FUNCTION factcheck_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% rows are kept', TG_TABLE_NAME USING ERRCODE = 'check_violation';
    END IF;
    IF TG_TABLE_NAME = 'factchecks' THEN
        IF OLD.closed_at IS NOT NULL OR NEW.evaluation_id <> OLD.evaluation_id
           OR NEW.revision <> OLD.revision OR NEW.started_at <> OLD.started_at
           OR NEW.started_by <> OLD.started_by OR NEW.days <> OLD.days
           OR NEW.ends_on <> OLD.ends_on THEN
            RAISE EXCEPTION 'a factual review only closes, once' USING ERRCODE = 'check_violation';
        END IF;
    ELSE
        IF OLD.answer IS NOT NULL OR NEW.id <> OLD.id OR NEW.evaluation_id <> OLD.evaluation_id
           OR NEW.revision <> OLD.revision OR NEW.area_number <> OLD.area_number
           OR NEW.body <> OLD.body OR NEW.author_id <> OLD.author_id
           OR NEW.created_at <> OLD.created_at THEN
            RAISE EXCEPTION 'a remark is only answered, once' USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER factchecks_append_only BEFORE UPDATE OR DELETE ON factchecks
    FOR EACH ROW EXECUTE FUNCTION factcheck_append_only();
CREATE TRIGGER factcheck_remarks_append_only BEFORE UPDATE OR DELETE ON factcheck_remarks
    FOR EACH ROW EXECUTE FUNCTION factcheck_append_only();
CREATE TRIGGER factchecks_signed BEFORE INSERT OR UPDATE OR DELETE ON factchecks
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
CREATE TRIGGER factcheck_remarks_signed BEFORE INSERT OR UPDATE OR DELETE ON factcheck_remarks
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
