//! `GET /api/v1/cases/open`: the live open-case list, most urgent first.

use axum::Router;

use crate::{model_limit, read_model, AppState};

/// The parameters `/api/v1/cases/open` accepts.
pub const ACCEPTED: &[&str] = &["gemeente", "domein", "team", "as_of", "limit"];

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/cases/open",
        read_model(
            ACCEPTED,
            model_limit,
            |p, _| {
                let (gemeente, domein) = p.gemeente_domein()?;
                let team = p.filter().team()?;
                Ok((gemeente, domein, team, p.as_of()?))
            },
            |store, (gemeente, domein, team, as_of)| async move {
                store
                    .open_cases(
                        gemeente.as_deref(),
                        domein.as_deref(),
                        team.as_deref(),
                        as_of,
                    )
                    .await
            },
        ),
    )
}
