//! Liveness and readiness for load balancers and orchestrators.

use super::AppState;
use super::error::AppError;
use axum::Json;
use axum::extract::State;

/// The process is up. Never touches the database, so a database outage does not get healthy
/// instances restarted.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// The instance can serve: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    state.store.ping().await?;
    Ok(Json(serde_json::json!({"status": "ready"})))
}
