-- Access control (issue #23). API tokens: only the SHA-256 of a token is kept
-- (hex), looked up through its unique index; roles and scope as written
-- (`reader,producer`; gemeenten `*` or `GM0344,GM0363`; teams NULL for all).
-- Times are RFC 3339 UTC text.
CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_sha256 TEXT NOT NULL UNIQUE,
    roles        TEXT NOT NULL,
    gemeenten    TEXT NOT NULL,
    teams        TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- The access trace: one row per API request, appended; only the retention
-- deletes. The query string is kept BSN-masked and bounded.
CREATE TABLE access_log (
    id       BIGSERIAL PRIMARY KEY,
    at       TEXT NOT NULL,
    subject  TEXT NOT NULL,
    via      TEXT NOT NULL,
    roles    TEXT NOT NULL,
    method   TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    query    TEXT NOT NULL,
    scope    TEXT NOT NULL,
    "rows"   BIGINT NOT NULL,
    status   BIGINT NOT NULL
);
CREATE INDEX access_log_at ON access_log (at);
CREATE INDEX access_log_subject ON access_log (subject, at);
