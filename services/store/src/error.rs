/// What can go wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A request the data cannot answer (a gemeente without data, a period after it).
    #[error(transparent)]
    Param(#[from] caseflow_core::params::ParamError),
    #[error("stored data is unreadable ({0}); run `caseflow rebuild` to recompute the read models from the log")]
    Corrupt(String),
    /// The stored offsets are below the positions the consumer reached: the
    /// database lost its last commits (a server crash before they were flushed,
    /// a restore). The consumer must read these partitions again from `stored`.
    #[error("the database's offsets {stored:?} are behind the consumer's positions {expected:?} (its last commits were lost, e.g. in a server crash); re-reading from the stored offsets")]
    OffsetsBehind { stored: std::collections::BTreeMap<i32, i64>, expected: std::collections::BTreeMap<i32, i64> },
    /// The operating system's random number generator failed (creating a token).
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}
