//! Tenant look-ups for request authentication, with a cache that cannot cause March 2022 again.
//!
//! The cache is what makes authentication cost microseconds instead of a query. Its rules:
//! - a lifecycle commit on this instance evicts the tenant in the same code path;
//! - on PostgreSQL, other instances evict on `NOTIFY amj_tenant_changed`, and drop everything if
//!   the listener connection is lost (a missed notification must not leave a stale entry);
//! - entries expire after a short TTL regardless;
//! - a rejection that stale data could explain is re-checked against the database before it is
//!   final (see `RequestAuthenticator`).

use amj_store::{Store, StoreError, Tenant};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Beyond this many sites the least recently used entries are evicted (a bounded cache: a flood
/// of made-up client keys cannot grow it, as none of them is ever inserted).
const MAX_CACHED_TENANTS: u64 = 200_000;

pub struct TenantDirectory {
    store: Store,
    /// Entries outlive `ttl` on purpose: [`TenantDirectory::peek`] still attributes a failure to
    /// its site after the entry has stopped authenticating anything.
    cache: moka::sync::Cache<String, Cached>,
    ttl: Duration,
}

#[derive(Clone)]
struct Cached {
    tenant: Arc<Tenant>,
    loaded: Instant,
}

pub struct Lookup {
    pub tenant: Arc<Tenant>,
    pub from_cache: bool,
}

impl TenantDirectory {
    pub fn new(store: Store, ttl: Duration) -> Self {
        Self {
            store,
            cache: moka::sync::Cache::new(MAX_CACHED_TENANTS),
            ttl,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn get(&self, client_key: &str) -> Result<Option<Lookup>, StoreError> {
        if let Some(hit) = self.cached(client_key) {
            return Ok(Some(Lookup {
                tenant: hit,
                from_cache: true,
            }));
        }
        Ok(self.reload(client_key).await?.map(|tenant| Lookup {
            tenant,
            from_cache: false,
        }))
    }

    /// Reads the tenant from the database and refreshes the cache with it.
    pub async fn reload(&self, client_key: &str) -> Result<Option<Arc<Tenant>>, StoreError> {
        let tenant = self
            .store
            .tenant_by_client_key(client_key)
            .await?
            .map(Arc::new);
        match &tenant {
            Some(t) => self.cache.insert(
                client_key.to_owned(),
                Cached {
                    tenant: Arc::clone(t),
                    loaded: Instant::now(),
                },
            ),
            None => self.cache.invalidate(client_key),
        }
        Ok(tenant)
    }

    fn cached(&self, client_key: &str) -> Option<Arc<Tenant>> {
        let entry = self.cache.get(client_key)?;
        (entry.loaded.elapsed() < self.ttl).then_some(entry.tenant)
    }

    /// The cached tenant, if any, without touching the database: used to attribute failures.
    pub fn peek(&self, client_key: Option<&str>) -> Option<Arc<Tenant>> {
        self.cache.get(client_key?).map(|c| c.tenant)
    }

    pub fn invalidate(&self, client_key: &str) {
        self.cache.invalidate(client_key);
    }

    pub fn clear(&self) {
        self.cache.invalidate_all();
    }

    /// On PostgreSQL, follows other instances' lifecycle commits. Runs until the pool closes.
    pub fn spawn_invalidation_listener(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let amj_store::Db::Postgres(pool) = self.store.db() else {
            return None;
        };
        let pool = pool.clone();
        let directory = Arc::clone(self);
        Some(tokio::spawn(async move {
            loop {
                if pool.is_closed() {
                    return;
                }
                let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "tenant invalidation listener cannot connect; retrying");
                        directory.clear();
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if let Err(e) = listener
                    .listen(amj_store::tenants::TENANT_CHANGED_CHANNEL)
                    .await
                {
                    tracing::warn!(error = %e, "tenant invalidation listener cannot LISTEN; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                // Anything may have changed while we were not listening.
                directory.clear();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => directory.invalidate(notification.payload()),
                        Ok(None) => {
                            tracing::warn!(
                                "tenant invalidation listener lost its connection; cache cleared"
                            );
                            directory.clear();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "tenant invalidation listener failed; cache cleared");
                            directory.clear();
                            break;
                        }
                    }
                }
            }
        }))
    }
}
