-- The staffing read model (spec §3.3): the effective formatie.vastgesteld
-- events (those not withdrawn), one row per event, the body as in the log.
CREATE TABLE formatie (
    key      TEXT PRIMARY KEY,
    gemeente TEXT NOT NULL,
    domein   TEXT NOT NULL,
    body     TEXT NOT NULL
);
CREATE INDEX formatie_gemeente ON formatie (gemeente, domein);

-- Existing logs fill it by a projection from the start: the read models are
-- emptied and the embedded projector rewound, as `caseflow rebuild` does; the
-- next start (or ingest, or Kafka catch-up) projects the whole log again.
DELETE FROM key_facts;
DELETE FROM agg_daily;
DELETE FROM leadtime_samples;
DELETE FROM open_cases;
DELETE FROM po_monitor;
DELETE FROM monitor_facts;
DELETE FROM checkpoints WHERE name IN ('embedded', 'projection_token');
