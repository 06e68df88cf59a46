//! Extractors that hand an API handler the caller together with the schema or asset its route
//! names, already loaded from the caller's own site: a handler cannot look one up under another
//! tenant, or forget the not-found and outage mapping, because it never does the look-up.
//!
//! The order is fixed here: authenticate (401), then, for catalog writes, the site-admin check
//! (403, so a non-admin learns nothing about which schemas exist), then load (404, or 503 in an
//! outage).

use super::AppState;
use super::caller::Caller;
use super::error::AppError;
use crate::assets::{asset_by_key, schema_by_key};
use amj_store::assets::AssetRecord;
use amj_store::catalog::SchemaModel;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
struct SchemaParam {
    schema: String,
}

#[derive(Deserialize)]
struct KeyParam {
    key: String,
}

/// The route's `{name}` segment. A route without it is a programming error, reported as such.
async fn param<T: serde::de::DeserializeOwned + Send>(
    parts: &mut Parts,
    state: &AppState,
    name: &str,
) -> Result<T, AppError> {
    Path::<T>::from_request_parts(parts, state)
        .await
        .map(|Path(value)| value)
        .map_err(|e| AppError::internal_msg(format!("the route has no usable {{{name}}}: {e}")))
}

/// The caller and the schema of the route's `{schema}`, on the caller's site.
pub struct SiteSchema {
    pub caller: Caller,
    pub model: Arc<SchemaModel>,
}

impl FromRequestParts<AppState> for SiteSchema {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let SchemaParam { schema: key } = param(parts, state, "schema").await?;
        let model = schema_by_key(&state.store, caller.tenant_id(), &key).await?;
        Ok(SiteSchema { caller, model })
    }
}

/// As [`SiteSchema`], for routes that only a site admin may call: the admin check comes before
/// the schema is looked up.
pub struct AdminSchema {
    pub caller: Caller,
    pub model: Arc<SchemaModel>,
    /// The key as the route spelled it, for messages.
    pub key: String,
}

impl FromRequestParts<AppState> for AdminSchema {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_admin(state).await?;
        let SchemaParam { schema: key } = param(parts, state, "schema").await?;
        let model = schema_by_key(&state.store, caller.tenant_id(), &key).await?;
        Ok(AdminSchema { caller, model, key })
    }
}

/// The caller, and the asset of the route's `{key}` with its schema, on the caller's site.
pub struct SiteAsset {
    pub caller: Caller,
    pub model: Arc<SchemaModel>,
    pub asset: AssetRecord,
    pub key: String,
}

impl FromRequestParts<AppState> for SiteAsset {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let KeyParam { key } = param(parts, state, "key").await?;
        let (model, asset) = asset_by_key(&state.store, caller.tenant_id(), &key).await?;
        Ok(SiteAsset {
            caller,
            model,
            asset,
            key,
        })
    }
}
