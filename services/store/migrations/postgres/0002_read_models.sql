-- Lead time, open cases, overdue PO, alerts and the outbox (issue: read models).

-- One row per measured lead-time pair; percentiles are computed at query time.
CREATE TABLE leadtime_samples (
    key      TEXT NOT NULL,
    measure  TEXT NOT NULL,
    gemeente TEXT NOT NULL,
    domein   TEXT NOT NULL,
    team     TEXT NOT NULL,
    day      TEXT NOT NULL,
    days     DOUBLE PRECISION NOT NULL
);
CREATE INDEX leadtime_samples_key ON leadtime_samples (key);
CREATE INDEX leadtime_samples_query ON leadtime_samples (measure, gemeente, day);

-- The live open-case list: one row per open case (body = JSON).
CREATE TABLE open_cases (
    key      TEXT PRIMARY KEY,
    gemeente TEXT NOT NULL,
    domein   TEXT NOT NULL,
    team     TEXT NOT NULL,
    body     TEXT NOT NULL
);
CREATE INDEX open_cases_gemeente ON open_cases (gemeente, domein);

-- Monitored beschikkingen with their PO timeline (body = JSON); the status at any
-- reference time is evaluated from it.
CREATE TABLE po_monitor (
    key      TEXT PRIMARY KEY,
    gemeente TEXT NOT NULL,
    domein   TEXT NOT NULL,
    body     TEXT NOT NULL
);
CREATE INDEX po_monitor_gemeente ON po_monitor (gemeente, domein);

-- Alert lifecycle: raised when a beschikking enters an alert status, resolved
-- when the condition no longer holds. At most one open alert per beschikking.
CREATE TABLE alerts (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT NOT NULL,
    beschikking_id TEXT NOT NULL,
    gemeente       TEXT NOT NULL,
    domein         TEXT NOT NULL,
    team           TEXT,
    cycle_start    TEXT NOT NULL,
    gepland_op     TEXT,
    raised_at      TEXT NOT NULL,
    resolved_at    TEXT
);
CREATE INDEX alerts_beschikking ON alerts (beschikking_id, resolved_at);
CREATE INDEX alerts_open ON alerts (resolved_at, gemeente);

-- Messages to publish, written in the same transaction as the change they report.
CREATE TABLE outbox (
    id           BIGSERIAL PRIMARY KEY,
    topic        TEXT NOT NULL,
    msg_key      TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX outbox_unpublished ON outbox (published_at, id);
