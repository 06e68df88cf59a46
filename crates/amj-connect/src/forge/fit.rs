//! The Forge Invocation Token: verification and typed claims.
//!
//! The checks follow the strictest public implementations (see `docs/FORGE.md`): RS256 only, the
//! audience pinned to our app (configured as a bare id or as an ARI), the issuer pinned, and
//! `exp`, `nbf`, `iat` and `jti` all required. FITs live about 25 s, so the leeway is small.

use super::jwks::FitKeys;
use crate::error::{AuthError, AuthReason};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The `iss` of every FIT.
pub const FIT_ISSUER: &str = "forge/invocation-token";
/// The ARI prefix of a Forge app id.
const APP_ARI_PREFIX: &str = "ari:cloud:ecosystem::app/";
/// The default clock leeway, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 5;

/// Our app's id as an ARI (`ari:cloud:ecosystem::app/<uuid>`), whether it was configured as the
/// ARI or as the bare id the developer console shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAri(String);

impl AppAri {
    pub fn parse(text: &str) -> Result<AppAri, String> {
        let text = text.trim();
        let id = text.strip_prefix(APP_ARI_PREFIX).unwrap_or(text);
        let valid = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if valid {
            Ok(AppAri(format!(
                "{APP_ARI_PREFIX}{}",
                id.to_ascii_lowercase()
            )))
        } else {
            Err(format!(
                "{text:?} is not a Forge app id (a UUID, or {APP_ARI_PREFIX}<uuid>)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bare id, as `forge` commands and the manifest's `app.id` suffix show it.
    pub fn id(&self) -> &str {
        self.0.strip_prefix(APP_ARI_PREFIX).unwrap_or(&self.0)
    }
}

impl std::fmt::Display for AppAri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a FIT must be for us.
#[derive(Debug, Clone)]
pub struct FitConfig {
    pub app: AppAri,
    pub leeway_secs: u64,
}

impl FitConfig {
    pub fn new(app: AppAri) -> Self {
        Self {
            app,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        }
    }
}

/// A verified FIT's claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub app: FitApp,
    /// UI invocations only: where in Jira the call comes from.
    pub context: Option<FitContext>,
    /// The user, for UI invocations.
    pub principal: Option<String>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

impl Fit {
    /// The site's cloud id: from the UI context when there is one, otherwise from the API base
    /// URL (`…/ex/jira/<cloudId>`), which every invocation carries.
    pub fn cloud_id(&self) -> Option<String> {
        self.context
            .as_ref()
            .and_then(|c| c.cloud_id.clone())
            .or_else(|| cloud_id_of_api_base_url(&self.app.api_base_url))
    }
}

/// `https://api.atlassian.com/ex/jira/<cloudId>` → `<cloudId>`. Read from the path by hand,
/// without a URL parser: it runs on every invocation, and only the path segments matter.
pub fn cloud_id_of_api_base_url(api_base_url: &str) -> Option<String> {
    let after_scheme = api_base_url.split_once("://")?.1;
    let path = &after_scheme[after_scheme.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    while let Some(segment) = segments.next() {
        if segment == "ex" {
            let _product = segments.next()?;
            let cloud_id = segments.next()?;
            let valid = cloud_id.len() <= 64
                && cloud_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            return valid.then(|| cloud_id.to_owned());
        }
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
pub struct FitApp {
    /// `ari:cloud:ecosystem::installation/<uuid>`. It changes on reinstall, and may change on
    /// the move from Connect, so it is never the only key of a site.
    pub installation_id: String,
    pub api_base_url: String,
    pub id: String,
    pub app_version: Option<String>,
    pub environment: Option<FitEnvironment>,
    pub module: Option<FitModule>,
    pub license: Option<FitLicense>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FitEnvironment {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FitModule {
    #[serde(rename = "type")]
    pub kind: String,
    pub key: String,
}

/// Paid production apps only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FitLicense {
    pub is_active: Option<bool>,
    pub billing_period: Option<String>,
    pub is_evaluation: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub trial_end_date: Option<String>,
    pub subscription_end_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FitContext {
    pub cloud_id: Option<String>,
    pub site_url: Option<String>,
    pub module_key: Option<String>,
    pub local_id: Option<String>,
    /// Module-specific: the issue and project of an issue panel, say.
    pub extension: Option<serde_json::Value>,
}

/// The claims as they arrive, every one optional, so that a missing one is named
/// (`missing_claim`) instead of failing as an unreadable token.
#[derive(Debug, Deserialize)]
struct RawClaims {
    aud: Option<Audience>,
    iss: Option<String>,
    app: Option<RawApp>,
    context: Option<FitContext>,
    principal: Option<Principal>,
    iat: Option<i64>,
    nbf: Option<i64>,
    exp: Option<i64>,
    jti: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawApp {
    installation_id: Option<String>,
    api_base_url: Option<String>,
    id: Option<String>,
    app_version: Option<String>,
    environment: Option<FitEnvironment>,
    module: Option<FitModule>,
    license: Option<FitLicense>,
}

/// `aud`: one audience or several, as JWTs allow.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Audience::One(aud) => aud == wanted,
            Audience::Many(auds) => auds.iter().any(|a| a == wanted),
        }
    }
}

/// The principal is documented as the accountId; an object holding it is read too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Principal {
    AccountId(String),
    Object {
        #[serde(rename = "accountId")]
        account_id: String,
    },
}

/// The two header fields a FIT's verification reads. (jsonwebtoken's `Header` reads a dozen,
/// each allocated, on the path every Forge call takes.)
#[derive(Deserialize)]
struct FitHeader {
    alg: String,
    kid: Option<String>,
}

fn read_header(token: &str) -> Result<FitHeader, AuthError> {
    let not_jwt = || AuthError::new(AuthReason::Malformed, "the invocation token is not a JWT");
    let (header, _) = token.split_once('.').ok_or_else(not_jwt)?;
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| not_jwt())?;
    serde_json::from_slice(&bytes).map_err(|_| not_jwt())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `exp`, `nbf`, `iss` and `aud`, as the strictest verifiers check them (docs/FORGE.md §1):
/// each required, the times within the leeway.
fn check_registered_claims(
    claims: &RawClaims,
    config: &FitConfig,
    now: i64,
) -> Result<(), AuthError> {
    let leeway = i64::try_from(config.leeway_secs).unwrap_or(i64::MAX);
    let exp = claims.exp.ok_or_else(|| missing("exp"))?;
    let nbf = claims.nbf.ok_or_else(|| missing("nbf"))?;
    let iss = claims.iss.as_deref().ok_or_else(|| missing("iss"))?;
    let aud = claims.aud.as_ref().ok_or_else(|| missing("aud"))?;
    if exp.saturating_add(leeway) < now {
        return Err(AuthError::new(
            AuthReason::Expired,
            "the invocation token has expired",
        ));
    }
    if nbf.saturating_sub(leeway) > now {
        return Err(AuthError::new(
            AuthReason::NotYetValid,
            "the invocation token is not valid yet",
        ));
    }
    if iss != FIT_ISSUER {
        return Err(AuthError::new(
            AuthReason::WrongIssuer,
            "the invocation token was not issued by Forge",
        ));
    }
    if !aud.contains(config.app.as_str()) {
        return Err(AuthError::new(
            AuthReason::WrongAudience,
            "the invocation token is for another app",
        ));
    }
    Ok(())
}

fn missing(claim: &str) -> AuthError {
    AuthError::new(
        AuthReason::MissingClaim,
        format!("the invocation token has no {claim} claim"),
    )
}

/// A `kid` of a JWKS: 1 to 200 characters of `[A-Za-z0-9._-]`. Checked before it is looked up
/// or logged, so a made-up one cannot carry anything else.
pub fn validate_kid(kid: &str) -> Result<(), AuthError> {
    let valid = !kid.is_empty()
        && kid.len() <= 200
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(AuthError::new(
            AuthReason::Malformed,
            "the invocation token's kid is not a valid key id",
        ))
    }
}

/// Verifies a FIT (the `Authorization: Bearer` value) and returns its claims.
pub async fn verify_fit(
    token: &str,
    keys: &dyn FitKeys,
    config: &FitConfig,
) -> Result<Fit, AuthError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::new(
            AuthReason::MissingToken,
            "no invocation token",
        ));
    }
    let header = read_header(token)?;
    if header.alg != "RS256" {
        return Err(AuthError::new(
            AuthReason::AlgNotAllowed,
            "invocation tokens must be signed with RS256",
        ));
    }
    let kid = header.kid.ok_or_else(|| {
        AuthError::new(
            AuthReason::Malformed,
            "the invocation token names no signing key (kid)",
        )
    })?;
    validate_kid(&kid)?;
    let key = keys.key(&kid).await?;
    // The signature first, over exactly the bytes signed; nothing of the payload is read before.
    let malformed = || AuthError::new(AuthReason::Malformed, "the invocation token cannot be read");
    let (message, signature) = token.rsplit_once('.').ok_or_else(malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?;
    if !key.verifies(message.as_bytes(), &signature) {
        return Err(AuthError::new(
            AuthReason::BadSignature,
            "the signature does not verify",
        ));
    }
    let payload = message
        .split_once('.')
        .map(|(_, p)| p)
        .ok_or_else(malformed)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed())?;
    let claims: RawClaims = serde_json::from_slice(&payload).map_err(|_| malformed())?;
    check_registered_claims(&claims, config, unix_now())?;
    let app = claims.app.ok_or_else(|| missing("app"))?;
    let fit = Fit {
        app: FitApp {
            installation_id: app
                .installation_id
                .filter(|s| !s.is_empty())
                .ok_or_else(|| missing("app.installationId"))?,
            api_base_url: app
                .api_base_url
                .filter(|s| !s.is_empty())
                .ok_or_else(|| missing("app.apiBaseUrl"))?,
            id: app.id.ok_or_else(|| missing("app.id"))?,
            app_version: app.app_version,
            environment: app.environment,
            module: app.module,
            license: app.license,
        },
        context: claims.context,
        principal: claims.principal.map(|p| match p {
            Principal::AccountId(id) | Principal::Object { account_id: id } => id,
        }),
        iat: claims.iat.ok_or_else(|| missing("iat"))?,
        nbf: claims.nbf.ok_or_else(|| missing("nbf"))?,
        exp: claims.exp.ok_or_else(|| missing("exp"))?,
        jti: claims
            .jti
            .filter(|j| !j.is_empty())
            .ok_or_else(|| missing("jti"))?,
    };
    // `app.id` names the app too; it must agree with the audience.
    if AppAri::parse(&fit.app.id).ok().as_ref() != Some(&config.app) {
        return Err(AuthError::new(
            AuthReason::WrongAudience,
            "the invocation token's app.id is another app",
        ));
    }
    Ok(fit)
}

/// A JWT's payload read *without* verification, into `T`; `None` for anything unreadable or
/// implausibly large. Only for the two unverified reads below.
fn unverified_payload<T: serde::de::DeserializeOwned>(token: &str) -> Option<T> {
    let payload = token.trim().split('.').nth(1)?;
    if payload.len() > 64 * 1024 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The installation a token claims to come from, read *without* verification: only to count a
/// refusal against a site the caller already knows, never to authorise anything.
pub fn claimed_installation_id(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Peek {
        app: Option<PeekApp>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct PeekApp {
        installation_id: Option<String>,
    }
    unverified_payload::<Peek>(token)?.app?.installation_id
}

/// When an Atlassian OAuth token (the `x-forge-oauth-system` value) expires, in Unix seconds.
/// The tokens are opaque to us except for this: Atlassian documents that "the exp claim in their
/// payload represents the expiration time", and a token's lifetime decides which one we keep.
pub fn oauth_token_expiry(token: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Exp {
        exp: Option<i64>,
    }
    unverified_payload::<Exp>(token)?.exp
}
