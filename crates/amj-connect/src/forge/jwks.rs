//! The keys that sign invocation tokens, fetched from Atlassian's JWKS.
//!
//! The March-2022 lesson for keys: a rotation must never fail a correctly signed call. So:
//! - the set is refreshed in the background (hourly), so keys published ahead of use are held
//!   before the first token that needs them;
//! - an unknown `kid` refetches at once, but at most once per [`UNKNOWN_KID_COOLDOWN`], so
//!   made-up kids cannot turn each request into a fetch;
//! - a failed or empty fetch keeps the keys already held;
//! - fetches time out after [`FETCH_TIMEOUT`] (3 s), well inside Forge's 5 s for events.

use super::fit::validate_kid;
use crate::error::{AuthError, AuthReason};
use async_trait::async_trait;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Atlassian's production JWKS for invocation tokens.
pub const JWKS_PRODUCTION: &str = "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json";
/// Staging's, for apps under development against staging sites.
pub const JWKS_STAGING: &str = "https://forge.cdn.stg.atlassian-dev.net/.well-known/jwks.json";
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
pub const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(10);
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(3600);
/// A JWKS is a few kilobytes; anything far larger is not one.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A Forge signing key, parsed once when the key set is read. Verifying with a parsed key skips
/// the RSA set-up (modulus checks, Montgomery context) that a key parsed per token repeats:
/// `amj bench fit` measured that at a third of a FIT's whole authentication.
#[derive(Clone)]
pub struct FitKey(Arc<ParsedPublicKey>);

impl FitKey {
    /// An RS256 key from its modulus and exponent (big-endian bytes).
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> Option<FitKey> {
        RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .ok()
            .map(|key| FitKey(Arc::new(key)))
    }

    /// Whether `signature` is this key's RS256 signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.0.verify_sig(message, signature).is_ok()
    }
}

impl std::fmt::Debug for FitKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FitKey(RS256)")
    }
}

/// Where verification gets a token's key from.
#[async_trait]
pub trait FitKeys: Send + Sync {
    async fn key(&self, kid: &str) -> Result<FitKey, AuthError>;
}

/// Fetch outcomes, for the operations metrics.
#[derive(Debug, Default)]
pub struct JwksStats {
    pub fetched: AtomicU64,
    pub failed: AtomicU64,
    /// Unknown kids answered from the cooldown, without a fetch.
    pub throttled: AtomicU64,
}

/// Why a fetch failed (the keys held stay in use).
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS could not be fetched: {0}")]
    Http(#[source] reqwest::Error),
    #[error("the JWKS answered HTTP {0}")]
    Status(u16),
    #[error("the JWKS is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("the JWKS is not a key set: {0}")]
    Parse(#[source] serde_json::Error),
    #[error("the JWKS holds no usable RS256 signing key")]
    NoKeys,
}

pub struct HttpJwks {
    url: String,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, FitKey>>,
    /// When an unknown kid last caused a fetch.
    last_unknown_fetch: std::sync::Mutex<Option<Instant>>,
    /// Whether the last fetch failed: an unknown kid then is `key_fetch_failed` (we cannot know
    /// the key), not `unknown_key` (Forge does not publish it).
    last_fetch_failed: std::sync::atomic::AtomicBool,
    /// One fetch at a time: concurrent unknown kids wait for the same answer.
    fetching: tokio::sync::Mutex<()>,
    pub stats: JwksStats,
}

impl std::fmt::Debug for HttpJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpJwks")
            .field("url", &self.url)
            .field("keys", &self.kids())
            .finish_non_exhaustive()
    }
}

impl HttpJwks {
    pub fn new(url: &str) -> Result<Self, reqwest::Error> {
        let http = crate::install_keys::key_client(FETCH_TIMEOUT)?;
        Ok(Self {
            url: url.to_owned(),
            http,
            keys: RwLock::new(HashMap::new()),
            last_unknown_fetch: std::sync::Mutex::new(None),
            last_fetch_failed: std::sync::atomic::AtomicBool::new(false),
            fetching: tokio::sync::Mutex::new(()),
            stats: JwksStats::default(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The kids held now, sorted.
    pub fn kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self
            .keys
            .read()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default();
        kids.sort();
        kids
    }

    /// The key of `kid` if it is held now, without fetching.
    pub fn held(&self, kid: &str) -> Option<FitKey> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    /// Fetches the set and replaces the keys held with it. On any failure the keys held stay.
    pub async fn refresh(&self) -> Result<usize, JwksError> {
        let _one_at_a_time = self.fetching.lock().await;
        self.fetch_and_replace().await
    }

    async fn fetch_and_replace(&self) -> Result<usize, JwksError> {
        let result = self.fetch().await;
        self.last_fetch_failed
            .store(result.is_err(), Ordering::Relaxed);
        match &result {
            Ok(keys) => {
                self.stats.fetched.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut held) = self.keys.write() {
                    held.clone_from(keys);
                }
            }
            Err(e) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(url = %self.url, error = %e, "could not refresh the Forge signing keys; keeping the ones held");
            }
        }
        result.map(|keys| keys.len())
    }

    async fn fetch(&self) -> Result<HashMap<String, FitKey>, JwksError> {
        let response = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(JwksError::Http)?;
        if !response.status().is_success() {
            return Err(JwksError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err(JwksError::TooLarge);
        }
        let body = response.bytes().await.map_err(JwksError::Http)?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge);
        }
        parse_jwks(&body)
    }

    /// Refreshes every `interval` until the returned task is aborted, so keys published ahead
    /// of a rotation are held before they sign.
    pub fn spawn_refresh(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let jwks = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let _ = jwks.refresh().await;
            }
        })
    }
}

/// The RS256 signing keys of a JWKS, by kid. Keys for other uses or algorithms, and keys without
/// a valid kid, are skipped; a set with none left is an error, so it cannot replace good keys.
pub fn parse_jwks(body: &[u8]) -> Result<HashMap<String, FitKey>, JwksError> {
    let set: JwkSet = serde_json::from_slice(body).map_err(JwksError::Parse)?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.as_deref() else {
            continue;
        };
        let signing = matches!(
            jwk.common.public_key_use,
            None | Some(PublicKeyUse::Signature)
        );
        let rs256 = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
        let rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
        if !(signing && rs256 && rsa) || validate_kid(kid).is_err() {
            continue;
        }
        let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
            continue;
        };
        let (Ok(n), Ok(e)) = (
            URL_SAFE_NO_PAD.decode(&rsa.n),
            URL_SAFE_NO_PAD.decode(&rsa.e),
        ) else {
            continue;
        };
        if let Some(key) = FitKey::from_rsa_components(&n, &e) {
            keys.insert(kid.to_owned(), key);
        }
    }
    if keys.is_empty() {
        return Err(JwksError::NoKeys);
    }
    Ok(keys)
}

fn fetch_failed() -> AuthError {
    AuthError::new(
        AuthReason::KeyFetchFailed,
        "Forge's signing keys could not be fetched",
    )
}

#[async_trait]
impl FitKeys for HttpJwks {
    async fn key(&self, kid: &str) -> Result<FitKey, AuthError> {
        validate_kid(kid)?;
        if let Some(key) = self.held(kid) {
            return Ok(key);
        }
        let unknown = || {
            AuthError::new(
                AuthReason::UnknownKey,
                "the invocation token is signed with a key Forge does not publish",
            )
        };
        let _one_at_a_time = self.fetching.lock().await;
        // Another request may have fetched it while this one waited.
        if let Some(key) = self.held(kid) {
            return Ok(key);
        }
        {
            let Ok(mut last) = self.last_unknown_fetch.lock() else {
                return Err(unknown());
            };
            if last.is_some_and(|at| at.elapsed() < UNKNOWN_KID_COOLDOWN) {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                return Err(
                    if self.kids().is_empty() || self.last_fetch_failed.load(Ordering::Relaxed) {
                        fetch_failed()
                    } else {
                        unknown()
                    },
                );
            }
            *last = Some(Instant::now());
        }
        match self.fetch_and_replace().await {
            Ok(_) => self.held(kid).ok_or_else(unknown),
            // Keys held still verify other tokens; this one cannot be checked now.
            Err(_) => Err(fetch_failed()),
        }
    }
}
