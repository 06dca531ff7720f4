//! The ways into the log: where an input line came from ([`Position`]) and the
//! one NDJSON framing ([`NdjsonLines`], [`ndjson_body`]) that the line-based
//! sources share.
//!
//! Three sources, each ending in the log's one append (`append_in` in `log`:
//! validation, idempotence by `event_id`, dead letters):
//!
//! | source | framing | position | append |
//! |---|---|---|---|
//! | NDJSON file or stdin (`caseflow ingest`) | [`NdjsonLines`] over the reader, in batches of [`Prepared`](crate::Prepared) | `line 17` | [`Store::ingest_batch`](crate::Store::ingest_batch): append, and project in the same transaction while the projector is at the log's end |
//! | HTTP (`POST /api/v1/events`) | [`ndjson_body`] over the request body | `request <id> line 3` | [`Store::append`](crate::Store::append), then [`Store::project_pending`](crate::Store::project_pending) |
//! | Kafka (`caseflow-kafka`) | one message one line ([`SourceMessage`](crate::SourceMessage)) | `topic/partition@offset` | [`Store::append_source_batch`](crate::Store::append_source_batch): the partitions' next offsets in the same transaction, then [`Store::project_appended`](crate::Store::project_appended) (or both: [`Store::apply_source_batch`](crate::Store::apply_source_batch)) |
//!
//! A new source picks the row whose transaction fits: a caller that can send
//! again appends with `append`/`ingest_batch`; a source with offsets to keep
//! stores them with its events through `append_source_batch`.
//!
//! A position's text is stored with every dead letter and shown to whoever
//! sent the line, so [`Position`]'s `Display` is part of the contract.

use std::fmt;
use std::io::{self, BufRead};

use crate::log::Incoming;

/// Where an input line came from. Its text (`Display`) is the `position` of
/// [`Incoming`], of a rejection and of a stored dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position<'a> {
    /// The 1-based line of a file or stream: `line 17`.
    Line(u64),
    /// The 1-based line of an HTTP request's body: `request <id> line 3`.
    Request { id: &'a str, line: u64 },
    /// A Kafka message: `topic/partition@offset`.
    Kafka { topic: &'a str, partition: i32, offset: i64 },
}

impl fmt::Display for Position<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Request { id, line } => write!(f, "request {id} line {line}"),
            Position::Kafka { topic, partition, offset } => write!(f, "{topic}/{partition}@{offset}"),
        }
    }
}

impl<'a> Position<'a> {
    /// The position a text names, the inverse of `Display`; `None` for a text
    /// of another form. A Kafka topic holds neither `/` nor `@` nor a space, and
    /// a request id neither `/` nor `@`, so the three forms cannot be confused.
    pub fn parse(text: &'a str) -> Option<Position<'a>> {
        if let Some(n) = text.strip_prefix("line ").and_then(|n| n.parse().ok()) {
            return Some(Position::Line(n));
        }
        let request = text.strip_prefix("request ").and_then(|rest| rest.rsplit_once(" line "));
        if let Some((id, Ok(line))) = request.map(|(id, n)| (id, n.parse())) {
            return Some(Position::Request { id, line });
        }
        let (topic_partition, offset) = text.rsplit_once('@')?;
        let (topic, partition) = topic_partition.rsplit_once('/')?;
        Some(Position::Kafka { topic, partition: partition.parse().ok()?, offset: offset.parse().ok()? })
    }
}

/// The NDJSON lines of a reader as [`Incoming`]s positioned `line <n>`: split at
/// `\n`, one trailing `\r` dropped, lines of only white space skipped (they
/// still count in the numbering), a last line without `\n` kept. A line's
/// length is not bounded here; the caller bounds its input where it must (the
/// HTTP body limit). After a read error the iterator ends.
pub struct NdjsonLines<R> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
    done: bool,
}

impl<R: BufRead> NdjsonLines<R> {
    pub fn new(reader: R) -> NdjsonLines<R> {
        NdjsonLines { reader, buf: Vec::new(), line: 0, done: false }
    }
}

impl<R: BufRead> Iterator for NdjsonLines<R> {
    type Item = io::Result<Incoming>;

    fn next(&mut self) -> Option<io::Result<Incoming>> {
        while !self.done {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => self.done = true,
                Ok(_) => {
                    self.line += 1;
                    let line = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if !is_blank(line) {
                        return Some(Ok(Incoming { position: Position::Line(self.line).to_string(), raw: line.to_vec() }));
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// The NDJSON lines of a body held in memory, framed as [`NdjsonLines`] frames
/// a reader (same numbering, same skipped lines).
pub fn ndjson_body(body: &[u8]) -> Vec<Incoming> {
    // Reading a byte slice cannot fail, so no line is an error.
    NdjsonLines::new(body).filter_map(Result::ok).collect()
}

/// Whether a line holds only ASCII white space (or nothing): not an event, skipped.
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(String, String)> {
        ndjson_body(input).into_iter().map(|i| (i.position, String::from_utf8(i.raw).unwrap())).collect()
    }

    fn pair(position: &str, raw: &str) -> (String, String) {
        (position.to_string(), raw.to_string())
    }

    #[test]
    fn positions_read_as_today() {
        assert_eq!(Position::Line(17).to_string(), "line 17");
        assert_eq!(Position::Request { id: "abc-1", line: 3 }.to_string(), "request abc-1 line 3");
        assert_eq!(Position::Kafka { topic: "caseflow.events", partition: 2, offset: 41 }.to_string(), "caseflow.events/2@41");
    }

    #[test]
    fn positions_parse_back() {
        for p in [
            Position::Line(1),
            Position::Request { id: "0e7c:x.y_z", line: 12 },
            Position::Kafka { topic: "caseflow.events", partition: 0, offset: 0 },
            Position::Kafka { topic: "t", partition: 11, offset: 9_000_000_000 },
        ] {
            assert_eq!(Position::parse(&p.to_string()), Some(p));
        }
        assert_eq!(Position::parse("line x"), None);
        assert_eq!(Position::parse("request abc"), None);
        assert_eq!(Position::parse("topic/x@1"), None);
        assert_eq!(Position::parse("stdin"), None);
    }

    #[test]
    fn lines_are_numbered_from_one_and_blank_ones_skipped() {
        assert_eq!(lines(b"{\"a\":1}\n\n{\"b\":2}\n"), vec![pair("line 1", "{\"a\":1}"), pair("line 3", "{\"b\":2}")]);
    }

    #[test]
    fn crlf_loses_its_carriage_return_only() {
        assert_eq!(lines(b"a\r\nb\r\n\r\nc\r\r\n"), vec![pair("line 1", "a"), pair("line 2", "b"), pair("line 4", "c\r")]);
    }

    #[test]
    fn a_last_line_without_newline_is_kept() {
        assert_eq!(lines(b"a\nb"), vec![pair("line 1", "a"), pair("line 2", "b")]);
        assert_eq!(lines(b"only"), vec![pair("line 1", "only")]);
    }

    #[test]
    fn white_space_lines_are_skipped_but_counted_and_other_lines_kept_whole() {
        assert_eq!(lines(b"   \n\t \r\n  x  \n"), vec![pair("line 3", "  x  ")]);
        assert!(lines(b"").is_empty());
        assert!(lines(b"\n \n\r\n").is_empty());
    }

    #[test]
    fn a_reader_frames_like_a_body() {
        let input = b"a\r\n\n  \nb\nc".repeat(1000);
        // A small buffer splits lines across reads.
        let from_reader: Vec<(String, Vec<u8>)> =
            NdjsonLines::new(io::BufReader::with_capacity(7, &input[..])).map(|i| i.map(|i| (i.position, i.raw))).collect::<io::Result<_>>().unwrap();
        let from_body: Vec<(String, Vec<u8>)> = ndjson_body(&input).into_iter().map(|i| (i.position, i.raw)).collect();
        assert_eq!(from_reader, from_body);
        // Four newlines a repeat: lines `a\r` (then `ca\r`), blank, spaces, `b`; a last `c`.
        assert_eq!(from_body.len(), 2001);
        assert_eq!(from_body[2], ("line 5".to_string(), b"ca".to_vec()));
        assert_eq!(from_body.last().unwrap(), &("line 4001".to_string(), b"c".to_vec()));
    }

    #[test]
    fn a_read_error_is_passed_on_once_and_ends_the_lines() {
        struct Failing(bool);
        impl io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    Err(io::Error::other("disk gone"))
                } else {
                    buf[..4].copy_from_slice(b"a\nb\n");
                    Ok(4)
                }
            }
        }
        let mut it = NdjsonLines::new(io::BufReader::new(Failing(false)));
        assert_eq!(it.next().unwrap().unwrap().position, "line 1");
        assert_eq!(it.next().unwrap().unwrap().position, "line 2");
        assert_eq!(it.next().unwrap().unwrap_err().to_string(), "disk gone");
        assert!(it.next().is_none());
    }
}
