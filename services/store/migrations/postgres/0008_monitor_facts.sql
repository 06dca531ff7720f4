-- The council monitor's per-key facts (spec §3.5): a case's instroom and
-- casusregie facts, a beschikking's provision facts, as JSON per key.
CREATE TABLE monitor_facts (
    key      TEXT PRIMARY KEY,
    gemeente TEXT NOT NULL,
    domein   TEXT NOT NULL,
    body     TEXT NOT NULL
);
CREATE INDEX monitor_facts_gemeente ON monitor_facts (gemeente, domein);

-- Existing logs get these facts by a projection from the start: the read models
-- are emptied and the embedded projector rewound, as `caseflow rebuild` does;
-- the next start (or ingest, or Kafka catch-up) projects the whole log again.
DELETE FROM key_facts;
DELETE FROM agg_daily;
DELETE FROM leadtime_samples;
DELETE FROM open_cases;
DELETE FROM po_monitor;
DELETE FROM checkpoints WHERE name IN ('embedded', 'projection_token');
