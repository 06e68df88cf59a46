//! Lifecycle payloads (`installed`, `uninstalled`, `enabled`, `disabled`) and the checks that come
//! before any key is fetched (docs/CONNECT.md §3.4 steps 1 and 2).

use crate::error::{AuthError, AuthReason};
use crate::install_keys::{InstallKeyStore, validate_kid};
use crate::jwt::{Checks, ConnectClaims, QshCheck, Unverified};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Shared secrets are opaque and "up to 400 bytes" (CDAC-51468); we leave room above that but
/// refuse anything absurd.
pub const MAX_SHARED_SECRET_LEN: usize = 1024;
const MAX_FIELD_LEN: usize = 2048;

/// A lifecycle event; its word (the payload's `eventType`) is the variant's name in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum LifecycleEvent {
    Installed,
    Uninstalled,
    Enabled,
    Disabled,
}

impl LifecycleEvent {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The body Jira POSTs to a lifecycle URL. Every field of the install payload is kept, because
/// any of them may change between two installs of one site.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecyclePayload {
    pub key: String,
    pub client_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
    pub base_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_url_servicedesk_help_center: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_entitlement_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlement_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlement_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_id: Option<String>,
    pub event_type: String,
}

/// Never prints the shared secret: payloads end up in error paths and logs.
impl fmt::Debug for LifecyclePayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LifecyclePayload")
            .field("key", &self.key)
            .field("client_key", &self.client_key)
            .field(
                "shared_secret",
                &self.shared_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("base_url", &self.base_url)
            .field("event_type", &self.event_type)
            .finish_non_exhaustive()
    }
}

/// Why a lifecycle body was refused (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PayloadError(pub String);

impl LifecyclePayload {
    /// Step 1 of docs/CONNECT.md §3.4: parse and check the body before looking at the token.
    pub fn parse(
        body: &[u8],
        expected_event: LifecycleEvent,
        app_key: &str,
    ) -> Result<Self, PayloadError> {
        let payload: LifecyclePayload = serde_json::from_slice(body).map_err(|e| {
            let detail = e.to_string();
            PayloadError(format!(
                "the lifecycle body is not a valid payload: {}",
                detail.split(" at line").next().unwrap_or("")
            ))
        })?;
        payload.validate(expected_event, app_key)?;
        Ok(payload)
    }

    fn validate(&self, expected_event: LifecycleEvent, app_key: &str) -> Result<(), PayloadError> {
        if self.event_type != expected_event.as_str() {
            return Err(PayloadError(format!(
                "eventType is {:?} but this is the {} endpoint",
                self.event_type,
                expected_event.as_str()
            )));
        }
        if self.key != app_key {
            return Err(PayloadError(format!(
                "key {:?} is not this app's key",
                self.key
            )));
        }
        if self.client_key.trim().is_empty() || self.client_key.len() > 255 {
            return Err(PayloadError("clientKey must be 1 to 255 characters".into()));
        }
        parse_site_url(&self.base_url).map_err(|e| PayloadError(format!("baseUrl {e}")))?;
        if let Some(display) = &self.display_url {
            parse_site_url(display).map_err(|e| PayloadError(format!("displayUrl {e}")))?;
        }
        if expected_event == LifecycleEvent::Installed {
            match &self.shared_secret {
                None => return Err(PayloadError("sharedSecret is required on installed".into())),
                Some(s) if s.is_empty() || s.len() > MAX_SHARED_SECRET_LEN => {
                    return Err(PayloadError(format!(
                        "sharedSecret must be 1 to {MAX_SHARED_SECRET_LEN} bytes"
                    )));
                }
                Some(_) => {}
            }
        }
        for value in [
            &self.description,
            &self.server_version,
            &self.plugins_version,
            &self.product_type,
            &self.oauth_client_id,
            &self.installation_id,
            &self.entitlement_id,
            &self.entitlement_number,
            &self.service_entitlement_number,
            &self.display_url_servicedesk_help_center,
        ]
        .into_iter()
        .flatten()
        {
            if value.len() > MAX_FIELD_LEN {
                return Err(PayloadError(
                    "a payload field is longer than 2048 characters".into(),
                ));
            }
        }
        Ok(())
    }

    /// The URL to show people: the custom domain if the site has one.
    pub fn display_url_or_base(&self) -> &str {
        self.display_url.as_deref().unwrap_or(&self.base_url)
    }
}

/// A site URL must be absolute http(s) with a host and no credentials, query or fragment.
pub fn parse_site_url(raw: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(raw).map_err(|_| "is not an absolute URL".to_owned())?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err("must be http or https".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if !parsed.username().is_empty()
        || parsed.password().is_some()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        return Err("must not carry credentials, a query or a fragment".into());
    }
    Ok(parsed)
}

/// The sites allowed to install the app, as host globs (`*.atlassian.net`). A first line of
/// defence that costs nothing: a forged install for `evil.example` is refused before a key is
/// fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAllowList {
    patterns: Vec<String>,
}

impl HostAllowList {
    /// Atlassian's Cloud domains, including FedRAMP and Atlassian's own staging.
    /// `api.atlassian.com` and its staging twin are where Forge routes calls to Jira (the FIT's
    /// `apiBaseUrl`).
    pub const ATLASSIAN_CLOUD: &'static str = "*.atlassian.net,*.jira.com,*.jira-dev.com,*.atlassian-us-gov-mod.net,*.atlassian-stg-fedm.net,api.atlassian.com,api.stg.atlassian.com";
    pub const LOOPBACK: &'static str = "127.0.0.1,localhost,[::1]";

    pub fn loopback() -> Self {
        Self::from_constant(Self::LOOPBACK)
    }

    pub fn atlassian_cloud() -> Self {
        Self::from_constant(Self::ATLASSIAN_CLOUD)
    }

    fn from_constant(list: &str) -> Self {
        Self {
            patterns: list.split(',').map(str::to_owned).collect(),
        }
    }

    pub fn parse(list: &str) -> Result<Self, String> {
        let patterns: Vec<String> = list
            .split(',')
            .map(|p| p.trim().to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
        if patterns.is_empty() {
            return Err("the allowed-hosts list is empty".into());
        }
        for pattern in &patterns {
            if pattern.contains('/') || pattern.contains(':') && !pattern.starts_with('[') {
                return Err(format!(
                    "{pattern:?} is not a host pattern (give hosts, not URLs)"
                ));
            }
        }
        Ok(Self { patterns })
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether a site URL may install. Plain http is only allowed for loopback hosts, which only
    /// a local demo or test can use.
    pub fn allows(&self, site_url: &str) -> Result<(), String> {
        let url = parse_site_url(site_url)?;
        let host = match url.host() {
            Some(url::Host::Ipv6(addr)) => format!("[{addr}]"),
            Some(other) => other.to_string().to_ascii_lowercase(),
            None => return Err("has no host".into()),
        };
        if !self.patterns.iter().any(|p| glob_matches(p, &host)) {
            return Err(format!("host {host} is not in the allowed hosts"));
        }
        let loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
        if url.scheme() == "http" && !loopback {
            return Err("must use https".into());
        }
        Ok(())
    }
}

/// `*` matches any run of characters, `?` one character. Iterative, so a hostile pattern or host
/// cannot blow the stack.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// What a signed lifecycle token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct SignedLifecycleCheck<'a> {
    /// Our baseUrl: the token's `aud` (a trailing slash is tolerated).
    pub app_base_url: &'a str,
    /// The qsh of this very request (POST and the lifecycle path relative to our baseUrl).
    pub expected_qsh: String,
    pub now: i64,
    pub leeway_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleAuthError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The token was issued for one site and the body names another (answered 403).
    #[error("clientKey in the body does not match the token's issuer")]
    ClientKeyMismatch,
}

/// Steps 4 to 6 of docs/CONNECT.md §3.4 for `installed` and `uninstalled`: RS256 only, `kid`
/// required and validated, key from Atlassian's key server (never from the token), then signature,
/// times, audience, exact qsh, and `iss` equal to the body's `clientKey`.
pub async fn verify_signed_lifecycle(
    token: &str,
    payload: &LifecyclePayload,
    keys: &dyn InstallKeyStore,
    check: &SignedLifecycleCheck<'_>,
) -> Result<ConnectClaims, LifecycleAuthError> {
    let unverified = Unverified::parse(token)?;
    unverified.require_alg(jsonwebtoken::Algorithm::RS256)?;
    let Some(kid) = unverified.kid.as_deref() else {
        return Err(AuthError::new(
            AuthReason::Malformed,
            "an install token must name its key (kid)",
        )
        .into());
    };
    validate_kid(kid)?;
    let key = keys.key(kid, &payload.base_url).await?;
    let claims = unverified.verify_rs256(
        &key,
        &Checks {
            now: check.now,
            leeway_secs: check.leeway_secs,
            qsh: QshCheck::Exact(check.expected_qsh.clone()),
            audience: Some(check.app_base_url),
        },
    )?;
    if claims.iss != payload.client_key {
        return Err(LifecycleAuthError::ClientKeyMismatch);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_words_are_the_payloads_event_types() {
        let words = [
            LifecycleEvent::Installed,
            LifecycleEvent::Uninstalled,
            LifecycleEvent::Enabled,
            LifecycleEvent::Disabled,
        ]
        .map(LifecycleEvent::as_str);
        assert_eq!(words, ["installed", "uninstalled", "enabled", "disabled"]);
    }

    fn body(event: &str) -> Vec<u8> {
        serde_json::json!({
            "key": "amj", "clientKey": "c1", "sharedSecret": "s3cret", "baseUrl": "https://acme.atlassian.net",
            "displayUrl": "https://assets.acme.com", "productType": "jira", "description": "Acme",
            "serverVersion": "1", "pluginsVersion": "1001.0.0", "oauthClientId": "oc",
            "installationId": "ari:cloud:ecosystem::installation/1", "entitlementId": "e", "entitlementNumber": "E-1",
            "eventType": event
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn parses_every_field() {
        let p =
            LifecyclePayload::parse(&body("installed"), LifecycleEvent::Installed, "amj").unwrap();
        assert_eq!(p.client_key, "c1");
        assert_eq!(p.display_url_or_base(), "https://assets.acme.com");
        assert_eq!(
            p.installation_id.as_deref(),
            Some("ari:cloud:ecosystem::installation/1")
        );
        assert_eq!(p.entitlement_number.as_deref(), Some("E-1"));
        assert!(
            !format!("{p:?}").contains("s3cret"),
            "Debug must redact the secret"
        );
    }

    #[test]
    fn rejects_mismatches_with_a_reason() {
        let err = LifecyclePayload::parse(&body("uninstalled"), LifecycleEvent::Installed, "amj")
            .unwrap_err();
        assert!(err.0.contains("eventType"), "{err}");
        let err = LifecyclePayload::parse(&body("installed"), LifecycleEvent::Installed, "other")
            .unwrap_err();
        assert!(err.0.contains("key"), "{err}");
        assert!(LifecyclePayload::parse(b"not json", LifecycleEvent::Installed, "amj").is_err());
        assert!(LifecyclePayload::parse(b"{}", LifecycleEvent::Installed, "amj").is_err());
    }

    #[test]
    fn allow_list_globs() {
        let cloud = HostAllowList::parse(HostAllowList::ATLASSIAN_CLOUD).unwrap();
        assert!(cloud.allows("https://acme.atlassian.net").is_ok());
        assert!(cloud.allows("https://ACME.atlassian.net/").is_ok());
        assert!(cloud.allows("https://atlassian.net.evil.example").is_err());
        assert!(cloud.allows("https://evilatlassian.net").is_err());
        assert!(
            cloud.allows("http://acme.atlassian.net").is_err(),
            "plain http only for loopback"
        );
        let local = HostAllowList::parse(HostAllowList::LOOPBACK).unwrap();
        assert_eq!(local, HostAllowList::loopback());
        assert_eq!(cloud, HostAllowList::atlassian_cloud());
        assert!(local.allows("http://127.0.0.1:8123/sites/acme").is_ok());
        assert!(local.allows("http://[::1]:80/").is_ok());
        assert!(local.allows("http://10.0.0.1/").is_err());
        assert!(HostAllowList::parse("https://x.com").is_err());
        assert!(HostAllowList::parse(" , ").is_err());
    }

    #[test]
    fn glob_edge_cases() {
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("a*b*c", "aXbYc"));
        assert!(!glob_matches("a*b", "a"));
        assert!(glob_matches("h?st", "host"));
        assert!(!glob_matches(&"*a".repeat(50), &"b".repeat(200)));
    }
}
