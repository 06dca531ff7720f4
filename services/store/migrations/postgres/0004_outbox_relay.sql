-- The relay that publishes the outbox (alert transitions to caseflow.alerts.v1)
-- marks a batch as attempted, together with the topic's end offsets, BEFORE it
-- publishes, and published after the broker acknowledged it. A batch left
-- attempted but unpublished (a crash between the acknowledgement and the mark)
-- is reconciled by reading the topic from those offsets: what is there already is
-- marked, not published again (exactly once per transition).
ALTER TABLE outbox ADD COLUMN attempted_at TEXT;
CREATE TABLE outbox_relay (
    topic      TEXT PRIMARY KEY,
    -- JSON object: partition -> end offset when the last attempt began.
    end_offsets TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
