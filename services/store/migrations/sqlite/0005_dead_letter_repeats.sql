-- Dead letters keep at most a bounded prefix of the rejected bytes, with the
-- size and SHA-256 of the whole (BSN-masked) input; a line rejected again at the
-- same source position with the same content (a re-run after a crash, a Kafka
-- redelivery, a retried POST with the same request id) is stored once.
ALTER TABLE dead_letters ADD COLUMN raw_size INTEGER;
ALTER TABLE dead_letters ADD COLUMN raw_sha256 TEXT;
UPDATE dead_letters SET raw_size = length(raw);
CREATE UNIQUE INDEX dead_letters_repeat ON dead_letters (source, position, raw_sha256);
