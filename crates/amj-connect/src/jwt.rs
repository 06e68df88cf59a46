//! Connect JWTs: HS256 host tokens (iframes, webhooks, context tokens, app→Jira calls) and RS256
//! lifecycle tokens.
//!
//! Verification is split in two because the key depends on the token: `Unverified::parse` reads
//! the header and claims without trusting them, the caller finds the key (the tenant's secret by
//! `iss`, or the install key by `kid`), and then `verify_*` checks the signature, the times, the
//! qsh and, for lifecycle tokens, the audience. Each failure maps to one `AuthReason`.

use crate::error::{AuthError, AuthReason};
use crate::qsh::CONTEXT_QSH;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// Tokens longer than this are refused before any decoding work. Real Connect tokens are well
/// under 2 KB; the cap keeps a 1 MB header from costing us a 1 MB base64 decode.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claims Connect uses. `iat` and `exp` are required; everything else depends on the kind of
/// token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectClaims {
    pub iss: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qsh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    /// A unique token id. Jira's tokens may or may not carry one; nothing relies on it, but it
    /// keeps two otherwise identical tokens (same second, same request) distinct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// `aud` is a string or an array of strings in the wild; Atlassian's own library normalises it to
/// an array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn first(&self) -> Option<&str> {
        match self {
            Audience::One(a) => Some(a),
            Audience::Many(list) => list.first().map(String::as_str),
        }
    }
}

impl ConnectClaims {
    /// The acting user: `context.user.accountId` first, as Atlassian's frameworks do, then `sub`.
    pub fn account_id(&self) -> Option<&str> {
        self.context
            .as_ref()
            .and_then(|c| c.get("user"))
            .and_then(|u| u.get("accountId"))
            .and_then(|a| a.as_str())
            .or(self.sub.as_deref())
            .filter(|s| !s.is_empty())
    }

    pub fn kind(&self) -> TokenKind {
        if self.qsh.as_deref() == Some(CONTEXT_QSH) {
            TokenKind::Context
        } else {
            TokenKind::UrlBound
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Bound to one request by its qsh.
    UrlBound,
    /// From `AP.context.getToken()` or our own page, valid for any context-enabled route.
    Context,
}

/// A token whose signature has not been checked yet. Nothing in it may be trusted except as a
/// key to look up the verifying key.
#[derive(Debug, Clone)]
pub struct Unverified<'a> {
    token: &'a str,
    pub alg: String,
    pub kid: Option<String>,
    pub claims: ConnectClaims,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: Option<String>,
    kid: Option<String>,
}

impl<'a> Unverified<'a> {
    pub fn parse(token: &'a str) -> Result<Self, AuthError> {
        let malformed = |msg: &str| AuthError::new(AuthReason::Malformed, msg);
        if token.is_empty() {
            return Err(AuthError::new(
                AuthReason::MissingToken,
                "the token is empty",
            ));
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(malformed("the token is longer than any Connect token"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("a JWT has three dot-separated parts"));
        };
        let header = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| malformed("the header is not base64url"))?;
        let header: RawHeader = serde_json::from_slice(&header)
            .map_err(|_| malformed("the header is not a JSON object"))?;
        let claims = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|_| malformed("the claims are not base64url"))?;
        let claims: ConnectClaims = serde_json::from_slice(&claims).map_err(|e| {
            AuthError::new(
                AuthReason::Malformed,
                format!("the claims are invalid: {}", describe_json_error(&e)),
            )
        })?;
        if claims.iss.is_empty() {
            return Err(malformed("the iss claim is empty"));
        }
        Ok(Self {
            token,
            alg: header.alg.unwrap_or_default(),
            kid: header.kid.filter(|k| !k.is_empty()),
            claims,
        })
    }

    /// Algorithm pinning. Checked before any key is looked up, so `none` and RS/HS confusion never
    /// reach a verifier.
    pub fn require_alg(&self, expected: Algorithm) -> Result<(), AuthError> {
        let expected_name = alg_name(expected);
        if self.alg == expected_name {
            Ok(())
        } else {
            Err(AuthError::new(
                AuthReason::AlgNotAllowed,
                format!(
                    "this route accepts only {expected_name} tokens, not {:?}",
                    self.alg
                ),
            ))
        }
    }

    pub fn token(&self) -> &'a str {
        self.token
    }

    /// HS256 verification with the tenant's shared secret.
    pub fn verify_hs256(
        &self,
        secret: &[u8],
        check: &Checks<'_>,
    ) -> Result<ConnectClaims, AuthError> {
        self.require_alg(Algorithm::HS256)?;
        verify_signature(
            self.token,
            &DecodingKey::from_secret(secret),
            Algorithm::HS256,
        )?;
        self.check_claims(check).cloned()
    }

    /// HS256 verification with a key prepared once per tenant (see `Hs256Key`).
    pub fn verify_hs256_prepared(
        &self,
        key: &Hs256Key,
        check: &Checks<'_>,
    ) -> Result<&ConnectClaims, AuthError> {
        self.require_alg(Algorithm::HS256)?;
        let Some((signing_input, signature)) = self.token.rsplit_once('.') else {
            return Err(AuthError::new(
                AuthReason::Malformed,
                "a JWT has three dot-separated parts",
            ));
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| AuthError::new(AuthReason::Malformed, "the signature is not base64url"))?;
        aws_lc_rs::hmac::verify(&key.0, signing_input.as_bytes(), &signature).map_err(|_| {
            AuthError::new(AuthReason::BadSignature, "the signature does not verify")
        })?;
        self.check_claims(check)
    }

    /// RS256 verification of a lifecycle token with the install key named by its `kid`.
    pub fn verify_rs256(
        &self,
        key: &DecodingKey,
        check: &Checks<'_>,
    ) -> Result<ConnectClaims, AuthError> {
        self.require_alg(Algorithm::RS256)?;
        verify_signature(self.token, key, Algorithm::RS256)?;
        self.check_claims(check).cloned()
    }

    fn check_claims(&self, check: &Checks<'_>) -> Result<&ConnectClaims, AuthError> {
        let claims = &self.claims;
        let now = check.now;
        let leeway = check.leeway_secs;
        if now > claims.exp.saturating_add(leeway) {
            return Err(AuthError::new(
                AuthReason::Expired,
                format!("the token expired {} s ago", now - claims.exp),
            ));
        }
        if let Some(nbf) = claims.nbf
            && nbf > now.saturating_add(leeway)
        {
            return Err(AuthError::new(
                AuthReason::NotYetValid,
                "the token is not valid yet (nbf)",
            ));
        }
        if claims.iat > now.saturating_add(leeway) {
            return Err(AuthError::new(
                AuthReason::NotYetValid,
                "the token was issued in the future (iat)",
            ));
        }
        match (&check.qsh, claims.qsh.as_deref()) {
            (QshCheck::Skip, _) => {}
            (_, None) => {
                return Err(AuthError::new(
                    AuthReason::QshMismatch,
                    "the token has no qsh claim",
                ));
            }
            (QshCheck::Exact(expected), Some(actual)) => {
                if actual != expected {
                    let message = if actual == CONTEXT_QSH {
                        "a context token is not accepted on this route"
                    } else {
                        "the token was issued for a different request"
                    };
                    return Err(AuthError::new(AuthReason::QshMismatch, message));
                }
            }
            (QshCheck::ExactOrContext(expected), Some(actual)) => {
                if actual != CONTEXT_QSH && actual != expected {
                    return Err(AuthError::new(
                        AuthReason::QshMismatch,
                        "the token was issued for a different request",
                    ));
                }
            }
        }
        if let Some(expected_aud) = check.audience {
            let actual = claims.aud.as_ref().and_then(Audience::first);
            if actual.is_none_or(|a| a.trim_end_matches('/') != expected_aud.trim_end_matches('/'))
            {
                return Err(AuthError::new(
                    AuthReason::WrongAudience,
                    "the token is not addressed to this app",
                ));
            }
        }
        Ok(claims)
    }
}

/// A shared secret ready for HS256: the HMAC key schedule is computed once when the tenant is
/// loaded instead of on every request, which is a fifth of the cost of authenticating one.
/// Verification is constant-time (`aws_lc_rs::hmac::verify`).
#[derive(Clone)]
pub struct Hs256Key(aws_lc_rs::hmac::Key);

impl Hs256Key {
    pub fn new(secret: &[u8]) -> Self {
        Self(aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            secret,
        ))
    }
}

impl std::fmt::Debug for Hs256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hs256Key(<redacted>)")
    }
}

/// What a verifier checks besides the signature.
#[derive(Debug, Clone)]
pub struct Checks<'a> {
    pub now: i64,
    pub leeway_secs: i64,
    pub qsh: QshCheck,
    /// Required `aud` (lifecycle tokens only). Host HS256 tokens carry no audience.
    pub audience: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub enum QshCheck {
    Exact(String),
    ExactOrContext(String),
    /// Only for tokens we minted ourselves without a qsh; never for host tokens.
    Skip,
}

/// Checks only the signature: the header and claims were already decoded by `Unverified::parse`,
/// and decoding them again is most of what a full `jsonwebtoken::decode` would cost per request.
fn verify_signature(token: &str, key: &DecodingKey, alg: Algorithm) -> Result<(), AuthError> {
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return Err(AuthError::new(
            AuthReason::Malformed,
            "a JWT has three dot-separated parts",
        ));
    };
    match jsonwebtoken::crypto::verify(signature, signing_input.as_bytes(), key, alg) {
        Ok(true) => Ok(()),
        Ok(false) => Err(AuthError::new(
            AuthReason::BadSignature,
            "the signature does not verify",
        )),
        Err(e) => {
            use jsonwebtoken::errors::ErrorKind;
            Err(match e.kind() {
                ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => AuthError::new(
                    AuthReason::UnknownKey,
                    "the signing key is not a usable RSA key",
                ),
                ErrorKind::Base64(_) => {
                    AuthError::new(AuthReason::Malformed, "the signature is not base64url")
                }
                _ => AuthError::new(AuthReason::BadSignature, "the signature does not verify"),
            })
        }
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    // serde's messages name the missing field ("missing field `exp`") without echoing input.
    let text = e.to_string();
    text.split(" at line")
        .next()
        .unwrap_or("invalid JSON")
        .to_owned()
}

pub fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        _ => "unsupported",
    }
}

/// Signs claims with a shared secret, as Jira does for host tokens and as the app does for its
/// calls to Jira and its own context tokens.
pub fn sign_hs256(
    claims: &ConnectClaims,
    secret: &[u8],
) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
}

/// Signs a lifecycle token with an install key (used by the simulator and the probe).
pub fn sign_rs256(
    claims: &ConnectClaims,
    key: &EncodingKey,
    kid: &str,
) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key)
}

/// Where a host token travelled. Iframes carry it in the query; everything else in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Query,
    Header,
}

/// Finds the token of a request: `?jwt=` (if the route allows it) or `Authorization: JWT …`.
/// Two different tokens in one request are refused rather than guessed between.
pub fn extract_token<'a>(
    raw_query: Option<&'a str>,
    authorization: Option<&'a str>,
    allow_query: bool,
) -> Result<(String, TokenSource), AuthError> {
    let from_header = match authorization {
        Some(value) => match value.strip_prefix("JWT ") {
            Some(token) => Some(token.trim().to_owned()),
            None => {
                return Err(AuthError::new(
                    AuthReason::Malformed,
                    "the Authorization header must use the JWT scheme",
                ));
            }
        },
        None => None,
    };
    let from_query = if allow_query {
        raw_query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "jwt")
                .map(|(_, v)| v.into_owned())
        })
    } else {
        None
    };
    match (from_query, from_header) {
        (Some(q), Some(h)) if q != h => Err(AuthError::new(
            AuthReason::Malformed,
            "the request carries two different tokens",
        )),
        (Some(q), _) => Ok((q, TokenSource::Query)),
        (None, Some(h)) => Ok((h, TokenSource::Header)),
        (None, None) => Err(AuthError::new(
            AuthReason::MissingToken,
            "no JWT in the request",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qsh;

    const SECRET: &[u8] = b"test-shared-secret-0123456789";
    const WEBHOOK_VECTOR: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJjMWEyYjNjNC1jbGllbnQta2V5Iiwic3ViIjoiNTU3MDU4OmFiY2QtYWNjb3VudCIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwOTAwLCJxc2giOiIyOGNhYWZiMjEzNmI0MDM2YjgzNDM0YzU4NDg5Y2MzM2ExNTM5ZTFlNDk1OWQ2ODhhNzA0NjA0N2ZlZGQ1MWViIn0.bjpQlnIs5vMLZZSxys44u4z--T2XvBbVu3Zv9Gl2A7A";
    const CONTEXT_VECTOR: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJjMWEyYjNjNC1jbGllbnQta2V5Iiwic3ViIjoiNTU3MDU4OmFiY2QtYWNjb3VudCIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAwOTAwLCJxc2giOiJjb250ZXh0LXFzaCIsImNvbnRleHQiOnt9fQ.qU-_evnMZfxrFiNtW7ok8BshqFe7frlzAo9rNpBS8wo";

    fn checks(qsh: QshCheck) -> Checks<'static> {
        Checks {
            now: 1_700_000_100,
            leeway_secs: 30,
            qsh,
            audience: None,
        }
    }

    fn webhook_qsh() -> String {
        qsh::qsh("POST", "/webhooks/issue-updated", Some("issueKey=AM-1"), "")
    }

    #[test]
    fn protocol_webhook_vector_verifies() {
        let token = Unverified::parse(WEBHOOK_VECTOR).unwrap();
        assert_eq!(token.claims.iss, "c1a2b3c4-client-key");
        let claims = token
            .verify_hs256(SECRET, &checks(QshCheck::Exact(webhook_qsh())))
            .unwrap();
        assert_eq!(claims.account_id(), Some("557058:abcd-account"));
        assert_eq!(claims.kind(), TokenKind::UrlBound);
    }

    #[test]
    fn protocol_context_vector_only_passes_where_context_is_allowed() {
        let token = Unverified::parse(CONTEXT_VECTOR).unwrap();
        let any = qsh::qsh("GET", "/api/v1/whoami", None, "");
        let claims = token
            .verify_hs256(SECRET, &checks(QshCheck::ExactOrContext(any.clone())))
            .unwrap();
        assert_eq!(claims.kind(), TokenKind::Context);
        let err = token
            .verify_hs256(SECRET, &checks(QshCheck::Exact(any)))
            .unwrap_err();
        assert_eq!(err.reason, AuthReason::QshMismatch);
    }

    #[test]
    fn prepared_key_agrees_with_the_plain_secret() {
        let token = Unverified::parse(WEBHOOK_VECTOR).unwrap();
        let check = checks(QshCheck::Exact(webhook_qsh()));
        let plain = token.verify_hs256(SECRET, &check).unwrap();
        let prepared = token
            .verify_hs256_prepared(&Hs256Key::new(SECRET), &check)
            .unwrap();
        assert_eq!(&plain, prepared);
        let err = token
            .verify_hs256_prepared(&Hs256Key::new(b"other"), &check)
            .unwrap_err();
        assert_eq!(err.reason, AuthReason::BadSignature);
    }

    #[test]
    fn wrong_secret_is_bad_signature() {
        let token = Unverified::parse(WEBHOOK_VECTOR).unwrap();
        let err = token
            .verify_hs256(b"another-secret", &checks(QshCheck::Exact(webhook_qsh())))
            .unwrap_err();
        assert_eq!(err.reason, AuthReason::BadSignature);
    }

    fn claims_at(iat: i64, exp: i64) -> ConnectClaims {
        ConnectClaims {
            iss: "c1".into(),
            sub: None,
            iat,
            exp,
            nbf: None,
            qsh: Some("q".into()),
            aud: None,
            context: None,
            jti: None,
        }
    }

    #[test]
    fn expiry_has_thirty_seconds_of_leeway() {
        let now = 1_700_000_000;
        let check = Checks {
            now,
            leeway_secs: 30,
            qsh: QshCheck::Exact("q".into()),
            audience: None,
        };
        let ok = sign_hs256(&claims_at(now - 200, now - 10), SECRET).unwrap();
        Unverified::parse(&ok)
            .unwrap()
            .verify_hs256(SECRET, &check)
            .unwrap();
        let late = sign_hs256(&claims_at(now - 200, now - 60), SECRET).unwrap();
        let err = Unverified::parse(&late)
            .unwrap()
            .verify_hs256(SECRET, &check)
            .unwrap_err();
        assert_eq!(err.reason, AuthReason::Expired);
        let future = sign_hs256(&claims_at(now + 120, now + 300), SECRET).unwrap();
        let err = Unverified::parse(&future)
            .unwrap()
            .verify_hs256(SECRET, &check)
            .unwrap_err();
        assert_eq!(err.reason, AuthReason::NotYetValid);
    }

    #[test]
    fn missing_exp_or_iat_is_malformed() {
        for body in [r#"{"iss":"c1","iat":1}"#, r#"{"iss":"c1","exp":1}"#] {
            let token = format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", URL_SAFE_NO_PAD.encode(body));
            let err = Unverified::parse(&token).unwrap_err();
            assert_eq!(err.reason, AuthReason::Malformed, "{body}");
            assert!(err.message.contains("missing field"), "{}", err.message);
        }
    }

    #[test]
    fn alg_none_and_rs256_are_refused_on_symmetric_routes() {
        let body =
            URL_SAFE_NO_PAD.encode(r#"{"iss":"c1","iat":1700000000,"exp":1700000900,"qsh":"x"}"#);
        for header in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"typ":"JWT"}"#,
        ] {
            let token = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(header));
            let err = Unverified::parse(&token)
                .unwrap()
                .verify_hs256(SECRET, &checks(QshCheck::Skip))
                .unwrap_err();
            assert_eq!(err.reason, AuthReason::AlgNotAllowed, "{header}");
        }
    }

    #[test]
    fn typ_is_informational() {
        let body =
            URL_SAFE_NO_PAD.encode(r#"{"iss":"c1","iat":1700000000,"exp":1700000900,"qsh":"q"}"#);
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
        let signing_input = format!("{header}.{body}");
        let sig = jsonwebtoken::crypto::sign(
            signing_input.as_bytes(),
            &EncodingKey::from_secret(SECRET),
            Algorithm::HS256,
        )
        .unwrap();
        let token = format!("{signing_input}.{sig}");
        Unverified::parse(&token)
            .unwrap()
            .verify_hs256(SECRET, &checks(QshCheck::Exact("q".into())))
            .unwrap();
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for garbage in [
            "a",
            "a.b",
            "a.b.c.d",
            "!!!.???.***",
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.x",
        ] {
            let err = Unverified::parse(garbage).unwrap_err();
            assert_eq!(err.reason, AuthReason::Malformed, "{garbage}");
        }
        let huge = "a".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            Unverified::parse(&huge).unwrap_err().reason,
            AuthReason::Malformed
        );
        assert_eq!(
            Unverified::parse("").unwrap_err().reason,
            AuthReason::MissingToken
        );
    }

    #[test]
    fn token_extraction_rules() {
        assert_eq!(
            extract_token(Some("a=1&jwt=abc"), None, true).unwrap(),
            ("abc".into(), TokenSource::Query)
        );
        assert_eq!(
            extract_token(Some("jwt=abc"), None, false)
                .unwrap_err()
                .reason,
            AuthReason::MissingToken
        );
        assert_eq!(
            extract_token(None, Some("JWT abc"), false).unwrap(),
            ("abc".into(), TokenSource::Header)
        );
        assert_eq!(
            extract_token(None, Some("Bearer abc"), false)
                .unwrap_err()
                .reason,
            AuthReason::Malformed
        );
        assert_eq!(
            extract_token(Some("jwt=a"), Some("JWT b"), true)
                .unwrap_err()
                .reason,
            AuthReason::Malformed
        );
        assert!(extract_token(Some("jwt=a"), Some("JWT a"), true).is_ok());
    }
}
