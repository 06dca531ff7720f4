-- The embedded log, dead letters, checkpoints and the first read model.

-- Append-only event log: every accepted event, in arrival order (seq).
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT    NOT NULL UNIQUE,
    event_type     TEXT    NOT NULL,
    occurred_at    TEXT    NOT NULL,
    gemeente       TEXT    NOT NULL,
    domein         TEXT    NOT NULL,
    case_id        TEXT,
    beschikking_id TEXT,
    retracts       TEXT,
    body           TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    position       TEXT    NOT NULL,
    received_at    TEXT    NOT NULL
);
CREATE INDEX events_case ON events (case_id);
CREATE INDEX events_beschikking ON events (beschikking_id);
CREATE INDEX events_retracts ON events (retracts);

-- Rejected input: reason, original bytes and source position. Nothing is dropped.
CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    position    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    event_id    TEXT,
    raw         BLOB    NOT NULL
);

-- How far each projector has applied its input, written in the same transaction
-- as the read-model change. Embedded: name 'embedded', part 0, position = seq.
CREATE TABLE checkpoints (
    name     TEXT    NOT NULL,
    part     INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (name, part)
);

-- The facts each projection key (a case, ...) currently contributes.
CREATE TABLE key_facts (
    key   TEXT PRIMARY KEY,
    facts TEXT NOT NULL
);

-- Daily counts per gemeente, domein, team (empty string = no team yet).
CREATE TABLE agg_daily (
    metric   TEXT NOT NULL,
    gemeente TEXT NOT NULL,
    domein   TEXT NOT NULL,
    day      TEXT NOT NULL,
    team     TEXT NOT NULL,
    category TEXT NOT NULL,
    value    REAL NOT NULL,
    PRIMARY KEY (metric, gemeente, domein, day, team, category)
);
