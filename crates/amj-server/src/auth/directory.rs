//! Tenant look-ups for request authentication, with a cache that cannot cause March 2022 again.
//!
//! The cache is what makes authentication cost microseconds instead of a query. Its rules:
//! - a lifecycle commit on this instance evicts the tenant in the same code path;
//! - on PostgreSQL, other instances evict on `NOTIFY amj_tenant_changed`, and drop everything if
//!   the listener connection is lost (a missed notification must not leave a stale entry);
//! - entries expire after a short TTL regardless;
//! - a rejection that stale data could explain is re-checked against the database before it is
//!   final (see `RequestAuthenticator`).

use amj_store::forge::FORGE_INSTALLATION_NOTICE;
use amj_store::{Store, StoreError, Tenant};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Beyond this many sites the least recently used entries are evicted (a bounded cache: a flood
/// of made-up client keys cannot grow it, as none of them is ever inserted).
const MAX_CACHED_TENANTS: u64 = 200_000;

pub struct TenantDirectory {
    store: Store,
    /// Forge installation id → its site's tenant, under the same rules as `cache`: evicted with
    /// the tenant, on a link change, and after `ttl`. A plain sharded map, not an LRU (see
    /// `sharded`). Only verified FITs insert, so its size is the number of real installations;
    /// [`MAX_CACHED_TENANTS`] still bounds it (see `insert_forge`).
    forge: super::sharded::ShardedMap<Cached>,
    /// Entries outlive `ttl` on purpose: [`TenantDirectory::peek`] still attributes a failure to
    /// its site after the entry has stopped authenticating anything.
    cache: moka::sync::Cache<String, Cached>,
    ttl: Duration,
}

#[derive(Clone)]
struct Cached {
    tenant: Arc<Tenant>,
    loaded: Instant,
    /// Forge entries: whether the installation's site URL is known. Until it is, a call that
    /// names the site goes to the store, which may link the installation to its Connect tenant.
    site_known: bool,
    /// Forge entries: the installation sits apart from its site's Connect tenant (see
    /// [`amj_store::forge::ForgeHealth::link_missing`]).
    link_missing: bool,
}

/// A Forge installation's tenant, and whether it is cut off from its site's Connect data.
pub struct ForgeTenant {
    pub tenant: Arc<Tenant>,
    pub link_missing: bool,
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
            forge: super::sharded::ShardedMap::default(),
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
                    site_known: true,
                    link_missing: false,
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

    /// Drops a site (by clientKey), or one Forge installation (by `forge-installation:<id>`,
    /// what the store notifies when a link moves), from the caches.
    pub fn invalidate(&self, key: &str) {
        if let Some(installation_id) = key.strip_prefix(FORGE_INSTALLATION_NOTICE) {
            self.forge.remove(installation_id);
            return;
        }
        self.cache.invalidate(key);
        self.forge.retain(|cached| cached.tenant.client_key != key);
    }

    pub fn clear(&self) {
        self.cache.invalidate_all();
        self.forge.clear();
    }

    /// The tenant of a verified FIT's installation: from the cache, or resolved by the store
    /// (which joins or provisions it). Never refuses an installation it has not seen.
    pub async fn forge_tenant(
        &self,
        sighting: &amj_store::forge::ForgeSighting<'_>,
    ) -> Result<ForgeTenant, StoreError> {
        if let Some(entry) = self.forge.get(sighting.installation_id)
            && entry.loaded.elapsed() < self.ttl
            && (entry.site_known || sighting.site_url.is_none())
        {
            return Ok(ForgeTenant {
                tenant: entry.tenant,
                link_missing: entry.link_missing,
            });
        }
        let resolved = self.store.resolve_forge_installation(sighting).await?;
        if resolved.link != amj_store::forge::ForgeLink::Known {
            tracing::info!(installation = %sighting.installation_id, cloud_id = %sighting.cloud_id, link = ?resolved.link, tenant = %resolved.tenant.client_key, "a new Forge installation joined its site");
        }
        let tenant = Arc::new(resolved.tenant);
        // Only a Forge-only tenant can be cut off from a Connect one.
        let link_missing = !tenant.connect
            && self
                .store
                .forge_link_missing(sighting.installation_id)
                .await?;
        if link_missing {
            tracing::error!(installation = %sighting.installation_id, cloud_id = %sighting.cloud_id, tenant = %tenant.client_key, "a Forge installation is not linked to its site's Connect data; its calls are refused");
        }
        self.insert_forge(
            sighting.installation_id,
            Cached {
                tenant: Arc::clone(&tenant),
                loaded: Instant::now(),
                site_known: resolved.installation.site_url.is_some() || tenant.connect,
                link_missing,
            },
        );
        Ok(ForgeTenant {
            tenant,
            link_missing,
        })
    }

    /// Caches an installation's tenant. Past [`MAX_CACHED_TENANTS`] the expired entries go
    /// first, then everything: a full map is refilled from the store at a query per
    /// installation, which is slower but never wrong.
    fn insert_forge(&self, installation_id: &str, cached: Cached) {
        if self.forge.len() as u64 >= MAX_CACHED_TENANTS {
            let ttl = self.ttl;
            self.forge.retain(|c| c.loaded.elapsed() < ttl);
            if self.forge.len() as u64 >= MAX_CACHED_TENANTS {
                self.forge.clear();
            }
        }
        self.forge.insert(installation_id.to_owned(), cached);
    }

    /// The cached tenant of an installation, without touching the database.
    pub fn peek_installation(&self, installation_id: &str) -> Option<Arc<Tenant>> {
        self.forge.get(installation_id).map(|c| c.tenant)
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
