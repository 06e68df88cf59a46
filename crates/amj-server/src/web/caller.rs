//! Who is calling the REST API, and what they may do.
//!
//! Two credentials reach `/api/v1`: Connect JWTs (context tokens from our pages, or app-signed
//! calls), which carry a Jira user, and API tokens (`Authorization: Bearer amj_…`) for scripts.
//! Permissions follow Jira: site admins manage schemas; everyone else views, and edits assets only
//! where the schema allows it. Admin status is checked with Jira and cached briefly.

use super::AppState;
use super::error::AppError;
use super::extract::ApiAuth;
use crate::jira::payload::{PermissionsAnswer, PermissionsCheck};
use amj_connect::{AuthError, AuthReason, RouteKind};
use amj_domain::Schema;
use amj_domain::ids::TenantId;
use amj_store::Tenant;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// How long a "site admin or not" answer from Jira is trusted. Short, so a revoked admin loses
/// schema rights within a minute; long enough that a page of calls costs one Jira round trip.
pub const ADMIN_CACHE_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A Connect JWT; `account_id` is the Jira user, absent for app-only calls.
    Jira { account_id: Option<String> },
    /// An API token created by a site admin.
    ApiToken { id: i64, read_only: bool },
}

pub struct Caller {
    pub tenant: Arc<Tenant>,
    pub credential: Credential,
    /// Set when the call came through Forge (`invokeRemote`) with a Forge Invocation Token.
    pub forge: Option<crate::auth::forge::ForgeInvocation>,
}

impl Caller {
    /// Who history and `updatedBy` record: the Jira accountId, or the token.
    pub fn actor(&self) -> String {
        match &self.credential {
            Credential::Jira {
                account_id: Some(id),
            } => id.clone(),
            Credential::Jira { account_id: None } => "app".to_owned(),
            Credential::ApiToken { id, .. } => format!("api-token:{id}"),
        }
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant.id
    }

    /// The person's own Jira token, when Forge sent one: what they do themselves is checked with
    /// their permissions. `None` under Connect and for API tokens (the app's credentials apply).
    pub fn jira_user(&self) -> Option<&crate::jira::UserToken> {
        self.forge.as_ref()?.user_token.as_ref()
    }

    /// Whose permissions apply when this caller reads an issue (see [`crate::issues::Viewer`]).
    pub fn issue_viewer(&self) -> crate::issues::Viewer<'_> {
        use crate::issues::Viewer;
        match (self.jira_user(), &self.credential) {
            (Some(token), _) => Viewer::Token(token),
            (
                None,
                Credential::Jira {
                    account_id: Some(id),
                },
            ) => Viewer::Account(id),
            _ => Viewer::App,
        }
    }

    /// The Jira user behind the request; `None` for the app itself and for API tokens.
    pub fn account_id(&self) -> Option<String> {
        match &self.credential {
            Credential::Jira { account_id } => account_id.clone(),
            Credential::ApiToken { .. } => None,
        }
    }

    /// Read-only tokens may only read.
    pub fn require_write(&self) -> Result<(), AppError> {
        match self.credential {
            Credential::ApiToken {
                read_only: true, ..
            } => Err(AppError::Forbidden {
                code: "read_only_token",
                message: "this API token is read-only".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Site admins, and read-write API tokens (which only site admins can create).
    pub async fn is_admin(&self, state: &AppState) -> Result<bool, AppError> {
        match &self.credential {
            Credential::ApiToken { read_only, .. } => Ok(!read_only),
            Credential::Jira { account_id: None } => Ok(false),
            Credential::Jira {
                account_id: Some(account_id),
            } => {
                state
                    .admins
                    .is_site_admin(state, &self.tenant, account_id)
                    .await
            }
        }
    }

    pub async fn require_admin(&self, state: &AppState) -> Result<(), AppError> {
        self.require_write()?;
        if self.is_admin(state).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "admin_required",
                message: "only Jira site admins can do this".into(),
            })
        }
    }

    /// Editing assets: admins always; other Jira users where the schema lets users edit.
    pub async fn require_asset_edit(
        &self,
        state: &AppState,
        schema: &Schema,
    ) -> Result<(), AppError> {
        self.require_write()?;
        let user = matches!(
            &self.credential,
            Credential::Jira {
                account_id: Some(_)
            }
        );
        if (user && schema.users_can_edit) || self.is_admin(state).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden {
                code: "edit_not_allowed",
                message: format!(
                    "only Jira site admins can edit assets in schema {}",
                    schema.key
                ),
            })
        }
    }

    /// Managing API tokens needs a person: a token cannot mint or revoke tokens.
    pub async fn require_admin_user(&self, state: &AppState) -> Result<(), AppError> {
        if matches!(self.credential, Credential::ApiToken { .. }) {
            return Err(AppError::Forbidden {
                code: "user_required",
                message: "API tokens are managed by a Jira site admin from Jira, not by tokens"
                    .into(),
            });
        }
        self.require_admin(state).await
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_owned);
        let Some(secret) = bearer else {
            let ApiAuth(auth) = ApiAuth::from_request_parts(parts, state).await?;
            return Ok(Caller {
                tenant: auth.tenant,
                credential: Credential::Jira {
                    account_id: auth.account_id,
                },
                forge: None,
            });
        };
        if looks_like_jwt(&secret) {
            return forge_caller(parts, state, &secret).await;
        }
        let refuse = |message: &str| {
            state
                .counters
                .record_failure(RouteKind::Api, AuthReason::InvalidApiToken, None);
            AppError::Unauthorized(AuthError::new(AuthReason::InvalidApiToken, message))
        };
        let Some(token) = state.store.find_api_token(&secret).await? else {
            return Err(refuse("the API token is unknown or revoked"));
        };
        let Some(tenant) = state.store.tenant(TenantId(token.tenant_id)).await? else {
            return Err(refuse("the API token's site no longer exists"));
        };
        if !tenant.installed {
            return Err(AppError::Unauthorized(AuthError::new(
                AuthReason::TenantUninstalled,
                "the app is not installed on this token's site",
            )));
        }
        if !tenant.enabled {
            return Err(AppError::Unauthorized(AuthError::new(
                AuthReason::TenantDisabled,
                "the app is disabled on this token's site",
            )));
        }
        tracing::Span::current().record("tenant", tenant.client_key.as_str());
        Ok(Caller {
            tenant: Arc::new(tenant),
            credential: Credential::ApiToken {
                id: token.id,
                read_only: token.read_only,
            },
            forge: None,
        })
    }
}

/// API tokens are `amj_…`; a JWT is three base64url parts whose header starts `{"` (`eyJ`).
fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.matches('.').count() == 2
}

/// A call through Forge: `Authorization: Bearer <FIT>`, and the system token Forge adds, which
/// is stored before the request is served.
async fn forge_caller(parts: &Parts, state: &AppState, fit: &str) -> Result<Caller, AppError> {
    let invocation = forge_invocation(state, RouteKind::ForgeApi, fit, &parts.headers).await?;
    if invocation.link_missing {
        return Err(AppError::Conflict {
            code: "forge_link_missing",
            message: "This site's assets belong to its Connect installation, which the app has \
                      not linked to this Forge installation, so nothing is shown rather than an \
                      empty site. The app's operators are alerted. A Jira admin can link them by \
                      updating the Connect version once more (Jira settings → Apps → Manage \
                      apps → Update)."
                .to_owned(),
        });
    }
    let field_module = invocation.module_key.as_deref() == Some(crate::descriptor::ASSET_FIELD_KEY);
    let caller = Caller {
        tenant: Arc::clone(&invocation.tenant),
        credential: Credential::Jira {
            account_id: invocation.account_id.clone(),
        },
        forge: Some(invocation),
    };
    if field_module {
        field_module_may_call(parts, state, &caller).await?;
    }
    Ok(caller)
}

/// The Assets field's views (view, edit, context configuration) reach only what they need:
/// the field's own API, and, for the context configuration a Jira admin sees, the schema list
/// and a query run. Their invocations may be a portal customer's, who must see nothing else of
/// the app: no other asset, holder or setting.
async fn field_module_may_call(
    parts: &Parts,
    state: &AppState,
    caller: &Caller,
) -> Result<(), AppError> {
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.path(), |o| o.0.path());
    if path.starts_with("/api/v1/asset-field/") {
        return Ok(());
    }
    let configuring = matches!(
        (parts.method.as_str(), path),
        ("GET", "/api/v1/schemas") | ("POST", "/api/v1/assets/query")
    );
    if configuring {
        return caller.require_admin(state).await;
    }
    Err(AppError::Forbidden {
        code: "field_view_only",
        message: "the Assets field's views may call only the field's own API".to_owned(),
    })
}

/// Every Forge route's authentication: the FIT verified and its installation resolved (counted
/// under `kind`), then the system token Forge sent beside it kept before the request is served.
pub(crate) async fn forge_invocation(
    state: &AppState,
    kind: RouteKind,
    fit: &str,
    headers: &axum::http::HeaderMap,
) -> Result<crate::auth::forge::ForgeInvocation, AppError> {
    let Some(forge) = state.forge.as_ref() else {
        state
            .counters
            .record_failure(kind, AuthReason::WrongAudience, None);
        return Err(AppError::Unauthorized(AuthError::new(
            AuthReason::WrongAudience,
            "this server accepts no Forge invocation tokens: it runs without --forge-app-id",
        )));
    };
    let mut invocation = forge.authenticate(kind, fit).await.map_err(|e| match e {
        crate::auth::forge::ForgeAuthFailure::Auth(e) => AppError::Unauthorized(e),
        crate::auth::forge::ForgeAuthFailure::Store(e) => AppError::from(e),
    })?;
    if let Some(token) = headers
        .get(FORGE_SYSTEM_TOKEN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        forge.keep_system_token(&invocation, token).await?;
    }
    // The person's token rides along only for a person's invocation, and only while valid; it
    // is never stored.
    if invocation.account_id.is_some()
        && let Some(token) = headers
            .get(FORGE_USER_TOKEN)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|t| !t.is_empty())
        && amj_connect::forge::oauth_token_expiry(token)
            .is_some_and(|exp| exp.saturating_mul(1000) > amj_store::now_millis())
    {
        invocation.user_token = Some(crate::jira::UserToken::new(
            invocation.api_base_url.clone(),
            token.to_owned(),
        ));
    }
    Ok(invocation)
}

/// The header in which Forge hands the remote the person's own token, when the endpoint asks
/// for it (`appUserToken` in the manifest, as ours does for the UI).
pub const FORGE_USER_TOKEN: &str = "x-forge-oauth-user";

/// The header in which Forge hands the remote the installation's system token.
pub const FORGE_SYSTEM_TOKEN: &str = "x-forge-oauth-system";

/// Site-admin answers from Jira, per site and user, for [`ADMIN_CACHE_TTL`], bounded in size.
#[derive(Debug)]
pub struct AdminCache {
    answers: moka::sync::Cache<(TenantId, String), bool>,
}

impl Default for AdminCache {
    fn default() -> Self {
        Self {
            answers: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(ADMIN_CACHE_TTL)
                .build(),
        }
    }
}

impl AdminCache {
    /// Asks Jira with the app's own credentials: `POST /rest/api/3/permissions/check` for the
    /// user's accountId. (`mypermissions` would answer for the caller, which is the app.)
    pub async fn is_site_admin(
        &self,
        state: &AppState,
        tenant: &Tenant,
        account_id: &str,
    ) -> Result<bool, AppError> {
        let key = (tenant.id, account_id.to_owned());
        if let Some(admin) = self.answers.get(&key) {
            return Ok(admin);
        }
        let check = PermissionsCheck {
            account_id,
            global_permissions: &["ADMINISTER"],
        };
        let answer: PermissionsAnswer = state
            .jira
            .call(
                tenant,
                reqwest::Method::POST,
                "/rest/api/3/permissions/check",
                Some(&check),
            )
            .await
            .map_err(AppError::jira(super::error::JiraAction::CheckPermissions))?;
        let admin = answer.global_permissions.iter().any(|p| p == "ADMINISTER");
        self.answers.insert(key, admin);
        Ok(admin)
    }
}

/// A JSON body whose problems are reported as our JSON problem body (axum's own rejection is
/// plain text).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::BadRequest {
                code: "unsupported_media_type",
                message: "send the body as JSON with Content-Type: application/json".into(),
            });
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| AppError::bad_request("body_unreadable", e.body_text()))?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            AppError::bad_request("invalid_json", format!("the body is not valid: {e}"))
        })
    }
}

/// Query parameters with problems reported as a JSON problem body.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| AppError::bad_request("invalid_query", e.body_text()))
    }
}
