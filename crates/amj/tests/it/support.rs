//! Test harness: a database per test (SQLite always, PostgreSQL when `AMJ_TEST_DATABASE_URL` is
//! set), a real app on a loopback port, and the Jira simulator.

use amj_connect::install_keys::{HttpInstallKeyStore, KeyServers};
use amj_jira_sim::{AppTarget, Sim};
use amj_server::config::AppConfig;
use amj_server::web::{AppState, RunningApp};
use amj_store::crypto::MasterKey;
use amj_store::{DatabaseLocation, Store};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL admin URL, or `None` when this run has no PostgreSQL. Under `CI=true` a missing
/// URL is a failure, never a silent skip.
pub fn postgres_url() -> Option<String> {
    match std::env::var("AMJ_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but AMJ_TEST_DATABASE_URL is not set: the PostgreSQL tests cannot run"
                );
            }
            eprintln!(
                "skipping the PostgreSQL variant: AMJ_TEST_DATABASE_URL is not set (CI is unset)"
            );
            None
        }
    }
}

pub struct TestDb {
    pub location: DatabaseLocation,
    pub master_key: String,
    sqlite_dir: Option<PathBuf>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut random = [0u8; 6];
        aws_lc_rs::rand::fill(&mut random).unwrap();
        let tag = format!("{}_{n}_{}", std::process::id(), hex::encode(random));
        let master_key = MasterKey::generate_base64().unwrap();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("amj-test-{tag}"));
                std::fs::create_dir_all(&dir).unwrap();
                TestDb {
                    location: DatabaseLocation::Sqlite(dir.join("amj.db")),
                    master_key,
                    sqlite_dir: Some(dir),
                    pg_admin: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_url().expect("postgres backend requested without a URL");
                let name = format!("amj_t_{tag}");
                let pool = sqlx::PgPool::connect(&admin).await.unwrap();
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let mut url = url::Url::parse(&admin).unwrap();
                url.set_path(&format!("/{name}"));
                TestDb {
                    location: DatabaseLocation::Postgres(url.to_string()),
                    master_key,
                    sqlite_dir: None,
                    pg_admin: Some((admin, name)),
                }
            }
        }
    }

    pub async fn store(&self) -> Store {
        Store::connect(
            &self.location,
            Arc::new(MasterKey::from_base64(&self.master_key).unwrap()),
        )
        .await
        .unwrap()
    }

    /// The same database reached at another location (a proxy); cleaning it up is the
    /// original's job.
    pub fn at(&self, location: DatabaseLocation) -> TestDb {
        TestDb {
            location,
            master_key: self.master_key.clone(),
            sqlite_dir: None,
            pg_admin: None,
        }
    }

    pub async fn cleanup(self) {
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = &self.pg_admin
            && let Ok(pool) = sqlx::PgPool::connect(admin).await
        {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await;
            pool.close().await;
        }
    }
}

/// Runs `body` once per available backend, each with a fresh database.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut backends = vec![Backend::Sqlite];
    if postgres_url().is_some() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let db = TestDb::new(backend).await;
        let location = db.location.clone();
        let cleanup = TestDb {
            location,
            master_key: db.master_key.clone(),
            sqlite_dir: db.sqlite_dir.clone(),
            pg_admin: db.pg_admin.clone(),
        };
        body(db).await;
        cleanup.cleanup().await;
    }
}

/// A running app instance on a loopback port, started the way `amj serve` starts one.
pub struct TestApp {
    pub base_url: String,
    pub state: AppState,
    pub target: AppTarget,
    pub http: reqwest::Client,
    running: RunningApp,
}

impl TestApp {
    pub async fn start(db: &TestDb, sim: &Sim) -> TestApp {
        Self::start_with(db, sim, |_| {}).await
    }

    pub async fn start_with(
        db: &TestDb,
        sim: &Sim,
        configure: impl FnOnce(&mut AppConfig),
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let mut config = AppConfig::local(url::Url::parse(&base_url).unwrap());
        configure(&mut config);
        let store = db.store().await;
        let keys = HttpInstallKeyStore::new(KeyServers::Fixed(sim.key_server_url())).unwrap();
        let state = AppState::start(config, store, Arc::new(keys)).unwrap();
        let running = RunningApp::spawn(listener, state.clone());
        let target = AppTarget {
            base_url: base_url.clone(),
            key: state.config.app_key.clone(),
        };
        TestApp {
            base_url,
            state,
            target,
            http: reqwest::Client::new(),
            running,
        }
    }

    /// Stops the instance and closes its pool: nothing in memory survives.
    pub async fn stop(self) {
        let _ = self.running.stop().await;
    }

    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path_and_query}", self.base_url))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_with_jwt(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base_url))
            .header("Authorization", format!("JWT {token}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn post_with_jwt(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base_url))
            .header("Authorization", format!("JWT {token}"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

/// The error code of a JSON problem body.
pub async fn error_code(response: reqwest::Response) -> String {
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Polls `condition` until it holds, failing the test after `bound`.
pub async fn wait_until<F, Fut>(bound: std::time::Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the condition did not hold within {bound:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
