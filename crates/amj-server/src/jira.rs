//! Calls from the app to a site's Jira, signed as the app.
//!
//! `Authorization: JWT` only (Atlassian stopped accepting `?jwt=` in 2022), `iss` = our app key,
//! a 3-minute lifetime, the qsh of the outgoing request, and the site's stored `baseUrl` as the
//! target. A 401 means our secret is stale at Jira: it is logged and counted for the site, and
//! never answered by retrying with guessed secrets.

use crate::auth::{AuthCounters, unix_now};
use amj_connect::ConnectClaims;
use amj_connect::jwt::sign_hs256;
use amj_store::Tenant;
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
}

#[derive(Clone)]
pub struct JiraClient {
    http: reqwest::Client,
    app_key: String,
    counters: Arc<AuthCounters>,
}

impl JiraClient {
    pub fn new(app_key: String, counters: Arc<AuthCounters>) -> Result<Self, reqwest::Error> {
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
        })
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
    pub async fn send(
        &self,
        tenant: &Tenant,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, JiraError> {
        let url = url::Url::parse(&format!(
            "{}{}",
            tenant.base_url.trim_end_matches('/'),
            path_and_query
        ))
        .map_err(|e| JiraError::BadBaseUrl(e.to_string()))?;
        let authorization = self.authorization_for(tenant, method.as_str(), &url)?;
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
        if status == reqwest::StatusCode::UNAUTHORIZED {
            self.counters.record_outbound_unauthorized(tenant);
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

    pub async fn get(
        &self,
        tenant: &Tenant,
        path_and_query: &str,
    ) -> Result<serde_json::Value, JiraError> {
        self.send(tenant, reqwest::Method::GET, path_and_query, None)
            .await
    }
}
