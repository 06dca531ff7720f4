//! A cheap token that changes whenever anything the read-model queries return
//! can change: the projection checkpoints (events applied, embedded or per Kafka
//! partition) and the alert transitions (every raise and resolve writes the
//! outbox). Caches of query results key on it.

use sqlx::Row;

use crate::{Store, StoreError};

impl Store {
    /// The data version: equal tokens mean equal read models (for this process's
    /// configuration; parameters are applied at query time).
    pub async fn data_version(&self) -> Result<String, StoreError> {
        let r = sqlx::query(
            "SELECT (SELECT CAST(COALESCE(SUM(position), 0) AS BIGINT) FROM checkpoints), (SELECT COUNT(*) FROM checkpoints), \
             (SELECT COALESCE(MAX(id), 0) FROM outbox)",
        )
        .fetch_one(&self.pool)
        .await?;
        let (applied, parts, transitions): (i64, i64, i64) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        Ok(format!("{applied}.{parts}.{transitions}"))
    }
}
