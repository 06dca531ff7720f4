#!/usr/bin/env python3
"""An external Kafka client for caseflow's end-to-end tests (kafka-python, not ours).

produce: read NDJSON (a file or stdin) and produce each line to a topic with the
producer contract's key: the event's case_id, or gemeente/team for formatie
events; lines that are not such JSON get no key. --partition N sends everything to
one partition (poison messages); --copies 2 --shuffle-seed S sends the stream,
then a shuffled second copy. Every send is checked: a message the broker did not
acknowledge ends the run with an error (exit 1) instead of being counted. The
producer is idempotent, so a retry after a lost acknowledgement (a slow broker)
does not write a message twice. Prints the number of messages produced.

consume: read a topic from the beginning until --expect messages arrived (or
--timeout seconds passed) and print one JSON object per message with partition,
offset, key, value (text) and headers.

offsets: print the end offset of each partition of a topic as JSON
({"0": 123, ...}): what the broker holds, to compare with what was produced and
with what a consumer applied.
"""
import argparse
import json
import random
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def key_of(line):
    try:
        v = json.loads(line)
    except ValueError:
        return None
    if not isinstance(v, dict):
        return None
    if isinstance(v.get("case_id"), str):
        return v["case_id"]
    data = v.get("data")
    if isinstance(v.get("gemeente"), str) and isinstance(data, dict) and isinstance(data.get("team"), str):
        return v["gemeente"] + "/" + data["team"]
    return None


def produce(a):
    src = open(a.file, "rb") if a.file != "-" else sys.stdin.buffer
    lines = [l.rstrip(b"\r\n") for l in src if l.strip()]
    batches = [lines]
    for c in range(1, a.copies):
        again = list(lines)
        random.Random(a.shuffle_seed + c).shuffle(again)
        batches.append(again)
    # batch_size=1: one record per record batch. tansu 0.6.0 answers a fetch at an
    # offset inside a multi-record batch with the batches after it (the offsets
    # before the next batch are never delivered); a consumer that resumes at a
    # stored offset needs every offset to start a batch there. Real Kafka does not.
    p = KafkaProducer(bootstrap_servers=a.brokers, acks="all", linger_ms=5, batch_size=1, retries=10,
                      enable_idempotence=True, max_in_flight_requests_per_connection=1,
                      request_timeout_ms=60000)
    sent = []
    for batch in batches:
        for line in batch:
            k = key_of(line)
            sent.append(p.send(a.topic, value=line, key=k.encode() if k is not None else None, partition=a.partition))
    # No flush timeout: a slow machine is slow, not wrong. A message that failed
    # (after the producer's retries) is reported below.
    p.flush()
    p.close()
    failed = [f for f in sent if not f.succeeded()]
    if failed:
        sys.exit(f"{len(failed)} of {len(sent)} messages to {a.topic} were not acknowledged; first: "
                 f"{failed[0].exception!r}")
    print(len(sent))


def partitions(c, topic, deadline):
    """The topic's partitions, waiting (until deadline) for the topic to exist."""
    parts = c.partitions_for_topic(topic)
    while parts is None and time.time() < deadline:
        time.sleep(0.5)
        parts = c.partitions_for_topic(topic)
    if parts is None:
        sys.exit(f"topic {topic} not found")
    return [TopicPartition(topic, p) for p in sorted(parts)]


def offsets(a):
    c = KafkaConsumer(bootstrap_servers=a.brokers)
    ends = c.end_offsets(partitions(c, a.topic, time.time() + 60))
    print(json.dumps({str(tp.partition): off for tp, off in ends.items()}))
    c.close()


def consume(a):
    c = KafkaConsumer(bootstrap_servers=a.brokers, enable_auto_commit=False, auto_offset_reset="earliest",
                      consumer_timeout_ms=1000)
    deadline = time.time() + a.timeout
    c.assign(partitions(c, a.topic, deadline))
    c.seek_to_beginning()
    got = 0
    seen = set()
    while got < a.expect and time.time() < deadline:
        for m in c:
            headers = {k: (v.decode("utf-8", "replace") if v is not None else None) for k, v in (m.headers or [])}
            print(json.dumps({
                "partition": m.partition,
                "offset": m.offset,
                "key": m.key.decode("utf-8", "replace") if m.key is not None else None,
                "value": m.value.decode("utf-8", "replace") if m.value is not None else None,
                "headers": headers,
            }), flush=True)
            if a.distinct_header:
                # At-least-once topics: count each value of the header once.
                seen.add(headers.get(a.distinct_header))
                got = len(seen)
            else:
                got += 1
            if got >= a.expect:
                break
    c.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("produce")
    p.add_argument("--brokers", required=True)
    p.add_argument("--topic", default="caseflow.events.v1")
    p.add_argument("--file", default="-")
    p.add_argument("--partition", type=int, default=None)
    p.add_argument("--copies", type=int, default=1)
    p.add_argument("--shuffle-seed", type=int, default=1)
    c = sub.add_parser("consume")
    c.add_argument("--brokers", required=True)
    c.add_argument("--topic", required=True)
    c.add_argument("--expect", type=int, required=True)
    c.add_argument("--timeout", type=float, default=60)
    c.add_argument("--distinct-header", default=None,
                   help="stop after --expect distinct values of this header (repeats do not count)")
    o = sub.add_parser("offsets")
    o.add_argument("--brokers", required=True)
    o.add_argument("--topic", required=True)
    a = ap.parse_args()
    {"produce": produce, "consume": consume, "offsets": offsets}[a.cmd](a)


if __name__ == "__main__":
    main()
