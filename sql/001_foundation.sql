-- 001: the foundation. Facts about this installation that every instance
-- shares; later migrations add the domain.

CREATE TABLE installation (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),  -- exactly one row
    created_at  timestamptz NOT NULL DEFAULT now(),
    instance_id text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text)
);
INSERT INTO installation DEFAULT VALUES;
