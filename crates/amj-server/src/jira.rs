//! Calls from the app to a site's Jira, signed as the app.
//!
//! `Authorization: JWT` only (Atlassian stopped accepting `?jwt=` in 2022), `iss` = our app key,
//! a 3-minute lifetime, the qsh of the outgoing request, and the site's stored `baseUrl` as the
//! target. A 401 means our secret is stale at Jira: it is logged and counted for the site, and
//! never answered by retrying with guessed secrets.

use crate::auth::{AuthCounters, unix_now};
use amj_connect::ConnectClaims;
use amj_connect::jwt::sign_hs256;
use amj_connect::lifecycle::HostAllowList;
use amj_store::forge::SystemToken;
use amj_store::{Store, Tenant};
use std::sync::Arc;
use std::time::Duration;

/// Lifetime of our outbound tokens; Jira's frameworks use 180 s too.
pub const OUTBOUND_TOKEN_SECS: i64 = 180;

#[derive(Debug, thiserror::Error)]
pub enum JiraError {
    #[error("Jira refused our credentials for this site (401): the stored secret may be stale")]
    Unauthorized,
    #[error("Jira answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("Jira could not be reached: {0}")]
    Transport(String),
    #[error("could not sign the request: {0}")]
    Signing(String),
    #[error("the site's baseUrl is not usable: {0}")]
    BadBaseUrl(String),
    /// A Forge site whose installations hold no system token that is still valid: background
    /// work waits for the next invocation (a scheduled trigger brings one within the hour).
    #[error("no valid Forge system token is held for this site")]
    NoSystemToken,
    /// The FIT's `apiBaseUrl` is on a host outside `--allowed-hosts`: never called.
    #[error("the Forge API base URL's host is not allowed: {0}")]
    HostNotAllowed(String),
    #[error("the stored Forge system token could not be read: {0}")]
    Store(String),
    /// Jira answered 2xx with a body that is not the payload its API documents: a missing
    /// field is this error, never a silent default.
    #[error("Jira's answer was not what its API documents: {0}")]
    Unexpected(String),
}

impl JiraError {
    /// Whether trying again soon may help: Jira busy, failing or unreachable, or a Forge site
    /// waiting for its next token. A refusal or an answer the app cannot read will not change
    /// by itself.
    pub fn is_transient(&self) -> bool {
        match self {
            JiraError::Transport(_) | JiraError::NoSystemToken | JiraError::Store(_) => true,
            JiraError::Status { status, .. } => *status == 429 || *status >= 500,
            JiraError::Unauthorized
            | JiraError::Signing(_)
            | JiraError::BadBaseUrl(_)
            | JiraError::HostNotAllowed(_)
            | JiraError::Unexpected(_) => false,
        }
    }
}

/// The Jira REST payloads the app sends and reads, typed.
pub mod payload {
    use serde::{Deserialize, Serialize};

    /// `POST /rest/api/3/permissions/check`: which of these global permissions a user holds.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PermissionsCheck<'a> {
        pub account_id: &'a str,
        pub global_permissions: &'a [&'a str],
    }

    /// `POST /rest/api/3/permissions/check`: whether a user holds project permissions on
    /// these issues.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct IssuePermissionsCheck<'a> {
        pub account_id: &'a str,
        pub project_permissions: [IssuePermissions<'a>; 1],
    }

    #[derive(Debug, Serialize)]
    pub struct IssuePermissions<'a> {
        pub permissions: &'a [&'a str],
        pub issues: &'a [i64],
    }

    /// The project permissions a user holds, with the asked issues each covers.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct IssuePermissionsAnswer {
        pub project_permissions: Vec<ProjectGrant>,
    }

    #[derive(Debug, Deserialize)]
    pub struct ProjectGrant {
        pub permission: String,
        #[serde(default)]
        pub issues: Vec<i64>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PermissionsAnswer {
        /// The asked permissions the user holds.
        pub global_permissions: Vec<String>,
    }

    /// `GET /rest/api/3/user/bulk`: a page of users by accountId.
    #[derive(Debug, Deserialize)]
    pub struct UserPage {
        pub values: Vec<User>,
    }

    /// `POST /rest/api/3/search/jql`, paged by token.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Search<'a> {
        pub jql: &'a str,
        pub fields: &'a [&'a str],
        pub max_results: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub next_page_token: Option<&'a str>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SearchPage {
        pub issues: Vec<FoundIssue>,
        #[serde(default)]
        pub next_page_token: Option<String>,
        /// Absent on some Jira versions' last page; no token then means the last page too.
        #[serde(default)]
        pub is_last: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    pub struct FoundIssue {
        pub id: IssueId,
        /// Jira sends the key with every found issue.
        #[serde(default)]
        pub key: Option<String>,
    }

    /// Jira sends issue ids as strings (`"10001"`); numbers are accepted too.
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    pub enum IssueId {
        Text(String),
        Number(i64),
    }

    impl IssueId {
        pub fn value(&self) -> Option<i64> {
            match self {
                IssueId::Text(text) => text.parse().ok(),
                IssueId::Number(n) => Some(*n),
            }
        }
    }

    /// `GET /rest/api/3/issue/{idOrKey}?fields=summary`.
    #[derive(Debug, Deserialize)]
    pub struct Issue {
        pub id: IssueId,
        pub key: String,
        pub fields: IssueFields,
    }

    #[derive(Debug, Deserialize)]
    pub struct IssueFields {
        pub summary: String,
    }

    /// `GET /rest/api/3/issue/{id}?fields=status,project,updated`: what settles its requests.
    #[derive(Debug, Deserialize)]
    pub struct IssueState {
        pub key: String,
        pub fields: IssueStateFields,
    }

    #[derive(Debug, Deserialize)]
    pub struct IssueStateFields {
        pub status: IssueStatusField,
        pub project: ProjectField,
        /// When the issue last changed, as Jira writes it: `2026-12-07T17:30:00.000+0000`.
        pub updated: String,
        /// The custom fields asked for with the others (the Assets field: a list of keys or
        /// `null`), by id.
        #[serde(flatten)]
        pub custom: std::collections::BTreeMap<String, serde_json::Value>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct IssueStatusField {
        pub name: String,
        pub status_category: StatusCategoryField,
    }

    #[derive(Debug, Deserialize)]
    pub struct StatusCategoryField {
        pub key: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct ProjectField {
        pub key: String,
    }

    /// One user of `GET /rest/api/3/user/search`. Jira documents `active` and `displayName` as
    /// always present for the accounts the search returns.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct User {
        pub account_id: String,
        pub display_name: String,
        pub active: bool,
        /// By size (`"48x48"`, `"24x24"`, …). Jira sends them for every account; an account
        /// without them is shown by name alone.
        #[serde(default)]
        pub avatar_urls: std::collections::BTreeMap<String, String>,
    }

    impl User {
        /// The avatar to show at 24 px: the 48 px one, for high-density screens, else the
        /// largest there is. Only `https` (or `http`, as the simulator serves) URLs are passed on.
        pub fn avatar(&self) -> Option<String> {
            ["48x48", "32x32", "24x24", "16x16"]
                .iter()
                .filter_map(|size| self.avatar_urls.get(*size))
                .find(|url| {
                    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
                })
                .cloned()
        }
    }

    /// An issue property's value: the `assets` property that JQL searches, `{"keys": [...],
    /// "handedOut": [...]}`: the assets linked to the issue, and those ever checked out for it.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct AssetsProperty<'a> {
        pub keys: &'a [String],
        pub handed_out: &'a [String],
    }

    /// The issue glance's status property: a badge with the count of linked assets.
    #[derive(Debug, Serialize)]
    pub struct GlanceStatus {
        #[serde(rename = "type")]
        pub kind: &'static str,
        pub value: GlanceLabel,
    }

    #[derive(Debug, Serialize)]
    pub struct GlanceLabel {
        pub label: String,
    }
}

#[derive(Clone)]
pub struct JiraClient {
    http: reqwest::Client,
    app_key: String,
    counters: Arc<AuthCounters>,
    allowed_hosts: HostAllowList,
    /// Where Forge system tokens are kept; without it only Connect signing is used.
    tokens: Option<Store>,
    /// What this instance knows is stored (see `auth::forge`), forgotten when Jira refuses.
    held: Option<crate::auth::forge::HeldTokens>,
}

/// How one call reaches Jira.
enum Route {
    /// Connect: `{baseUrl}{path}`, signed with the shared secret.
    Connect,
    /// Forge: `{apiBaseUrl}{path}` with `Authorization: Bearer <system token>`.
    Forge(SystemToken),
    /// Forge, as the person: `{apiBaseUrl}{path}` with their `x-forge-oauth-user` token.
    User(UserToken),
}

/// The person's own token that Forge sends as `x-forge-oauth-user` with a UI invocation. It
/// lives for the request only: never stored, and its `Debug` never prints it.
#[derive(Clone)]
pub struct UserToken {
    api_base_url: String,
    token: String,
}

impl UserToken {
    pub fn new(api_base_url: String, token: String) -> Self {
        Self {
            api_base_url,
            token,
        }
    }
}

impl std::fmt::Debug for UserToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserToken")
            .field("api_base_url", &self.api_base_url)
            .finish_non_exhaustive()
    }
}

impl JiraClient {
    pub fn new(
        app_key: String,
        counters: Arc<AuthCounters>,
        allowed_hosts: HostAllowList,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("amj/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            app_key,
            counters,
            allowed_hosts,
            tokens: None,
            held: None,
        })
    }

    /// Calls Forge sites with the system tokens kept in `store`.
    pub fn with_forge_tokens(mut self, store: Store, held: crate::auth::forge::HeldTokens) -> Self {
        self.tokens = Some(store);
        self.held = Some(held);
        self
    }

    /// Forge when the site holds a valid system token (the platform the site is moving to),
    /// otherwise Connect for a site that has the Connect version. The same callers use both.
    async fn route(&self, tenant: &Tenant) -> Result<Route, JiraError> {
        if let Some(store) = &self.tokens {
            let token = store
                .forge_system_token(tenant.id, crate::auth::forge::SYSTEM_TOKEN_MARGIN_MS)
                .await
                .map_err(|e| JiraError::Store(e.to_string()))?;
            if let Some(token) = token {
                return Ok(Route::Forge(token));
            }
        }
        if tenant.connect {
            Ok(Route::Connect)
        } else {
            Err(JiraError::NoSystemToken)
        }
    }

    /// The `Authorization` header value for a request to `url` (which must be under the site's
    /// baseUrl). Exposed so tests and the simulator's checks can see exactly what we send.
    pub fn authorization_for(
        &self,
        tenant: &Tenant,
        method: &str,
        url: &url::Url,
    ) -> Result<String, JiraError> {
        let context_path = url::Url::parse(&tenant.base_url)
            .map_err(|e| JiraError::BadBaseUrl(e.to_string()))?
            .path()
            .to_owned();
        let now = unix_now();
        let claims = ConnectClaims {
            iss: self.app_key.clone(),
            sub: None,
            iat: now,
            exp: now + OUTBOUND_TOKEN_SECS,
            nbf: None,
            qsh: Some(amj_connect::qsh::qsh_for_url(
                method,
                url,
                context_path.trim_end_matches('/'),
            )),
            aud: None,
            context: None,
            jti: None,
        };
        let token = sign_hs256(&claims, tenant.shared_secret.expose().as_bytes())
            .map_err(|e| JiraError::Signing(e.to_string()))?;
        Ok(format!("JWT {token}"))
    }

    /// Sends a request to `{baseUrl}{path_and_query}` and returns the JSON body.
    pub async fn send<B: serde::Serialize + ?Sized>(
        &self,
        tenant: &Tenant,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<serde_json::Value, JiraError> {
        self.send_as(tenant, None, method, path_and_query, body)
            .await
    }

    /// As [`JiraClient::send`], but as the person when Forge handed us their token: what a
    /// person does themselves is checked with their permissions, not the app's.
    pub async fn send_as<B: serde::Serialize + ?Sized>(
        &self,
        tenant: &Tenant,
        user: Option<&UserToken>,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<serde_json::Value, JiraError> {
        let route = match user {
            Some(user) => Route::User(user.clone()),
            None => self.route(tenant).await?,
        };
        let base = match &route {
            Route::Connect => tenant.base_url.as_str(),
            Route::Forge(SystemToken { api_base_url, .. })
            | Route::User(UserToken { api_base_url, .. }) => {
                self.allowed_hosts
                    .allows(api_base_url)
                    .map_err(JiraError::HostNotAllowed)?;
                api_base_url.as_str()
            }
        };
        let url = url::Url::parse(&format!("{}{}", base.trim_end_matches('/'), path_and_query))
            .map_err(|e| JiraError::BadBaseUrl(e.to_string()))?;
        let authorization = match &route {
            Route::Connect => self.authorization_for(tenant, method.as_str(), &url)?,
            Route::Forge(token) => format!("Bearer {}", token.expose()),
            Route::User(user) => format!("Bearer {}", user.token),
        };
        let mut request = self
            .http
            .request(method, url.clone())
            .header(reqwest::header::AUTHORIZATION, authorization);
        request = request.header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await;
        if let Some(monitor) = self.counters.monitor() {
            monitor
                .metrics
                .record_jira(response.as_ref().ok().map(|r| r.status().as_u16()));
        }
        let response = response.map_err(|e| JiraError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED && matches!(route, Route::User(_)) {
            // The person's own token (expired, or they lost access): the site's credentials
            // are fine, so nothing is counted against the site.
            return Err(JiraError::Status {
                status: 401,
                body: "Jira refused the person's Forge user token".into(),
            });
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            self.counters.record_outbound_unauthorized(tenant);
            if let (Route::Forge(token), Some(store)) = (&route, &self.tokens) {
                // The token was revoked or the app uninstalled: never send it again. The
                // installation is dormant until its next valid invocation.
                if let Some(held) = &self.held {
                    held.invalidate(&token.installation_id);
                }
                if let Err(e) = store
                    .mark_forge_dormant(&token.installation_id, "jira_refused_system_token")
                    .await
                {
                    tracing::warn!(error = %e, "could not mark the Forge installation dormant");
                }
            }
            tracing::error!(tenant = %tenant.client_key, path = url.path(), "Jira answered 401 to a signed call: stored secret may be stale");
            return Err(JiraError::Unauthorized);
        }
        let text = response
            .text()
            .await
            .map_err(|e| JiraError::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(JiraError::Status {
                status: status.as_u16(),
                body: text.chars().take(500).collect(),
            });
        }
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| JiraError::Status {
            status: status.as_u16(),
            body: format!("not JSON: {e}"),
        })
    }

    /// Sends a request and reads the answer as the payload `R` that Jira documents for it.
    pub async fn call<B: serde::Serialize + ?Sized, R: serde::de::DeserializeOwned>(
        &self,
        tenant: &Tenant,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<R, JiraError> {
        let answer = self.send(tenant, method, path_and_query, body).await?;
        serde_json::from_value(answer).map_err(|e| JiraError::Unexpected(e.to_string()))
    }

    /// A `GET` read as the payload `R` that Jira documents for it.
    pub async fn get<R: serde::de::DeserializeOwned>(
        &self,
        tenant: &Tenant,
        path_and_query: &str,
    ) -> Result<R, JiraError> {
        self.get_as(tenant, None, path_and_query).await
    }

    /// A `GET` as the person when their token is given (see [`JiraClient::send_as`]).
    pub async fn get_as<R: serde::de::DeserializeOwned>(
        &self,
        tenant: &Tenant,
        user: Option<&UserToken>,
        path_and_query: &str,
    ) -> Result<R, JiraError> {
        let answer = self
            .send_as(
                tenant,
                user,
                reqwest::Method::GET,
                path_and_query,
                None::<&()>,
            )
            .await?;
        serde_json::from_value(answer).map_err(|e| JiraError::Unexpected(e.to_string()))
    }
}
