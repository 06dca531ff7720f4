//! The shared shape of the read models that keep one JSON body per key
//! (`open_cases`, `po_monitor`, `monitor_facts`, `formatie`): the key, the
//! columns queries filter on (gemeente, domein, …), the body. One writer, one
//! reader of stored bodies by key, one filtered query for all of them.

use std::collections::HashMap;

use caseflow_core::fact::{Facts, ProjectionKey};
use serde::Serialize;
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::sql::{execute_in, fetch_pairs, insert_rows, Val};
use crate::{timings, StoreError};

/// A table of one body per key.
pub(crate) struct Table {
    pub name: &'static str,
    /// The filter columns between `key` and `body`, in order (`gemeente` and
    /// `domein` first).
    pub columns: &'static [&'static str],
    /// The phase name of its writes in [`crate::phase_timings`].
    pub timing: &'static str,
}

/// The rows to write to a [`Table`]: upserts (key, filter values, body) and deletes.
#[derive(Default)]
pub(crate) struct Changes {
    upserts: Vec<(String, Vec<String>, String)>,
    deletes: Vec<String>,
}

impl Changes {
    pub fn upsert(&mut self, key: String, columns: Vec<String>, body: String) {
        self.upserts.push((key, columns, body));
    }

    pub fn delete(&mut self, key: String) {
        self.deletes.push(key);
    }

    /// Record the change of `key`'s value from `old` to `new` (none: no row);
    /// `columns` gives a value's filter columns. Returns whether it changed.
    pub fn record<T: Serialize + PartialEq>(&mut self, key: &str, old: Option<&T>, new: Option<&T>, columns: impl Fn(&T) -> Vec<String>) -> bool {
        if new == old {
            return false;
        }
        match new {
            Some(v) => self.upsert(key.to_string(), columns(v), serde_json::to_string(v).expect("serializes")),
            None => self.delete(key.to_string()),
        }
        true
    }
}

impl Table {
    /// Apply `changes`: deletes first, then upserts.
    pub async fn write(&self, tx: &mut Transaction<'_, Any>, changes: &Changes) -> Result<(), StoreError> {
        let t0 = std::time::Instant::now();
        execute_in(tx, &format!("DELETE FROM {} WHERE key IN", self.name), &changes.deletes).await?;
        let rows: Vec<Vec<Val>> = changes
            .upserts
            .iter()
            .map(|(key, columns, body)| {
                std::iter::once(Val::Str(key)).chain(columns.iter().map(|c| Val::Str(c))).chain([Val::Str(body)]).collect()
            })
            .collect();
        let names: Vec<(&str, &str)> =
            std::iter::once("key").chain(self.columns.iter().copied()).chain(["body"]).map(|n| (n, "text")).collect();
        let set: Vec<String> = self.columns.iter().chain(["body"].iter()).map(|c| format!("{c} = excluded.{c}")).collect();
        insert_rows(tx, self.name, &names, &rows, &format!("ON CONFLICT (key) DO UPDATE SET {}", set.join(", "))).await?;
        timings::record(self.timing, t0);
        Ok(())
    }

    /// The stored bodies of `keys` that have a row, as (key, value).
    async fn stored<T: serde::de::DeserializeOwned>(&self, tx: &mut Transaction<'_, Any>, keys: &[String]) -> Result<Vec<(String, T)>, StoreError> {
        let sql = format!("SELECT key, body FROM {} WHERE key IN", self.name);
        fetch_pairs(tx, &sql, keys).await?.into_iter().map(|(k, body)| Ok((k, self.decode(&body)?))).collect()
    }

    /// Set the stored values of `keys` in their facts with `set` (a read
    /// model's part of the facts last written).
    pub async fn load<T: serde::de::DeserializeOwned>(
        &self,
        tx: &mut Transaction<'_, Any>,
        keys: &[String],
        out: &mut HashMap<ProjectionKey, Facts>,
        set: impl Fn(&mut Facts, T),
    ) -> Result<(), StoreError> {
        for (k, v) in self.stored::<T>(tx, keys).await? {
            set(out.entry(super::decode_key(&k)?).or_default(), v);
        }
        Ok(())
    }

    /// Every stored value of `gemeente` and `domein` (each when given), by key.
    pub async fn select<T: serde::de::DeserializeOwned>(&self, pool: &AnyPool, gemeente: Option<&str>, domein: Option<&str>) -> Result<Vec<T>, StoreError> {
        self.bodies(pool, gemeente, domein).await?.iter().map(|b| self.decode(b)).collect()
    }

    /// Every stored value of `gemeente` and `domein`, in no particular order (no
    /// sort: for callers whose result does not depend on the order).
    pub async fn select_unordered<T: serde::de::DeserializeOwned>(&self, pool: &AnyPool, gemeente: &str, domein: &str) -> Result<Vec<T>, StoreError> {
        let sql = format!("SELECT body FROM {} WHERE gemeente = $1 AND domein = $2", self.name);
        let rows = sqlx::query(&sql).bind(gemeente).bind(domein).fetch_all(pool).await?;
        rows.iter().map(|r| self.decode(&r.try_get::<String, _>(0)?)).collect()
    }

    /// Every stored body of `gemeente` and `domein` (each when given), by key.
    pub async fn bodies(&self, pool: &AnyPool, gemeente: Option<&str>, domein: Option<&str>) -> Result<Vec<String>, StoreError> {
        let mut sql = format!("SELECT body FROM {} WHERE 1 = 1", self.name);
        let mut binds = Vec::new();
        for (col, v) in [("gemeente", gemeente), ("domein", domein)] {
            if let Some(v) = v {
                binds.push(v);
                sql.push_str(&format!(" AND {col} = ${}", binds.len()));
            }
        }
        sql.push_str(" ORDER BY key");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        q.fetch_all(pool).await?.into_iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, body: &str) -> Result<T, StoreError> {
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("{}: {e}", self.name)))
    }
}
