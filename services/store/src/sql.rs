//! Small helpers for SQL that both SQLite and PostgreSQL accept.
//!
//! Placeholders: `$N` for PostgreSQL; for SQLite, anonymous `?` when a list starts
//! at the first parameter, `?N` otherwise. (SQLite keeps `$N` and `?N` in a list
//! that binding searches linearly, so a statement with thousands of them is
//! quadratic to bind; anonymous `?` are bound by position.)
//!
//! Statements whose placeholder count varies with the batch (`IN` lists,
//! multi-row `VALUES`) are run with `.persistent(false)`: each shape is used about
//! once, and sqlx's per-connection statement cache would otherwise keep up to 100
//! of these large prepared statements (over 100 MB at 20,000-event batches). The
//! exception is a full chunk of a multi-row insert on SQLite ([`keep_prepared`]):
//! its text is the same every time, so it is prepared once per connection and
//! table, not once per chunk (preparing the large statements took 5 % of an
//! embedded ingest). `IN` lists stay unprepared: their prefixes carry values
//! (`seq <= …`), so even a full chunk's text is new every batch.

use sqlx::AnyConnection;

use crate::Dialect;

/// The dialect of a connection.
pub fn dialect_of(conn: &AnyConnection) -> Dialect {
    if conn.backend_name() == "PostgreSQL" {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    }
}

fn placeholder(d: Dialect, n: usize, first: usize, out: &mut String) {
    match d {
        Dialect::Postgres => {
            out.push('$');
            out.push_str(&n.to_string());
        }
        Dialect::Sqlite if first == 1 => out.push('?'),
        Dialect::Sqlite => {
            out.push('?');
            out.push_str(&n.to_string());
        }
    }
}

/// `($1, $2, $3), ($4, $5, $6), …` for `rows` rows of `cols` columns,
/// numbering from `first`.
pub fn values_placeholders(d: Dialect, rows: usize, cols: usize, first: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = first;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            placeholder(d, n, first, &mut s);
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `$first, $first+1, …` for an `IN (…)` list of `n` items.
pub fn list_placeholders(d: Dialect, n: usize, first: usize) -> String {
    let mut s = String::with_capacity(n * 4);
    for i in first..first + n {
        if i > first {
            s.push_str(", ");
        }
        placeholder(d, i, first, &mut s);
    }
    s
}

/// Parameters per statement stay well below SQLite's and PostgreSQL's limits.
pub const MAX_PARAMS: usize = 30_000;

/// Whether a chunk of a multi-row SQLite insert (`rows` rows, where a full chunk
/// holds `full`) stays prepared on its connection: a full chunk does (its SQL
/// text is the same every time, so the connection's cache holds one per
/// statement kind), a shorter last chunk does not (its shape varies). SQLite
/// only: PostgreSQL would plan a kept statement generically after a few runs,
/// and its inserts are one small statement per batch anyway.
pub(crate) fn keep_prepared(rows: usize, full: usize) -> bool {
    rows == full
}

/// `UPDATE table SET column = value WHERE id IN (ids)`, in chunks within the
/// parameter limit (marking rows published, attempted, …).
pub(crate) async fn set_by_ids(conn: &mut AnyConnection, table: &str, column: &str, value: &str, ids: &[i64]) -> Result<(), crate::StoreError> {
    let dialect = dialect_of(conn);
    for chunk in ids.chunks(MAX_PARAMS - 1) {
        let sql = format!("UPDATE {table} SET {column} = $1 WHERE id IN ({})", list_placeholders(dialect, chunk.len(), 2));
        let mut q = sqlx::query(&sql).persistent(false).bind(value);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A value for [`insert_rows`].
pub(crate) enum Val<'a> {
    Str(&'a str),
    Text(String),
    F64(f64),
}

impl Val<'_> {
    fn json(&self) -> serde_json::Value {
        match self {
            Val::Str(s) => serde_json::Value::from(*s),
            Val::Text(s) => serde_json::Value::from(s.as_str()),
            Val::F64(v) => serde_json::Value::from(*v),
        }
    }
}

/// The unit separator (U+001F): on PostgreSQL a column's values travel as one
/// text parameter, joined by it, and `string_to_array` splits them again. JSON
/// text never holds it raw (control characters are escaped), nor do UUIDs,
/// timestamps, codes or numbers; a batch where some value holds it goes as JSON.
pub(crate) const SEP: char = '\u{1f}';

/// One text parameter per column (see [`SEP`]): every value preceded by the
/// separator, so the first element of each split array is empty (and one empty
/// value still makes an element).
pub(crate) struct Columns {
    texts: Vec<String>,
    plain: bool,
}

impl Columns {
    pub fn new(columns: usize, rows: usize) -> Columns {
        Columns { texts: (0..columns).map(|_| String::with_capacity(rows * 24)).collect(), plain: true }
    }

    pub fn push(&mut self, column: usize, value: &str) {
        self.plain &= !value.contains(SEP);
        let t = &mut self.texts[column];
        t.push(SEP);
        t.push_str(value);
    }

    pub fn push_f64(&mut self, column: usize, value: f64) {
        use std::fmt::Write;
        let t = &mut self.texts[column];
        t.push(SEP);
        // Display is the shortest text that parses back to the same f64.
        let _ = write!(t, "{value}");
    }

    /// `false` when some value holds the separator.
    pub fn plain(&self) -> bool {
        self.plain
    }

    /// Bind the column texts, in column order, as the next parameters of `q`.
    pub fn bind_to<'q>(self, q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        self.texts.into_iter().fold(q, |q, t| q.bind(t))
    }
}

/// `unnest((string_to_array($first, E'\x1f'))[2:], …) WITH ORDINALITY AS r(names…, ord)`:
/// the rows of [`Columns`] bound from parameter `first` on, in input order by `ord`.
pub(crate) fn unnest_from(names: &[&str], first: usize) -> String {
    let arrays: Vec<String> = (0..names.len()).map(|i| format!("(string_to_array(${}, E'\\x1f'))[2:]", first + i)).collect();
    format!("unnest({}) WITH ORDINALITY AS r({}, ord)", arrays.join(", "), names.join(", "))
}

/// `INSERT INTO table (columns) … suffix` for many rows, the way each database
/// takes them fastest: on SQLite multi-row `VALUES` (chunked within the parameter
/// limit); on PostgreSQL one text parameter per column split by `string_to_array`
/// and zipped by `unnest` (a small statement to parse and plan whatever the batch
/// size, and far cheaper for the server than expanding JSON), in input order;
/// as one JSON parameter expanded by `json_to_recordset` when a value holds the
/// separator. `columns` are (name, PostgreSQL type); `suffix` is e.g. an `ON CONFLICT`
/// clause referring to `excluded`. Returns the rows affected.
pub(crate) async fn insert_rows(conn: &mut AnyConnection, table: &str, columns: &[(&str, &str)], rows: &[Vec<Val<'_>>], suffix: &str) -> Result<u64, crate::StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let column_names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let names = column_names.join(", ");
    match dialect_of(conn) {
        Dialect::Sqlite => {
            let mut affected = 0;
            let full = MAX_PARAMS / columns.len();
            for chunk in rows.chunks(full) {
                let sql = format!("INSERT INTO {table} ({names}) VALUES {} {suffix}", values_placeholders(Dialect::Sqlite, chunk.len(), columns.len(), 1));
                let mut q = sqlx::query(&sql).persistent(keep_prepared(chunk.len(), full));
                for row in chunk {
                    for v in row {
                        q = match v {
                            Val::Str(s) => q.bind(*s),
                            Val::Text(s) => q.bind(s.as_str()),
                            Val::F64(x) => q.bind(*x),
                        };
                    }
                }
                affected += q.execute(&mut *conn).await?.rows_affected();
            }
            Ok(affected)
        }
        Dialect::Postgres => {
            let mut cols = Columns::new(columns.len(), rows.len());
            for row in rows {
                for (i, v) in row.iter().enumerate() {
                    match v {
                        Val::Str(s) => cols.push(i, s),
                        Val::Text(s) => cols.push(i, s),
                        Val::F64(x) => cols.push_f64(i, *x),
                    }
                }
            }
            if cols.plain() {
                let select: Vec<String> =
                    columns.iter().map(|(n, t)| if *t == "text" { n.to_string() } else { format!("{n}::{t}") }).collect();
                let sql = format!(
                    "INSERT INTO {table} ({names}) SELECT {} FROM {} ORDER BY ord {suffix}",
                    select.join(", "),
                    unnest_from(&column_names, 1)
                );
                return Ok(cols.bind_to(sqlx::query(&sql).persistent(false)).execute(&mut *conn).await?.rows_affected());
            }
            let json: Vec<serde_json::Value> = rows
                .iter()
                .map(|row| serde_json::Value::Object(columns.iter().zip(row).map(|((n, _), v)| (n.to_string(), v.json())).collect()))
                .collect();
            let types: Vec<String> = columns.iter().map(|(n, t)| format!("{n} {t}")).collect();
            // In input order (serial ids, e.g. the outbox's, follow the rows).
            let sql = format!(
                "INSERT INTO {table} ({names}) SELECT {names} FROM ROWS FROM (json_to_recordset($1::json) AS ({})) WITH ORDINALITY AS r({names}, ord) ORDER BY ord {suffix}",
                types.join(", ")
            );
            let json = serde_json::Value::Array(json).to_string();
            Ok(sqlx::query(&sql).bind(json).execute(&mut *conn).await?.rows_affected())
        }
    }
}

/// The rows of `sql_prefix (ids)`, where `sql_prefix` ends with `column IN`, in
/// chunks within the parameter limit. (On PostgreSQL, `= ANY($1::text[])` with
/// one array parameter was tried and made the planner choose far slower plans:
/// the Kafka drain fell from 8k to 2k events/s.)
pub(crate) async fn fetch_in(conn: &mut AnyConnection, sql_prefix: &str, ids: &[String]) -> Result<Vec<sqlx::any::AnyRow>, crate::StoreError> {
    let d = dialect_of(conn);
    let mut rows = Vec::new();
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!("{sql_prefix} ({})", list_placeholders(d, chunk.len(), 1));
        let mut q = sqlx::query(&sql).persistent(false);
        for id in chunk {
            q = q.bind(id.as_str());
        }
        rows.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// `sql_prefix (ids)` as a statement (e.g. `DELETE FROM t WHERE key IN`), like [`fetch_in`].
pub(crate) async fn execute_in(conn: &mut AnyConnection, sql_prefix: &str, ids: &[String]) -> Result<(), crate::StoreError> {
    let d = dialect_of(conn);
    for chunk in ids.chunks(MAX_PARAMS) {
        let sql = format!("{sql_prefix} ({})", list_placeholders(d, chunk.len(), 1));
        let mut q = sqlx::query(&sql).persistent(false);
        for id in chunk {
            q = q.bind(id.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The first two columns of the rows of `sql_prefix (ids)`, as text (see [`fetch_in`]).
pub(crate) async fn fetch_pairs(conn: &mut AnyConnection, sql_prefix: &str, ids: &[String]) -> Result<Vec<(String, String)>, crate::StoreError> {
    use sqlx::Row;
    fetch_in(conn, sql_prefix, ids).await?.into_iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// A stored `domein`.
pub(crate) fn parse_domein(s: &str) -> Result<caseflow_core::event::Domein, crate::StoreError> {
    caseflow_core::event::Domein::parse(s).ok_or_else(|| crate::StoreError::Corrupt(format!("domein `{s}`")))
}

/// A stored day (`YYYY-MM-DD`).
pub(crate) fn parse_day(s: &str) -> Result<chrono::NaiveDate, crate::StoreError> {
    s.parse().map_err(|_| crate::StoreError::Corrupt(format!("day `{s}`")))
}

/// The `gemeente`, `domein` and `team` columns of a read-model row (an empty
/// team is none).
pub(crate) fn dims_from_row(r: &sqlx::any::AnyRow) -> Result<caseflow_core::fact::Dims, crate::StoreError> {
    use sqlx::Row;
    let domein: String = r.try_get("domein")?;
    let team: String = r.try_get("team")?;
    Ok(caseflow_core::fact::Dims { gemeente: r.try_get("gemeente")?, domein: parse_domein(&domein)?, team: (!team.is_empty()).then_some(team) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert_eq!(
            values_placeholders(Dialect::Postgres, 2, 3, 1),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(list_placeholders(Dialect::Postgres, 3, 2), "$2, $3, $4");
        assert_eq!(
            values_placeholders(Dialect::Sqlite, 2, 2, 1),
            "(?, ?), (?, ?)"
        );
        assert_eq!(list_placeholders(Dialect::Sqlite, 2, 1), "?, ?");
        assert_eq!(list_placeholders(Dialect::Sqlite, 2, 2), "?2, ?3");
    }
}
