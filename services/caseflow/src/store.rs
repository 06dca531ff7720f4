//! Opening the store with the global settings, shared by the subcommands.

use anyhow::Context;
use caseflow_core::config::Config;
use caseflow_store::Store;

use crate::args::Global;

/// Open the database with the configured norms and parameters.
pub async fn open(g: &Global) -> anyhow::Result<Store> {
    let config = load_config(g)?;
    let store = Store::open(&g.database)
        .await
        .with_context(|| "check --database / CASEFLOW_DATABASE_URL".to_string())?;
    Ok(configure(store, g, config).await)
}

/// The norms and parameters per gemeente of `--config` (the spec's defaults without it).
pub fn load_config(g: &Global) -> anyhow::Result<Config> {
    match &g.config {
        None => Ok(Config::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the config file {}", path.display()))?;
            Config::from_json(&text).with_context(|| format!("in {}", path.display()))
        }
    }
}

/// Apply the global settings to an opened store: norms and parameters, the
/// projector's cache bound.
pub async fn configure(store: Store, g: &Global, config: Config) -> Store {
    store.set_projection_cache_capacity(g.projection_cache).await;
    store.with_config(config)
}
