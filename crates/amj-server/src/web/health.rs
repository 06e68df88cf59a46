//! Liveness and readiness for load balancers and orchestrators.

use super::AppState;
use super::error::AppError;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

/// `{"status": "ok"}` or `{"status": "ready"}`; failures are the usual error body.
#[derive(Debug, Serialize)]
pub struct HealthBody {
    pub status: &'static str,
}

/// The process is up. Never touches the database, so a database outage does not get healthy
/// instances restarted.
pub async fn healthz() -> Json<HealthBody> {
    Json(HealthBody { status: "ok" })
}

/// The instance can serve: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<HealthBody>, AppError> {
    state.store.ping().await?;
    Ok(Json(HealthBody { status: "ready" }))
}
