//! Full request authentication (parse, tenant look-up, HS256, qsh) with a warm tenant cache, at
//! 10 and at 100,000 installed tenants. Target: under 5 µs per request, and no growth with the
//! number of tenants. Run: `cargo bench -p amj-server --bench request_auth`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use amj_connect::jwt::sign_hs256;
use amj_connect::qsh::qsh;
use amj_connect::{ConnectClaims, RouteKind};
use amj_server::auth::{AuthCounters, RequestAuthenticator, RequestTarget, TenantDirectory};
use amj_store::crypto::MasterKey;
use amj_store::{DatabaseLocation, Db, Store};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const PATH: &str = "/pages/issue-glance";
const QUERY: &str =
    "issueKey=AM-1&xdm_e=https%3A%2F%2Fexample.atlassian.net&cp=&lic=none&cv=1001.0.0";

struct Fixture {
    authenticator: RequestAuthenticator,
    tokens: Vec<String>,
    _dir: std::path::PathBuf,
}

async fn fixture(tenants: usize) -> Fixture {
    let dir = std::env::temp_dir().join(format!("amj-bench-{}-{tenants}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key_text = MasterKey::generate_base64().unwrap();
    let key = MasterKey::from_base64(&key_text).unwrap();
    let store = Store::connect(
        &DatabaseLocation::Sqlite(dir.join("amj.db")),
        Arc::new(MasterKey::from_base64(&key_text).unwrap()),
    )
    .await
    .unwrap();
    let Db::Sqlite(pool) = store.db() else {
        unreachable!()
    };
    // One transaction for all rows: the bench measures authentication, not install throughput.
    let mut tx = pool.begin().await.unwrap();
    for i in 0..tenants {
        let client_key = format!("client-{i}");
        let sealed = key.encrypt(&format!("secret-{i}"), &client_key).unwrap();
        sqlx::query(
            "INSERT INTO tenant (client_key, app_key, shared_secret_enc, secret_fingerprint, base_url, installed, enabled, \
             lifecycle_iat, lifecycle_token_sha256, installed_at, updated_at) VALUES ($1, 'amj', $2, 'fp', $3, TRUE, TRUE, 0, '', 0, 0)",
        )
        .bind(&client_key)
        .bind(&sealed)
        .bind(format!("https://site{i}.atlassian.net"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let directory = Arc::new(TenantDirectory::new(store, Duration::from_secs(3600)));
    for i in 0..tenants {
        directory
            .get(&format!("client-{i}"))
            .await
            .unwrap()
            .unwrap();
    }
    let now = amj_server::auth::unix_now();
    let step = (tenants / 64).max(1);
    let tokens = (0..tenants)
        .step_by(step)
        .take(64)
        .map(|i| {
            let claims = ConnectClaims {
                iss: format!("client-{i}"),
                sub: Some("557058:user".into()),
                iat: now,
                exp: now + 7200,
                nbf: None,
                qsh: Some(qsh("GET", PATH, Some(QUERY), "")),
                aud: None,
                context: None,
                jti: None,
            };
            sign_hs256(&claims, format!("secret-{i}").as_bytes()).unwrap()
        })
        .collect();
    let authenticator = RequestAuthenticator {
        directory,
        counters: Arc::new(AuthCounters::default()),
        app_base_path: String::new(),
        leeway_secs: 30,
    };
    Fixture {
        authenticator,
        tokens,
        _dir: dir,
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // What the harness itself costs per iteration (driving a ready future to completion), so the
    // recorded figures can be read net of it.
    c.bench_function("harness_block_on_ready", |b| {
        b.iter(|| runtime.block_on(async { black_box(1) }))
    });
    let mut parts = c.benchmark_group("request_auth_parts");
    {
        let fixture = runtime.block_on(fixture(10));
        let token = fixture.tokens[1].clone();
        parts.bench_function("parse", |b| {
            b.iter(|| black_box(amj_connect::jwt::Unverified::parse(black_box(&token)).unwrap()))
        });
        parts.bench_function("qsh", |b| {
            b.iter(|| black_box(qsh("GET", black_box(PATH), Some(QUERY), "")))
        });
        let unverified = amj_connect::jwt::Unverified::parse(&token).unwrap();
        let checks = amj_connect::jwt::Checks {
            now: amj_server::auth::unix_now(),
            leeway_secs: 30,
            qsh: amj_connect::jwt::QshCheck::Skip,
            audience: None,
        };
        parts.bench_function("hs256_signature_and_claims", |b| {
            b.iter(|| black_box(unverified.verify_hs256(b"secret-1", &checks).unwrap()))
        });
        let _ = std::fs::remove_dir_all(&fixture._dir);
    }
    parts.finish();
    let mut group = c.benchmark_group("request_auth_warm");
    group.throughput(Throughput::Elements(1));
    for tenants in [10usize, 100_000] {
        let fixture = runtime.block_on(fixture(tenants));
        let target = RequestTarget {
            method: "GET",
            path: PATH,
            query: Some(QUERY),
        };
        let mut i = 0usize;
        group.bench_with_input(BenchmarkId::from_parameter(tenants), &tenants, |b, _| {
            b.iter(|| {
                i = (i + 1) % fixture.tokens.len();
                let auth = runtime
                    .block_on(fixture.authenticator.authenticate(
                        RouteKind::Iframe,
                        &fixture.tokens[i],
                        target,
                    ))
                    .unwrap();
                black_box(auth);
            });
        });
        let _ = std::fs::remove_dir_all(&fixture._dir);
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
