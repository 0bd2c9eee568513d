-- 002: identity. Users and their global roles, login sessions, and the
-- security log (failed logins, throttling, refused requests).
--
-- No password and no session token is stored in clear: users keep an
-- argon2id hash (libsodium crypto_pwhash_str), sessions the SHA-256 of the
-- token (64 hex characters). server/rpc_user.c and server/session.c hold the
-- statements; server/authz.c decides who may call what.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE CHECK (login ~ '^[a-z][a-z0-9._-]{1,31}$'),
    full_name     text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    organisation  text NOT NULL CHECK (length(organisation) BETWEEN 1 AND 200),
    role          text NOT NULL CHECK (role IN ('admin', 'evaluator', 'observer')),
    active        boolean NOT NULL DEFAULT true,
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    password_set_at timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint REFERENCES users (id),  -- NULL: made by kompassd at first start
    last_login_at timestamptz
);

CREATE TABLE sessions (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id),
    token_hash      text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz NOT NULL DEFAULT now(),
    idle_expires_at timestamptz NOT NULL,  -- moves forward with each use...
    expires_at      timestamptz NOT NULL,  -- ...never beyond this
    revoked_at      timestamptz,
    revoked_why     text CHECK (revoked_why IN ('logout', 'password_changed', 'password_reset',
                                                'user_disabled')),
    client_addr     text NOT NULL DEFAULT '',
    client_key      text NOT NULL DEFAULT '',
    CHECK ((revoked_at IS NULL) = (revoked_why IS NULL))
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Security events. Not the audit trail of changes (that records what was
-- changed); this records who tried what and was refused, and logins.
CREATE TABLE security_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind        text NOT NULL CHECK (kind IN ('login', 'login_failed', 'throttled', 'denied',
                                              'unauthenticated')),
    login       text NOT NULL DEFAULT '',  -- as given, even if no such user
    user_id     bigint REFERENCES users (id),
    client_addr text NOT NULL DEFAULT '',
    client_key  text NOT NULL DEFAULT '',  -- CURVE public key (Z85)
    rpc         text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT ''
);
-- Throttling counts recent failures per login and per client address.
CREATE INDEX security_log_by_login ON security_log (login, kind, at);
CREATE INDEX security_log_by_addr ON security_log (client_addr, kind, at);
