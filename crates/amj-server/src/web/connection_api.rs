//! The site's connection health, for its admins: which platform reaches us, when the install
//! and the last secret rotation were, refusals in the last 24 hours by reason, the lifecycle log,
//! and each Forge installation's token and events. The server's admin page and the front end's
//! show the same figures, from here.

use super::AppState;
use super::caller::Caller;
use super::error::AppError;
use amj_store::Tenant;
use amj_store::auth_history::HOUR_MILLIS;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// How the site reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SitePlatform {
    Connect,
    Forge,
    ConnectAndForge,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionHealthBody {
    pub platform: SitePlatform,
    pub site_url: String,
    /// RFC 3339, UTC, like every time below.
    #[schema(required = true, format = DateTime)]
    pub installed_at: Option<String>,
    /// `null`: the Connect secret was never rotated (or the site is on Forge only).
    #[schema(required = true, format = DateTime)]
    pub last_rotation_at: Option<String>,
    /// The last request from the site this instance accepted; `null` since it started.
    #[schema(required = true, format = DateTime)]
    pub last_success_at: Option<String>,
    /// Refused requests in the last 24 hours, from every instance, by reason code.
    pub failures: Vec<FailureCount>,
    /// The lifecycle log, newest first (at most 20).
    pub events: Vec<LifecycleEventBody>,
    pub installations: Vec<InstallationBody>,
}

#[derive(Serialize, ToSchema)]
pub struct FailureCount {
    /// A reason code, such as `bad_signature` or `expired`.
    pub reason: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct LifecycleEventBody {
    #[schema(required = true, format = DateTime)]
    pub at: Option<String>,
    pub kind: String,
    pub detail: String,
}

/// A Forge installation of the site. Its system token never leaves the server; only its expiry.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstallationBody {
    pub id: String,
    #[schema(required = true, format = DateTime)]
    pub token_expires_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub last_event_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub last_trigger_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub dormant_at: Option<String>,
    #[schema(required = true)]
    pub dormant_reason: Option<String>,
}

fn at(millis: i64) -> Option<String> {
    amj_domain::value::format_datetime(millis)
}

/// The figures for a site, in milliseconds: the admin page writes them for people, the API as
/// RFC 3339.
pub struct ConnectionHealth {
    pub platform: SitePlatform,
    pub site_url: String,
    pub installed_at: i64,
    pub last_rotation_at: Option<i64>,
    pub last_success_at: Option<i64>,
    /// `(reason code, count)`, only reasons that occurred.
    pub failures: Vec<(&'static str, i64)>,
    pub events: Vec<amj_store::tenants::LifecycleEventRecord>,
    pub installations: Vec<amj_store::forge::ForgeInstallation>,
}

impl SitePlatform {
    pub fn label(self) -> &'static str {
        match self {
            SitePlatform::Connect => "Connect",
            SitePlatform::Forge => "Forge",
            SitePlatform::ConnectAndForge => "Connect and Forge",
        }
    }
}

/// The figures for `tenant`.
pub async fn connection_health(
    state: &AppState,
    tenant: &Tenant,
) -> Result<ConnectionHealth, AppError> {
    let health = state.counters.tenant(tenant.id);
    // The last 24 hours from every instance (saved each watch tick), plus what this instance has
    // counted since its last save.
    let since_hour = state.monitor.clock.now_millis().div_euclid(HOUR_MILLIS) - 23;
    let mut by_outcome: std::collections::BTreeMap<String, i64> = state
        .store
        .auth_counts_since(tenant.id, since_hour)
        .await?
        .into_iter()
        .collect();
    for (site, hour, outcome, count) in state.monitor.pending_auth_counts() {
        if site == tenant.id && hour >= since_hour {
            *by_outcome.entry(outcome.to_owned()).or_default() +=
                i64::try_from(count).unwrap_or(i64::MAX);
        }
    }
    let failures = amj_connect::AuthReason::ALL
        .iter()
        .map(|r| (r.code(), by_outcome.get(r.code()).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let events = state.store.lifecycle_events(tenant.id, None, 20).await?;
    let installations = state.store.forge_installations_of(tenant.id).await?;
    let platform = match (tenant.connect, installations.is_empty()) {
        (true, true) => SitePlatform::Connect,
        (true, false) => SitePlatform::ConnectAndForge,
        (false, _) => SitePlatform::Forge,
    };
    Ok(ConnectionHealth {
        platform,
        site_url: tenant.display_url().to_owned(),
        installed_at: tenant.installed_at,
        last_rotation_at: tenant.secret_rotated_at,
        last_success_at: health.last_success_at,
        failures,
        events,
        installations,
    })
}

impl From<ConnectionHealth> for ConnectionHealthBody {
    fn from(health: ConnectionHealth) -> Self {
        ConnectionHealthBody {
            platform: health.platform,
            site_url: health.site_url,
            installed_at: at(health.installed_at),
            last_rotation_at: health.last_rotation_at.and_then(at),
            last_success_at: health.last_success_at.and_then(at),
            failures: health
                .failures
                .into_iter()
                .map(|(reason, count)| FailureCount {
                    reason: reason.to_owned(),
                    count,
                })
                .collect(),
            events: health
                .events
                .into_iter()
                .map(|e| LifecycleEventBody {
                    at: at(e.at),
                    kind: e.kind,
                    detail: e.detail,
                })
                .collect(),
            installations: health
                .installations
                .into_iter()
                .map(|i| InstallationBody {
                    id: i.installation_id,
                    token_expires_at: i.system_token_exp.and_then(at),
                    last_event_at: i.last_event_at.and_then(at),
                    last_trigger_at: i.last_trigger_at.and_then(at),
                    dormant_at: i.dormant_at.and_then(at),
                    dormant_reason: i.dormant_reason,
                })
                .collect(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/connection",
    tag = "meta",
    responses(
        (status = 200, description = "How the site reaches the app, and what was refused", body = ConnectionHealthBody),
        (status = 403, response = super::openapi::Forbidden)
    )
)]
pub async fn connection(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ConnectionHealthBody>, AppError> {
    if !caller.is_admin(&state).await? {
        return Err(AppError::Forbidden {
            code: "admin_required",
            message: "only Jira site admins can see the connection's health".into(),
        });
    }
    Ok(Json(
        connection_health(&state, &caller.tenant).await?.into(),
    ))
}
