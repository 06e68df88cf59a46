//! A throwaway database per test: SQLite always, PostgreSQL when `AMJ_TEST_DATABASE_URL` is set
//! (as it is in CI). Dropping a [`TestDb`] removes it, so a failing test (which unwinds past any
//! cleanup call) leaves no database or folder behind.

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

/// A database of its own for one test, with its master key.
pub struct TestDb {
    pub location: DatabaseLocation,
    pub master_key: String,
    /// What dropping removes: the SQLite folder, or the PostgreSQL database (admin URL, name).
    /// Empty for a [`TestDb::at`] view, whose original owns the removal.
    sqlite_dir: Option<PathBuf>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{}_{n}_{}", std::process::id(), crate::random_tag());
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

    pub fn backend(&self) -> Backend {
        match self.location {
            DatabaseLocation::Sqlite(_) => Backend::Sqlite,
            DatabaseLocation::Postgres(_) => Backend::Postgres,
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

    /// The same database reached at another location (a proxy); removing it stays the
    /// original's job.
    pub fn at(&self, location: DatabaseLocation) -> TestDb {
        TestDb {
            location,
            master_key: self.master_key.clone(),
            sqlite_dir: None,
            pg_admin: None,
        }
    }

    /// Removes the database now, waiting for it; dropping does the same.
    pub async fn cleanup(mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = self.pg_admin.take() {
            drop_database(&admin, &name).await;
        }
    }
}

async fn drop_database(admin: &str, name: &str) {
    if let Ok(pool) = sqlx::PgPool::connect(admin).await {
        // FORCE ends the connections an app under test may still hold.
        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&pool).await;
        pool.close().await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = self.pg_admin.take() {
            // `drop` may run inside the test's runtime, which cannot block on a future of its
            // own: the database is dropped from a thread with a runtime of its own.
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    runtime.block_on(drop_database(&admin, &name));
                }
            })
            .join();
        }
    }
}

/// The backends this run covers: SQLite, and PostgreSQL when it is configured.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if postgres_url().is_some() {
        backends.push(Backend::Postgres);
    }
    backends
}

/// Runs `body` once per available backend, each with a fresh database that is removed afterwards
/// (also when `body` fails).
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        body(TestDb::new(backend).await).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn dropping_removes_the_sqlite_folder_even_when_the_test_fails() {
        let db = TestDb::new(Backend::Sqlite).await;
        let DatabaseLocation::Sqlite(file) = &db.location else {
            unreachable!()
        };
        let dir = file.parent().unwrap().to_owned();
        db.store().await.close().await;
        assert!(dir.exists());
        // A spawned task stands for the failing test: its panic unwinds past any cleanup call.
        let outcome = tokio::spawn(async move {
            let _db = db;
            panic!("a failing test");
        })
        .await;
        assert!(outcome.is_err());
        assert!(!dir.exists(), "{} was left behind", dir.display());
    }

    #[tokio::test]
    async fn dropping_removes_the_postgres_database() {
        let Some(admin) = postgres_url() else { return };
        let db = TestDb::new(Backend::Postgres).await;
        let name = db.pg_admin.as_ref().unwrap().1.clone();
        let exists = |name: String| {
            let admin = admin.clone();
            async move {
                let pool = sqlx::PgPool::connect(&admin).await.unwrap();
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
                        .bind(name)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                pool.close().await;
                n == 1
            }
        };
        assert!(exists(name.clone()).await);
        drop(db);
        assert!(!exists(name).await);
    }
}
