-- 008: what imported published evaluations carry beyond 007.
--
-- An imported evaluation (evaluations.source set) has no team in Kompass:
-- its report names the evaluators as the published report printed them
-- (published_evaluators). It keeps the published report's date, and the
-- SHA-256 of the imported document (compact JSON, sorted keys), by which a
-- second import of the same file is recognised and skipped.

ALTER TABLE evaluations
    ADD COLUMN report_date date,
    ADD COLUMN source_sha256 text CHECK (source_sha256 IS NULL OR source_sha256 ~ '^[0-9a-f]{64}$');

CREATE TABLE published_evaluators (
    evaluation_id   bigint NOT NULL REFERENCES evaluations (id),
    position        int NOT NULL CHECK (position >= 1),        -- order as printed
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    organisation    text NOT NULL DEFAULT '' CHECK (length(organisation) <= 200),
    title           text NOT NULL DEFAULT '' CHECK (length(title) <= 200),  -- "senior konsult"
    PRIMARY KEY (evaluation_id, position)
);

CREATE TRIGGER published_evaluators_signed BEFORE INSERT OR UPDATE OR DELETE ON published_evaluators
    FOR EACH ROW EXECUTE FUNCTION refuse_when_signed();
