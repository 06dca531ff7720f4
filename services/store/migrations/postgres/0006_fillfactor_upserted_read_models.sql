-- The read-model rows a projection updates in place (agg_daily's counts,
-- key_facts, open_cases, po_monitor) are rewritten by every batch that changes
-- them. With full pages each new row version goes to another page and needs new
-- entries in every index; with room left on the page PostgreSQL writes a
-- heap-only tuple (HOT) beside the old one and touches no index, since no
-- indexed column changes. Applies to pages written from now on.
ALTER TABLE agg_daily SET (fillfactor = 70);
ALTER TABLE key_facts SET (fillfactor = 70);
ALTER TABLE open_cases SET (fillfactor = 70);
ALTER TABLE po_monitor SET (fillfactor = 70);
