//! Forge's side of Forge Remote, simulated: the JWKS whose keys sign invocation tokens, rotated
//! the way a careful platform does it (a new key is published before it signs, and the old one is
//! retired only after a grace period), or carelessly (a new key signs at once), and invocation
//! tokens (FITs) minted per call with the real claims.
//!
//! `amj-connect::forge` verifies what this signs, and both follow `docs/FORGE.md` §1–2, so a test
//! that passes here passes against the same checks the app makes.

use crate::keys::KeyGenError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::sync::Mutex;

/// How long a minted FIT lives, as Forge's do.
pub const FIT_LIFETIME_SECS: i64 = 25;

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
    published: bool,
}

/// One RSA public key of the JWKS.
#[derive(Debug, Clone, Serialize)]
pub struct Jwk {
    pub kty: &'static str,
    #[serde(rename = "use")]
    pub key_use: &'static str,
    pub alg: &'static str,
    pub kid: String,
    pub n: String,
    pub e: String,
}

/// The JWKS document.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Whether the JWKS answers (a fault control: the key CDN's outage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksMode {
    Normal,
    Unavailable,
}

struct SignerInner {
    keys: Vec<SigningKey>,
    active: String,
    generation: u32,
    mode: JwksMode,
}

/// The keys that sign FITs, and the JWKS that publishes them.
pub struct ForgeSigner {
    prefix: String,
    inner: Mutex<SignerInner>,
}

fn generate(kid: &str) -> Result<SigningKey, KeyGenError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyGenError)?;
    let der = pair.as_der().map_err(|_| KeyGenError)?;
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der.as_ref())
    );
    let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| KeyGenError)?;
    let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    Ok(SigningKey {
        kid: kid.to_owned(),
        encoding,
        jwk: Jwk {
            kty: "RSA",
            key_use: "sig",
            alg: "RS256",
            kid: kid.to_owned(),
            n: URL_SAFE_NO_PAD.encode(&public.n),
            e: URL_SAFE_NO_PAD.encode(&public.e),
        },
        published: true,
    })
}

/// What one invocation says about itself: the claims Forge puts in its FIT.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `ari:cloud:ecosystem::app/<uuid>`.
    pub app_ari: String,
    /// `ari:cloud:ecosystem::installation/<uuid>`.
    pub installation_id: String,
    /// `https://api.atlassian.com/ex/jira/<cloudId>`, or the simulator's own stand-in.
    pub api_base_url: String,
    /// `core:endpoint` for events and triggers; the UI module's type for UI calls.
    pub module_type: String,
    pub module_key: String,
    /// UI calls only.
    pub principal: Option<String>,
    /// UI calls only.
    pub context: Option<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FitClaims<'a> {
    aud: &'a str,
    iss: &'static str,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    app: FitApp<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FitApp<'a> {
    installation_id: &'a str,
    api_base_url: &'a str,
    id: &'a str,
    app_version: &'static str,
    environment: FitEnvironment,
    module: FitModule<'a>,
}

#[derive(Serialize)]
struct FitEnvironment {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'static str,
}

#[derive(Serialize)]
struct FitModule<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    key: &'a str,
}

impl ForgeSigner {
    /// A signer with one published, active key. `prefix` keeps kids unique across simulators.
    pub fn new(prefix: &str) -> Result<Self, KeyGenError> {
        let first = generate(&format!("{prefix}-forge-1"))?;
        Ok(Self {
            prefix: prefix.to_owned(),
            inner: Mutex::new(SignerInner {
                active: first.kid.clone(),
                keys: vec![first],
                generation: 1,
                mode: JwksMode::Normal,
            }),
        })
    }

    /// The published keys, or `None` while the JWKS is down.
    pub fn jwks(&self) -> Option<Jwks> {
        let inner = self.inner.lock().ok()?;
        (inner.mode == JwksMode::Normal).then(|| Jwks {
            keys: inner
                .keys
                .iter()
                .filter(|k| k.published)
                .map(|k| k.jwk.clone())
                .collect(),
        })
    }

    pub fn set_mode(&self, mode: JwksMode) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.mode = mode;
        }
    }

    /// The kid that signs now.
    pub fn active_kid(&self) -> Option<String> {
        self.inner.lock().ok().map(|i| i.active.clone())
    }

    /// The most recently generated key, published or not.
    pub fn newest_kid(&self) -> Option<String> {
        let inner = self.inner.lock().ok()?;
        inner.keys.last().map(|k| k.kid.clone())
    }

    /// Step one of a careful rotation: a new key is published, but does not sign yet.
    pub fn publish_next(&self) -> Result<String, KeyGenError> {
        let mut inner = self.inner.lock().map_err(|_| KeyGenError)?;
        inner.generation += 1;
        let key = generate(&format!("{}-forge-{}", self.prefix, inner.generation))?;
        let kid = key.kid.clone();
        inner.keys.push(key);
        Ok(kid)
    }

    /// Step two: the published key signs from now on.
    pub fn activate(&self, kid: &str) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        if inner.keys.iter().any(|k| k.kid == kid && k.published) {
            inner.active = kid.to_owned();
            true
        } else {
            false
        }
    }

    /// Step three, after a grace period: every key but the active one leaves the JWKS.
    pub fn retire_inactive(&self) -> Vec<String> {
        let Ok(mut inner) = self.inner.lock() else {
            return Vec::new();
        };
        let active = inner.active.clone();
        let mut retired = Vec::new();
        for key in inner
            .keys
            .iter_mut()
            .filter(|k| k.kid != active && k.published)
        {
            key.published = false;
            retired.push(key.kid.clone());
        }
        retired
    }

    /// The careless rotation: a new key signs at once, published at the same moment.
    pub fn rotate_now(&self) -> Result<String, KeyGenError> {
        let kid = self.publish_next()?;
        self.activate(&kid);
        Ok(kid)
    }

    /// A FIT for `invocation`, valid from `now` (Unix seconds) for [`FIT_LIFETIME_SECS`].
    pub fn mint(&self, invocation: &Invocation, now: i64) -> Result<String, MintError> {
        self.mint_with(invocation, now, None)
    }

    /// As [`ForgeSigner::mint`], signed with `kid` when given (a key a rollout has moved this
    /// site to) instead of the active one.
    pub fn mint_with(
        &self,
        invocation: &Invocation,
        now: i64,
        kid: Option<&str>,
    ) -> Result<String, MintError> {
        let inner = self.inner.lock().map_err(|_| MintError)?;
        let signing = kid.unwrap_or(&inner.active);
        let key = inner
            .keys
            .iter()
            .find(|k| k.kid == signing && k.published)
            .ok_or(MintError)?;
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| MintError)?;
        let claims = FitClaims {
            aud: &invocation.app_ari,
            iss: "forge/invocation-token",
            iat: now,
            nbf: now,
            exp: now + FIT_LIFETIME_SECS,
            jti: jti.iter().map(|b| format!("{b:02x}")).collect(),
            app: FitApp {
                installation_id: &invocation.installation_id,
                api_base_url: &invocation.api_base_url,
                id: &invocation.app_ari,
                app_version: "1.0.0",
                environment: FitEnvironment {
                    kind: "PRODUCTION",
                    id: crate::forge_host::SIM_FORGE_ENVIRONMENT,
                },
                module: FitModule {
                    kind: &invocation.module_type,
                    key: &invocation.module_key,
                },
            },
            principal: invocation.principal.as_deref(),
            context: invocation.context.as_ref(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(|_| MintError)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not sign an invocation token")]
pub struct MintError;

#[cfg(test)]
mod tests {
    use super::*;
    use amj_connect::AuthReason;
    use amj_connect::forge::{AppAri, FitConfig, HttpJwks, verify_fit};

    const APP: &str = "ari:cloud:ecosystem::app/0b5e1c2d-3f4a-4b6c-8d9e-0f1a2b3c4d5e";

    fn invocation() -> Invocation {
        Invocation {
            app_ari: APP.into(),
            installation_id:
                "ari:cloud:ecosystem::installation/9a8b7c6d-0000-4000-8000-000000000001".into(),
            api_base_url: "https://api.atlassian.com/ex/jira/4f1e2d3c-0000-4000-8000-000000000002"
                .into(),
            module_type: "core:endpoint".into(),
            module_key: "amj-events".into(),
            principal: None,
            context: None,
        }
    }

    fn now() -> i64 {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
        )
        .unwrap_or(0)
    }

    /// Serves the signer's JWKS as the simulator does, for the app's real key store.
    async fn serve(signer: std::sync::Arc<ForgeSigner>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let signer = signer.clone();
                async move {
                    match signer.jwks() {
                        Some(set) => axum::Json(set).into_response(),
                        None => axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response(),
                    }
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    use axum::response::IntoResponse as _;

    #[tokio::test]
    #[allow(clippy::unwrap_used)]
    async fn a_careful_rotation_never_fails_a_token_and_a_careless_one_recovers() {
        let signer = std::sync::Arc::new(ForgeSigner::new("t").unwrap());
        let jwks = HttpJwks::new(&serve(signer.clone()).await).unwrap();
        let config = FitConfig::new(AppAri::parse(APP).unwrap());
        let verify = |token: String| {
            let jwks = &jwks;
            let config = &config;
            async move { verify_fit(&token, jwks, config).await }
        };
        jwks.refresh().await.unwrap();
        let fit = verify(signer.mint(&invocation(), now()).unwrap())
            .await
            .unwrap();
        assert_eq!(fit.app.module.unwrap().key, "amj-events");

        // Careful: published, picked up by the app's refresh, then signing, then the old retired.
        let next = signer.publish_next().unwrap();
        assert!(
            verify(signer.mint(&invocation(), now()).unwrap())
                .await
                .is_ok()
        );
        jwks.refresh().await.unwrap();
        assert!(signer.activate(&next));
        let fetches = jwks
            .stats
            .fetched
            .load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            verify(signer.mint(&invocation(), now()).unwrap())
                .await
                .is_ok()
        );
        assert_eq!(
            jwks.stats
                .fetched
                .load(std::sync::atomic::Ordering::Relaxed),
            fetches,
            "the new key was held before it signed: no fetch on the request path"
        );
        assert_eq!(signer.retire_inactive().len(), 1);
        jwks.refresh().await.unwrap();
        assert_eq!(jwks.kids(), [next]);

        // Careless: a key signs the moment it is published; the unknown kid refetches once.
        signer.rotate_now().unwrap();
        assert!(
            verify(signer.mint(&invocation(), now()).unwrap())
                .await
                .is_ok()
        );

        // The JWKS goes down: keys held keep verifying.
        signer.set_mode(JwksMode::Unavailable);
        assert!(jwks.refresh().await.is_err());
        assert!(
            verify(signer.mint(&invocation(), now()).unwrap())
                .await
                .is_ok()
        );
        // A token from a key we do not hold, while the JWKS is down, cannot be checked: the
        // answer says the keys could not be fetched, not that Forge does not publish the key.
        let other = ForgeSigner::new("other").unwrap();
        let foreign = verify(other.mint(&invocation(), now()).unwrap()).await;
        assert_eq!(foreign.unwrap_err().reason, AuthReason::KeyFetchFailed);
    }
}
