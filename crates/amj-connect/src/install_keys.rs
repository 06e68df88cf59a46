//! Atlassian's install keys: the RSA public keys that sign `installed` and `uninstalled`.
//!
//! Keys are immutable per `kid` ("when the publicKey gets rotated it will always be linked to a
//! new unique kid"), so a fetched key is cached for the life of the process. A failed fetch is
//! never cached: Atlassian expects the host to retry the install, and the retry must get a fresh
//! chance.

use crate::error::{AuthError, AuthReason};
use async_trait::async_trait;
use jsonwebtoken::DecodingKey;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

pub const ATLASSIAN_KEY_SERVER: &str = "https://connect-install-keys.atlassian.com";
const MAX_CACHED_KEYS: usize = 1024;
const MAX_KEY_BYTES: usize = 16 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

#[async_trait]
pub trait InstallKeyStore: Send + Sync {
    /// The verifying key for `kid`. `tenant_base_url` is the unverified `baseUrl` of the install
    /// body; it only selects among Atlassian-controlled key servers, never a URL of its own.
    async fn key(&self, kid: &str, tenant_base_url: &str) -> Result<DecodingKey, AuthError>;

    /// Fetch counts for the operations metrics, from stores that fetch over the network.
    fn fetch_stats(&self) -> Option<&KeyFetchStats> {
        None
    }
}

/// A `kid` goes into a URL path, so it is validated first: slash-separated segments of
/// `[A-Za-z0-9._-]`, none of them `.` or `..`, 1 to 200 characters in all.
pub fn validate_kid(kid: &str) -> Result<(), AuthError> {
    let invalid = || {
        AuthError::new(
            AuthReason::Malformed,
            "the token's kid is not a valid key id",
        )
    };
    if kid.is_empty() || kid.len() > 200 {
        return Err(invalid());
    }
    for segment in kid.split('/') {
        let allowed = segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if segment.is_empty() || segment == "." || segment == ".." || !allowed {
            return Err(invalid());
        }
    }
    Ok(())
}

/// Where to fetch keys from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyServers {
    /// Atlassian's production routing: the key CDN chosen by the site's domain, then its fallback.
    Atlassian,
    /// One server for every site: a staging key server, the simulator, or the probe.
    Fixed(String),
}

impl KeyServers {
    pub fn from_config(url: &str) -> Self {
        let url = url.trim_end_matches('/');
        if url == ATLASSIAN_KEY_SERVER {
            KeyServers::Atlassian
        } else {
            KeyServers::Fixed(url.to_owned())
        }
    }

    /// The servers to try, in order (docs/CONNECT.md §3.3). The fallback URLs get `/{kid}`
    /// appended too; ACE 11.5.3 forgets that, so its fallback can never succeed.
    pub fn candidates(&self, tenant_base_url: &str) -> Vec<String> {
        match self {
            KeyServers::Fixed(url) => vec![url.clone()],
            KeyServers::Atlassian => {
                let host = url::Url::parse(tenant_base_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                    .unwrap_or_default();
                let table: &[(&[&str], &str, &str)] = &[
                    (
                        &[".atlassian.net", ".jira.com"],
                        "https://asap-distribution.us-west-2.prod.atl-asap.net",
                        ATLASSIAN_KEY_SERVER,
                    ),
                    (
                        &[".atlassian-us-gov-mod.net"],
                        "https://asap-distribution.us-west-2.prod.atl-auth-us-gov-mod.net",
                        "https://cs-migrations--fedrampcdn.us-east-1.prod.cdn.atlassian-us-gov-mod.com",
                    ),
                    (
                        &[".jira-dev.com"],
                        "https://asap-distribution.us-west-2.staging.atl-asap.net",
                        "https://cs-migrations--cdn.us-east-1.staging.public.atl-paas.net",
                    ),
                    (
                        &[".atlassian-stg-fedm.net"],
                        "https://asap-distribution.us-west-2.staging.atl-auth-us-gov-mod.net",
                        "https://cs-migrations--fedrampcdn.us-east-1.staging.cdn.atlassian-us-gov-mod.com",
                    ),
                ];
                for (suffixes, primary, fallback) in table {
                    if suffixes.iter().any(|s| host.ends_with(s)) {
                        return vec![(*primary).to_owned(), (*fallback).to_owned()];
                    }
                }
                vec![ATLASSIAN_KEY_SERVER.to_owned()]
            }
        }
    }
}

/// The HTTP client for fetching signing keys (Connect's install keys, Forge's JWKS): a short
/// timeout, since a key fetch sits on a request path, and no redirects, so a key is only ever
/// taken from the server that was asked.
pub(crate) fn key_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("amj/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Outcome counts of key fetches, for the operations metrics.
#[derive(Debug, Default)]
pub struct KeyFetchStats {
    pub cache_hits: std::sync::atomic::AtomicU64,
    pub fetched: std::sync::atomic::AtomicU64,
    pub not_found: std::sync::atomic::AtomicU64,
    pub failed: std::sync::atomic::AtomicU64,
}

pub struct HttpInstallKeyStore {
    servers: KeyServers,
    http: reqwest::Client,
    cache: RwLock<HashMap<String, DecodingKey>>,
    pub stats: KeyFetchStats,
}

impl HttpInstallKeyStore {
    pub fn new(servers: KeyServers) -> Result<Self, reqwest::Error> {
        let http = key_client(FETCH_TIMEOUT)?;
        Ok(Self {
            servers,
            http,
            cache: RwLock::new(HashMap::new()),
            stats: KeyFetchStats::default(),
        })
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        self.cache.read().ok().and_then(|c| c.get(kid).cloned())
    }

    fn remember(&self, kid: &str, key: &DecodingKey) {
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= MAX_CACHED_KEYS {
                cache.clear();
            }
            cache.insert(kid.to_owned(), key.clone());
        }
    }

    async fn fetch_from(&self, server: &str, kid: &str) -> Result<DecodingKey, AuthError> {
        use std::sync::atomic::Ordering::Relaxed;
        let url = format!("{}/{kid}", server.trim_end_matches('/'));
        let response = self.http.get(&url).send().await.map_err(|e| {
            self.stats.failed.fetch_add(1, Relaxed);
            tracing::warn!(kid, server, error = %e, "install key fetch failed");
            AuthError::new(
                AuthReason::KeyFetchFailed,
                "the install key server could not be reached",
            )
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            self.stats.not_found.fetch_add(1, Relaxed);
            return Err(AuthError::new(
                AuthReason::UnknownKey,
                "no install key has this kid",
            ));
        }
        if !status.is_success() {
            self.stats.failed.fetch_add(1, Relaxed);
            tracing::warn!(kid, server, %status, "install key server answered an error");
            return Err(AuthError::new(
                AuthReason::KeyFetchFailed,
                format!("the install key server answered {}", status.as_u16()),
            ));
        }
        let body = response.bytes().await.map_err(|_| {
            self.stats.failed.fetch_add(1, Relaxed);
            AuthError::new(
                AuthReason::KeyFetchFailed,
                "the install key could not be read",
            )
        })?;
        if body.len() > MAX_KEY_BYTES || !body.starts_with(b"-----BEGIN PUBLIC KEY-----") {
            self.stats.failed.fetch_add(1, Relaxed);
            return Err(AuthError::new(
                AuthReason::KeyFetchFailed,
                "the install key server did not answer a PEM public key",
            ));
        }
        let key = DecodingKey::from_rsa_pem(&body).map_err(|_| {
            self.stats.failed.fetch_add(1, Relaxed);
            AuthError::new(
                AuthReason::KeyFetchFailed,
                "the install key is not a valid RSA public key",
            )
        })?;
        self.stats.fetched.fetch_add(1, Relaxed);
        Ok(key)
    }
}

#[async_trait]
impl InstallKeyStore for HttpInstallKeyStore {
    fn fetch_stats(&self) -> Option<&KeyFetchStats> {
        Some(&self.stats)
    }

    async fn key(&self, kid: &str, tenant_base_url: &str) -> Result<DecodingKey, AuthError> {
        validate_kid(kid)?;
        if let Some(key) = self.cached(kid) {
            self.stats
                .cache_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(key);
        }
        let mut last_error = AuthError::new(
            AuthReason::KeyFetchFailed,
            "no install key server is configured",
        );
        for server in self.servers.candidates(tenant_base_url) {
            match self.fetch_from(&server, kid).await {
                Ok(key) => {
                    self.remember(kid, &key);
                    return Ok(key);
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_validation_blocks_path_tricks() {
        for ok in [
            "0e50fccb-239d-4991-a5db-dc850ba3f236",
            "connect/prod/key-1",
            "k.v2_x",
        ] {
            assert!(validate_kid(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../../x",
            "a/../b",
            "/abs",
            "a//b",
            "a?b",
            "a%2e",
            "a b",
            "./x",
            &"k".repeat(201),
        ] {
            assert!(validate_kid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn atlassian_routing_by_site_domain() {
        let servers = KeyServers::from_config("https://connect-install-keys.atlassian.com/");
        assert_eq!(servers, KeyServers::Atlassian);
        let prod = servers.candidates("https://acme.atlassian.net");
        assert_eq!(
            prod,
            vec![
                "https://asap-distribution.us-west-2.prod.atl-asap.net".to_owned(),
                ATLASSIAN_KEY_SERVER.to_owned()
            ]
        );
        assert_eq!(
            servers.candidates("https://x.jira-dev.com")[0],
            "https://asap-distribution.us-west-2.staging.atl-asap.net"
        );
        assert_eq!(
            servers.candidates("not a url"),
            vec![ATLASSIAN_KEY_SERVER.to_owned()]
        );
        let fixed = KeyServers::from_config("http://127.0.0.1:9/keys/");
        assert_eq!(
            fixed.candidates("https://acme.atlassian.net"),
            vec!["http://127.0.0.1:9/keys".to_owned()]
        );
    }
}
