//! Storage: one store over SQLite (the default, one file, zero set-up) or PostgreSQL (several
//! stateless app instances on one database).
//!
//! Both backends run the same SQL text wherever the dialects agree (`$N` parameters work on both).
//! Where they differ (transaction modes, row locks, notifications), the code says so next to the
//! difference. Every query binds its values; none is ever spliced.

pub mod api_tokens;
pub mod assets;
pub mod auth_history;
pub mod booking;
pub mod catalog;
pub mod custody;
mod db;
pub mod forge;
pub mod incidents;
pub mod kit;
pub mod licence;
pub mod links;
pub(crate) mod query;
pub mod request;
pub(crate) mod rule_breaks;
pub mod saved_views;
pub(crate) mod sql;
pub mod stock;
pub mod tally;
pub mod tenants;

pub mod crypto;

use crate::crypto::{CryptoError, MasterKey};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Stored timestamps are epoch milliseconds from the operations clock's system source.
pub use amj_ops::clock::now_millis;
pub use tenants::{InstallOutcome, InstallRequest, LifecycleEventRecord, SharedSecret, Tenant};

#[derive(Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite(_) => "Db::Sqlite",
            Db::Postgres(_) => "Db::Postgres",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded: callers answer 503 so Jira retries.
    #[error("the database is unavailable: {message}")]
    Unavailable {
        message: String,
        #[source]
        source: Option<sqlx::Error>,
    },
    /// A lifecycle event older than the one already applied, or whose token was applied before (a
    /// replay): it must not roll the site back.
    #[error("this lifecycle event is older than the one already applied, or a replay")]
    StaleInstall,
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A request that conflicts with the data (a taken key, a type still in use).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// A value the domain accepted but the data refuses (a unique value taken, a reference to a
    /// missing asset), with the field and rule named.
    #[error(transparent)]
    Invalid(amj_domain::ValidationErrors),
    /// The same, per row of a bulk request (row index in the request).
    #[error("{} row(s) are invalid", .0.len())]
    InvalidRows(Vec<(usize, amj_domain::ValidationErrors)>),
    /// An idempotency key taken by another request since this one looked it up: the caller
    /// answers with that request's response.
    #[error("the idempotency key was used by a concurrent request")]
    IdempotencyKeyUsed,
    /// Optimistic concurrency: the asset changed since the caller read it.
    #[error("asset {} is at version {current}, not {expected}", id.0)]
    StaleVersion {
        id: amj_domain::ids::AssetId,
        expected: i64,
        current: i64,
    },
    /// Stored data that does not decode: a bug or a manual edit, never the caller's fault.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// The database cannot serve us, for a reason that is not a driver error.
    pub fn unavailable(message: impl Into<String>) -> Self {
        StoreError::Unavailable {
            message: message.into(),
            source: None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let unavailable = match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => true,
            sqlx::Error::Database(db) => is_unavailable(db.code().as_deref()),
            _ => false,
        };
        if unavailable {
            StoreError::Unavailable {
                message: e.to_string(),
                source: Some(e),
            }
        } else {
            StoreError::Database(e)
        }
    }
}

/// Codes that mean "not now", never "your request is wrong": SQLite's busy and locked (with their
/// extended codes), and PostgreSQL's connection exceptions (class 08), operator intervention
/// such as a shutdown or a terminated backend (57P01–57P05), and insufficient resources (class
/// 53). A running app meets 57P01 first when PostgreSQL stops: its pooled connections are
/// terminated before new ones are refused.
fn is_unavailable(code: Option<&str>) -> bool {
    let Some(code) = code else {
        return false;
    };
    matches!(code, "5" | "6" | "517" | "261" | "262" | "773")
        || (code.len() == 5
            && (code.starts_with("08") || code.starts_with("53") || code.starts_with("57P")))
}

#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    key: Arc<MasterKey>,
    catalog: Arc<catalog::CatalogCache>,
    planner: Arc<assets::PlannerStatistics>,
    /// Test-only faults, shared by every clone of the store.
    #[cfg(feature = "fault-injection")]
    faults: Arc<StoreFaults>,
}

/// Store bugs a drill can switch on (`fault-injection` only; release builds have none).
#[cfg(feature = "fault-injection")]
#[derive(Debug, Default)]
pub struct StoreFaults {
    /// Never join a new Forge installation to its site's existing tenant: each one gets a
    /// tenant of its own, as if the Connect↔Forge link were dropped. Its site's users would see
    /// none of their data after the move to Forge.
    pub drop_forge_links: std::sync::atomic::AtomicBool,
}

#[cfg(feature = "fault-injection")]
impl Store {
    pub fn faults(&self) -> &StoreFaults {
        &self.faults
    }
}

/// Where the database lives, parsed from `--database-url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(url.to_owned()));
        }
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or(rest);
            if path.is_empty() || path == ":memory:" {
                return Err("an in-memory SQLite database would lose every install on restart; give a file path".into());
            }
            return Ok(DatabaseLocation::Sqlite(PathBuf::from(path)));
        }
        Err(format!(
            "{url:?} is neither a sqlite:// nor a postgres:// URL"
        ))
    }
}

impl Store {
    pub async fn connect(
        location: &DatabaseLocation,
        key: Arc<MasterKey>,
    ) -> Result<Self, StoreError> {
        let db = match location {
            DatabaseLocation::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::unavailable(format!("{}: {e}", parent.display()))
                    })?;
                }
                let options =
                    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        // FULL: a 2xx to `installed` promises the new secret survives a power cut.
                        .synchronous(SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(5));
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await?;
                sqlx::migrate!("./migrations/sqlite")
                    .run(&pool)
                    .await
                    .map_err(migrate_error)?;
                Db::Sqlite(pool)
            }
            DatabaseLocation::Postgres(url) => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await?;
                let autovacuum: Option<(String,)> = sqlx::query_as("SHOW autovacuum")
                    .fetch_optional(&pool)
                    .await
                    .ok()
                    .flatten();
                if autovacuum.is_some_and(|(v,)| v == "off") {
                    tracing::warn!(
                        "PostgreSQL runs with autovacuum off: the app analyses its asset tables after large writes, but other tables and dead rows are left to you"
                    );
                }
                // The migrator holds an advisory lock, so instances starting together are safe.
                sqlx::migrate!("./migrations/postgres")
                    .run(&pool)
                    .await
                    .map_err(migrate_error)?;
                Db::Postgres(pool)
            }
        };
        let store = Self {
            db,
            key,
            catalog: Arc::default(),
            planner: Arc::default(),
            #[cfg(feature = "fault-injection")]
            faults: Arc::default(),
        };
        let backfilled = store.backfill_search_docs().await?;
        if backfilled > 0 {
            tracing::info!(
                assets = backfilled,
                "wrote full-text documents for existing assets"
            );
        }
        Ok(store)
    }

    /// Whether this store is on PostgreSQL (benchmarks hold the two to different targets).
    pub fn is_postgres(&self) -> bool {
        self.db().is_postgres()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub(crate) fn master_key(&self) -> &MasterKey {
        &self.key
    }

    /// Readiness: can we run a query right now?
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db
            .execute(&sql::Sql::new("SELECT 1"))
            .await
            .map(|_| ())
    }

    /// (idle, in use) connections of the pool, for the metrics.
    pub fn pool_usage(&self) -> (usize, usize) {
        let (size, idle) = match &self.db {
            Db::Sqlite(pool) => (pool.size() as usize, pool.num_idle()),
            Db::Postgres(pool) => (pool.size() as usize, pool.num_idle()),
        };
        (idle, size.saturating_sub(idle))
    }

    /// Whether [`Store::close`] has run: background workers stop then.
    pub fn is_closed(&self) -> bool {
        match &self.db {
            Db::Sqlite(pool) => pool.is_closed(),
            Db::Postgres(pool) => pool.is_closed(),
        }
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

fn migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::Execute(inner) => StoreError::from(inner),
        other => StoreError::unavailable(format!("migrations failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_unavailable_and_mistakes_are_not() {
        for code in ["57P01", "57P03", "08006", "08001", "53300", "5", "517"] {
            assert!(is_unavailable(Some(code)), "{code}");
        }
        for code in ["23505", "42601", "22P02", "19", "2067"] {
            assert!(!is_unavailable(Some(code)), "{code}");
        }
        assert!(!is_unavailable(None));
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable {
                source: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            DatabaseLocation::parse("sqlite://./data/amj.db").unwrap(),
            DatabaseLocation::Sqlite("./data/amj.db".into())
        );
        assert_eq!(
            DatabaseLocation::parse("sqlite:x.db?mode=rwc").unwrap(),
            DatabaseLocation::Sqlite("x.db".into())
        );
        assert!(matches!(
            DatabaseLocation::parse("postgres://root@127.0.0.1/test"),
            Ok(DatabaseLocation::Postgres(_))
        ));
        assert!(DatabaseLocation::parse("sqlite::memory:").is_err());
        assert!(DatabaseLocation::parse("mysql://x").is_err());
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |dir: &str| {
            let mut names: Vec<String> =
                std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
            names.sort();
            names
        };
        assert_eq!(names("sqlite"), names("postgres"));
    }
}
