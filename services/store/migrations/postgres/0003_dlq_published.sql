-- Dead letters of a Kafka source are also published to the DLQ topic. The row is
-- the durable record (written in the projection transaction); published_at is set
-- once the DLQ topic has acknowledged it, so a relay can publish what a crash left
-- unpublished (at least once; consumers dedupe by the `position` header/key).
ALTER TABLE dead_letters ADD COLUMN published_at TEXT;
CREATE INDEX dead_letters_unpublished ON dead_letters (source, id) WHERE published_at IS NULL;
