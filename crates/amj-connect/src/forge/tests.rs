//! FIT verification and the JWKS store against real RS256 keys and a real HTTP key server.

use super::fit::{AppAri, FitConfig, cloud_id_of_api_base_url, verify_fit};
use super::jwks::FitKey;
use super::jwks::{FitKeys, HttpJwks, JwksError, parse_jwks};
use crate::AuthReason;
use async_trait::async_trait;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const APP_UUID: &str = "6f2d0c1e-4a7b-4c3d-9e8f-0a1b2c3d4e5f";
const CLOUD_ID: &str = "a436116f-02ce-4520-8fbb-7301462a1674";

struct TestKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

fn test_key(kid: &str) -> TestKey {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let der = pair.as_der().unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der.as_ref())
    );
    let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    TestKey {
        kid: kid.to_owned(),
        encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        jwk: json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&components.n),
            "e": URL_SAFE_NO_PAD.encode(&components.e),
        }),
    }
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn claims() -> Value {
    let now = now();
    json!({
        "aud": format!("ari:cloud:ecosystem::app/{APP_UUID}"),
        "iss": "forge/invocation-token",
        "iat": now, "nbf": now, "exp": now + 25,
        "jti": "4d8b6f1e-0000-4000-8000-000000000001",
        "app": {
            "installationId": "ari:cloud:ecosystem::installation/11111111-2222-3333-4444-555555555555",
            "apiBaseUrl": format!("https://api.atlassian.com/ex/jira/{CLOUD_ID}"),
            "id": format!("ari:cloud:ecosystem::app/{APP_UUID}"),
            "appVersion": "2.1.0",
            "environment": {"type": "PRODUCTION", "id": "env-1"},
            "module": {"type": "core:endpoint", "key": "amj-events"},
            "license": {"isActive": true, "type": "commercial"},
        },
        "principal": "5b10ac8d82e05b22cc7d4ef5",
    })
}

fn sign(key: &TestKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// Keys held in memory, for the claim checks.
struct Fixed(Vec<(String, FitKey)>);

#[async_trait]
impl FitKeys for Fixed {
    async fn key(&self, kid: &str) -> Result<FitKey, crate::AuthError> {
        self.0
            .iter()
            .find(|(k, _)| k == kid)
            .map(|(_, key)| key.clone())
            .ok_or_else(|| crate::AuthError::new(AuthReason::UnknownKey, "unknown"))
    }
}

fn fixed(keys: &[&TestKey]) -> Fixed {
    Fixed(
        keys.iter()
            .map(|k| {
                let set = json!({"keys": [k.jwk]}).to_string();
                let parsed = parse_jwks(set.as_bytes()).unwrap();
                (k.kid.clone(), parsed[&k.kid].clone())
            })
            .collect(),
    )
}

fn config() -> FitConfig {
    FitConfig::new(AppAri::parse(APP_UUID).unwrap())
}

async fn reason(token: &str, keys: &Fixed) -> AuthReason {
    verify_fit(token, keys, &config()).await.unwrap_err().reason
}

#[tokio::test]
async fn a_valid_token_yields_typed_claims() {
    let key = test_key("forge-1");
    let keys = fixed(&[&key]);
    let fit = verify_fit(&sign(&key, &claims()), &keys, &config())
        .await
        .unwrap();
    assert_eq!(
        fit.app.installation_id,
        "ari:cloud:ecosystem::installation/11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(fit.app.module.as_ref().unwrap().key, "amj-events");
    assert_eq!(fit.app.environment.as_ref().unwrap().kind, "PRODUCTION");
    assert_eq!(fit.app.license.as_ref().unwrap().is_active, Some(true));
    assert_eq!(fit.principal.as_deref(), Some("5b10ac8d82e05b22cc7d4ef5"));
    assert_eq!(fit.cloud_id().as_deref(), Some(CLOUD_ID));
    // The UI context's cloud id wins, and an object principal is read too.
    let mut ui = claims();
    ui["context"] = json!({"cloudId": "ctx-cloud", "siteUrl": "https://acme.atlassian.net", "extension": {"issue": {"key": "AM-1"}}});
    ui["principal"] = json!({"accountId": "acc-2"});
    let fit = verify_fit(&sign(&key, &ui), &keys, &config())
        .await
        .unwrap();
    assert_eq!(fit.cloud_id().as_deref(), Some("ctx-cloud"));
    assert_eq!(fit.principal.as_deref(), Some("acc-2"));
    // The app configured as an ARI works the same as the bare id.
    let as_ari =
        FitConfig::new(AppAri::parse(&format!("ari:cloud:ecosystem::app/{APP_UUID}")).unwrap());
    assert!(
        verify_fit(&sign(&key, &claims()), &keys, &as_ari)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn every_broken_claim_has_its_reason() {
    let key = test_key("forge-1");
    let keys = fixed(&[&key]);
    let with = |path: &[&str], value: Value| {
        let mut c = claims();
        let mut target = &mut c;
        for p in &path[..path.len() - 1] {
            target = &mut target[*p];
        }
        target[path[path.len() - 1]] = value;
        sign(&key, &c)
    };
    let without = |path: &[&str]| {
        let mut c = claims();
        let mut target = &mut c;
        for p in &path[..path.len() - 1] {
            target = &mut target[*p];
        }
        target.as_object_mut().unwrap().remove(path[path.len() - 1]);
        sign(&key, &c)
    };
    let now = now();
    let cases: Vec<(&str, String, AuthReason)> = vec![
        (
            "another app's audience",
            with(
                &["aud"],
                json!("ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000"),
            ),
            AuthReason::WrongAudience,
        ),
        (
            "another issuer",
            with(&["iss"], json!("connect")),
            AuthReason::WrongIssuer,
        ),
        (
            "expired",
            with(&["exp"], json!(now - 60)),
            AuthReason::Expired,
        ),
        (
            "not yet valid",
            with(&["nbf"], json!(now + 60)),
            AuthReason::NotYetValid,
        ),
        ("no jti", without(&["jti"]), AuthReason::MissingClaim),
        ("no iat", without(&["iat"]), AuthReason::MissingClaim),
        ("no nbf", without(&["nbf"]), AuthReason::MissingClaim),
        ("no exp", without(&["exp"]), AuthReason::MissingClaim),
        ("no aud", without(&["aud"]), AuthReason::MissingClaim),
        ("no iss", without(&["iss"]), AuthReason::MissingClaim),
        (
            "an audience list without us",
            with(&["aud"], json!(["ari:cloud:ecosystem::app/other"])),
            AuthReason::WrongAudience,
        ),
        (
            "a signature that is not base64url",
            {
                let token = sign(&key, &claims());
                format!("{}!", &token[..token.len() - 1])
            },
            AuthReason::Malformed,
        ),
        (
            "no installation",
            without(&["app", "installationId"]),
            AuthReason::MissingClaim,
        ),
        (
            "no API base URL",
            without(&["app", "apiBaseUrl"]),
            AuthReason::MissingClaim,
        ),
        (
            "app.id of another app",
            with(
                &["app", "id"],
                json!("ari:cloud:ecosystem::app/00000000-0000-0000-0000-000000000000"),
            ),
            AuthReason::WrongAudience,
        ),
    ];
    for (what, token, want) in cases {
        assert_eq!(reason(&token, &keys).await, want, "{what}");
    }
    // An audience list that holds us is ours.
    let listed = with(
        &["aud"],
        json!([
            "ari:cloud:ecosystem::app/other",
            format!("ari:cloud:ecosystem::app/{APP_UUID}")
        ]),
    );
    assert!(verify_fit(&listed, &keys, &config()).await.is_ok());
    // Within the leeway (5 s) an expired token still passes: clocks drift.
    assert!(
        verify_fit(&with(&["exp"], json!(now - 2)), &keys, &config())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn only_rs256_from_a_published_key_is_accepted() {
    let key = test_key("forge-1");
    let keys = fixed(&[&key]);
    // HS256 with the public modulus as a secret: the classic algorithm confusion.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("forge-1".into());
    let hs = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(b"n")).unwrap();
    assert_eq!(reason(&hs, &keys).await, AuthReason::AlgNotAllowed);
    // Same kid, another key: the signature does not verify.
    let impostor = test_key("forge-1");
    assert_eq!(
        reason(&sign(&impostor, &claims()), &keys).await,
        AuthReason::BadSignature
    );
    // No kid, a kid that is not a key id, a kid nobody published.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = None;
    let no_kid = jsonwebtoken::encode(&header, &claims(), &key.encoding).unwrap();
    assert_eq!(reason(&no_kid, &keys).await, AuthReason::Malformed);
    let odd = TestKey {
        kid: "../../etc".into(),
        encoding: key.encoding.clone(),
        jwk: json!({}),
    };
    assert_eq!(
        reason(&sign(&odd, &claims()), &keys).await,
        AuthReason::Malformed
    );
    let other = test_key("forge-2");
    assert_eq!(
        reason(&sign(&other, &claims()), &keys).await,
        AuthReason::UnknownKey
    );
    assert_eq!(reason("", &keys).await, AuthReason::MissingToken);
    assert_eq!(reason("not.a.jwt", &keys).await, AuthReason::Malformed);
}

#[test]
fn app_ids_and_cloud_ids_are_read_strictly() {
    assert_eq!(
        AppAri::parse(APP_UUID).unwrap().as_str(),
        format!("ari:cloud:ecosystem::app/{APP_UUID}")
    );
    assert_eq!(
        AppAri::parse(&format!(
            " ari:cloud:ecosystem::app/{} ",
            APP_UUID.to_uppercase()
        ))
        .unwrap()
        .id(),
        APP_UUID
    );
    for bad in ["", "ari:cloud:ecosystem::app/", "app/../x", "not a uuid"] {
        assert!(AppAri::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        cloud_id_of_api_base_url(&format!("https://api.atlassian.com/ex/jira/{CLOUD_ID}"))
            .as_deref(),
        Some(CLOUD_ID)
    );
    assert_eq!(
        cloud_id_of_api_base_url(&format!(
            "https://api.stg.atlassian.com/ex/jira/{CLOUD_ID}/"
        ))
        .as_deref(),
        Some(CLOUD_ID)
    );
    assert_eq!(cloud_id_of_api_base_url("https://api.atlassian.com/"), None);
    assert_eq!(
        cloud_id_of_api_base_url("https://api.atlassian.com/ex/jira/a%2Fb"),
        None
    );
}

#[test]
fn a_key_set_keeps_only_rs256_signing_keys() {
    let key = test_key("sig-1");
    let mut enc = key.jwk.clone();
    enc["kid"] = json!("enc-1");
    enc["use"] = json!("enc");
    let mut es = key.jwk.clone();
    es["kid"] = json!("es-1");
    es["alg"] = json!("ES256");
    let mut no_kid = key.jwk.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    let set = json!({"keys": [key.jwk, enc, es, no_kid]}).to_string();
    let keys = parse_jwks(set.as_bytes()).unwrap();
    assert_eq!(keys.keys().collect::<Vec<_>>(), ["sig-1"]);
    assert!(matches!(
        parse_jwks(br#"{"keys": []}"#),
        Err(JwksError::NoKeys)
    ));
    assert!(matches!(parse_jwks(b"<html>"), Err(JwksError::Parse(_))));
}

/// A JWKS server whose answer a test changes, counting requests.
#[derive(Clone)]
struct KeyServer {
    body: Arc<Mutex<(u16, String)>>,
    hang: Arc<std::sync::atomic::AtomicBool>,
    requests: Arc<AtomicU64>,
    url: String,
}

impl KeyServer {
    async fn start(keys: &[&TestKey]) -> KeyServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let server = KeyServer {
            body: Arc::new(Mutex::new((200, String::new()))),
            hang: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            requests: Arc::new(AtomicU64::new(0)),
            url,
        };
        server.publish(keys);
        let state = server.clone();
        let app = axum::Router::new().route(
            "/.well-known/jwks.json",
            axum::routing::get(move || {
                let state = state.clone();
                async move {
                    state.requests.fetch_add(1, Ordering::SeqCst);
                    if state.hang.load(Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                    let (status, body) = state.body.lock().unwrap().clone();
                    (axum::http::StatusCode::from_u16(status).unwrap(), body)
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    fn publish(&self, keys: &[&TestKey]) {
        let set = json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()});
        *self.body.lock().unwrap() = (200, set.to_string());
    }

    fn fail(&self) {
        *self.body.lock().unwrap() = (503, "down".into());
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn an_unknown_kid_refetches_at_most_once_per_cooldown() {
    let old = test_key("k-old");
    let new = test_key("k-new");
    let server = KeyServer::start(&[&old]).await;
    let jwks = HttpJwks::new(&server.url).unwrap();
    // The start-up (or background) refresh fetches; a held key costs no fetch.
    jwks.refresh().await.unwrap();
    assert!(jwks.key("k-old").await.is_ok());
    assert!(jwks.key("k-old").await.is_ok());
    assert_eq!(server.requests(), 1);
    // A kid nobody published: one fetch, then the cooldown answers without fetching.
    let made_up = jwks.key("k-made-up").await.unwrap_err();
    assert_eq!(made_up.reason, AuthReason::UnknownKey);
    assert_eq!(server.requests(), 2);
    for _ in 0..20 {
        assert_eq!(
            jwks.key("k-made-up-too").await.unwrap_err().reason,
            AuthReason::UnknownKey
        );
    }
    assert_eq!(
        server.requests(),
        2,
        "made-up kids cannot force a fetch per request"
    );
    assert_eq!(jwks.stats.throttled.load(Ordering::Relaxed), 20);
    // A key published ahead of use is held after the (background) refresh, before it signs.
    server.publish(&[&old, &new]);
    assert_eq!(jwks.refresh().await.unwrap(), 2);
    let token = sign(&new, &claims());
    assert!(verify_fit(&token, &jwks, &config()).await.is_ok());
    // A retired key is dropped with the next refresh.
    server.publish(&[&new]);
    jwks.refresh().await.unwrap();
    assert_eq!(jwks.kids(), ["k-new"]);
}

#[tokio::test]
async fn a_failed_fetch_keeps_the_keys_held() {
    let key = test_key("k-1");
    let server = KeyServer::start(&[&key]).await;
    let jwks = HttpJwks::new(&server.url).unwrap();
    jwks.refresh().await.unwrap();
    server.fail();
    assert!(matches!(jwks.refresh().await, Err(JwksError::Status(503))));
    // An empty set is no better than an outage.
    *server.body.lock().unwrap() = (200, r#"{"keys":[]}"#.into());
    assert!(matches!(jwks.refresh().await, Err(JwksError::NoKeys)));
    assert!(
        verify_fit(&sign(&key, &claims()), &jwks, &config())
            .await
            .is_ok()
    );
    assert_eq!(jwks.stats.failed.load(Ordering::Relaxed), 2);
    // A kid we do not hold while the set cannot be fetched: the key is unknowable, not absent.
    let unknowable = jwks.key("k-2").await.unwrap_err();
    assert_eq!(unknowable.reason, AuthReason::KeyFetchFailed);
    // Within the cooldown the answer says the same, without another fetch.
    assert_eq!(
        jwks.key("k-3").await.unwrap_err().reason,
        AuthReason::KeyFetchFailed
    );
    assert_eq!(jwks.stats.failed.load(Ordering::Relaxed), 3);
}

#[tokio::test]
async fn a_key_server_that_hangs_fails_the_fetch_instead_of_the_request_path() {
    let key = test_key("k-1");
    let server = KeyServer::start(&[&key]).await;
    server.hang.store(true, Ordering::SeqCst);
    let jwks = HttpJwks::new(&server.url).unwrap();
    // The store's own timeout (3 s) ends the fetch; the outer bound only keeps a broken store
    // from hanging the test run.
    let answer = tokio::time::timeout(std::time::Duration::from_secs(30), jwks.key("k-1"))
        .await
        .expect("the fetch timed out on its own");
    assert_eq!(answer.unwrap_err().reason, AuthReason::KeyFetchFailed);
}
