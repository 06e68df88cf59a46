//! Forge installations, their system tokens, and the durable queue of Forge events.
//!
//! A site is one tenant, whichever platform reaches it. Connect finds it by `clientKey`; Forge by
//! `installationId`, which changes on reinstall and on the upgrade from Connect, without notice.
//! So an unknown installation is never refused: [`Store::resolve_forge_installation`] joins it to
//! the site's tenant (declared by a Connect `installed`, or found by cloud id, or by site URL), or
//! provisions one, and records which in the lifecycle log.

use super::db::Tx;
use super::sql::Sql;
use super::{Store, StoreError, Tenant, now_millis};
use crate::crypto::sha256_hex;
use amj_domain::ids::TenantId;
use serde::Serialize;
use std::fmt;

/// The reserved clientKey prefix of a site that only Forge reaches. Connect clientKeys are
/// issued by Atlassian in a signed install, so no Connect install can carry one of these.
pub const FORGE_CLIENT_KEY_PREFIX: &str = "forge:";

/// The notification payload prefix (on the tenant-changed channel) that tells other instances
/// an installation now belongs to another tenant.
pub const FORGE_INSTALLATION_NOTICE: &str = "forge-installation:";

/// One Forge installation as the store holds it; the system token itself is not here (see
/// [`Store::forge_system_token`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ForgeInstallation {
    pub installation_id: String,
    #[serde(skip)]
    pub tenant_id: i64,
    pub cloud_id: String,
    pub api_base_url: String,
    pub site_url: Option<String>,
    pub environment: Option<String>,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub last_event_at: Option<i64>,
    pub last_trigger_at: Option<i64>,
    /// When the stored system token expires (ms); the token never leaves the store in this type.
    pub system_token_exp: Option<i64>,
    pub dormant_at: Option<i64>,
    pub dormant_reason: Option<String>,
}

const INSTALLATION_COLUMNS: &str = "installation_id, tenant_id, cloud_id, api_base_url, site_url, \
     environment, first_seen_at, last_seen_at, last_event_at, last_trigger_at, system_token_exp, \
     dormant_at, dormant_reason";

/// What a verified FIT says about where it comes from.
#[derive(Debug, Clone)]
pub struct ForgeSighting<'a> {
    pub installation_id: &'a str,
    pub cloud_id: &'a str,
    pub api_base_url: &'a str,
    pub site_url: Option<&'a str>,
    pub environment: Option<&'a str>,
    /// Our app key, for the tenant row of a site that only Forge reaches.
    pub app_key: &'a str,
}

/// How an installation found its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForgeLink {
    /// Seen before.
    Known,
    /// The site's Connect `installed` named this installation id.
    ConnectInstall,
    /// Another installation of the same cloud id had the site (a reinstall, the upgrade).
    CloudId,
    /// A Connect install at the same site URL had the site: the upgrade came before any
    /// Connect `installed` carrying the installation id.
    SiteUrl,
    /// Nothing knew the site: a new tenant.
    Provisioned,
}

#[derive(Debug, Clone)]
pub struct ForgeResolution {
    pub tenant: Tenant,
    pub installation: ForgeInstallation,
    pub link: ForgeLink,
}

/// A system token in memory. Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SystemToken {
    pub installation_id: String,
    pub api_base_url: String,
    token: String,
    /// Expiry, Unix milliseconds.
    pub exp: i64,
}

impl SystemToken {
    pub fn expose(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for SystemToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemToken")
            .field("installation_id", &self.installation_id)
            .field("api_base_url", &self.api_base_url)
            .field("token", &"<redacted>")
            .field("exp", &self.exp)
            .finish()
    }
}

/// The lifecycle-log detail of a Forge sighting. Never a token.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SightingDetail<'a> {
    installation_id: &'a str,
    cloud_id: &'a str,
    linked_by: ForgeLink,
    /// The installation ids the site had before, when this one replaces them.
    previous_installations: Vec<String>,
    reactivated: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MovedDetail<'a> {
    installation_id: &'a str,
    from_tenant: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DormantDetail<'a> {
    installation_id: &'a str,
    reason: &'a str,
}

fn detail_json(detail: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(detail).map_err(|e| StoreError::Corrupt(format!("event detail: {e}")))
}

fn log_event(tenant: i64, kind: &str, detail: String, at: i64) -> Sql {
    Sql::new(
        "INSERT INTO tenant_lifecycle_event (tenant_id, kind, detail, token_sha256, at) \
         VALUES ($1, $2, $3, NULL, $4)",
    )
    .arg(tenant)
    .arg(kind)
    .arg(detail)
    .arg(at)
}

/// A sighting younger than this does not rewrite `last_seen_at`: the write is what an
/// installation's traffic would otherwise cost on every cache miss.
const LAST_SEEN_GRANULARITY_MS: i64 = 60_000;

impl Store {
    pub async fn forge_installation(
        &self,
        installation_id: &str,
    ) -> Result<Option<ForgeInstallation>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM forge_installation WHERE installation_id = $1"
        ))
        .arg(installation_id);
        self.db().fetch_optional(&sql).await
    }

    /// A site's Forge installations, the most recently seen first.
    pub async fn forge_installations_of(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<ForgeInstallation>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM forge_installation WHERE tenant_id = $1 \
             ORDER BY last_seen_at DESC, installation_id"
        ))
        .arg(tenant.0);
        self.db().fetch_all(&sql).await
    }

    /// Every installation, for the operations checks (silent triggers, missing tokens).
    pub async fn all_forge_installations(&self) -> Result<Vec<ForgeInstallation>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {INSTALLATION_COLUMNS} FROM forge_installation ORDER BY tenant_id, installation_id"
        ));
        self.db().fetch_all(&sql).await
    }

    /// The tenant and installation a verified FIT belongs to, created or joined as needed, in
    /// one transaction committed before it returns. Idempotent: the same sighting twice is
    /// `Known` the second time.
    pub async fn resolve_forge_installation(
        &self,
        sighting: &ForgeSighting<'_>,
    ) -> Result<ForgeResolution, StoreError> {
        let now = now_millis();
        if let Some(found) = self.forge_installation(sighting.installation_id).await? {
            // A site URL learnt for the first time may link the installation to its Connect
            // tenant (see `relink_by_site_url`), so it always goes through the transaction.
            let fresh = found.dormant_at.is_none()
                && now - found.last_seen_at < LAST_SEEN_GRANULARITY_MS
                && found.api_base_url == sighting.api_base_url
                && (found.site_url.is_some() || sighting.site_url.is_none());
            if fresh {
                let tenant = self
                    .tenant(TenantId(found.tenant_id))
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("installation without tenant".into()))?;
                return Ok(ForgeResolution {
                    tenant,
                    installation: found,
                    link: ForgeLink::Known,
                });
            }
        }
        let mut tx = self.db().begin_write().await?;
        let (tenant_id, link) = self.resolve_in(&mut tx, sighting, now).await?;
        notify_tenant(&mut tx, tenant_id).await?;
        tx.commit().await?;
        let tenant = self
            .tenant(TenantId(tenant_id))
            .await?
            .ok_or_else(|| StoreError::Corrupt("installation without tenant".into()))?;
        let installation = self
            .forge_installation(sighting.installation_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("installation vanished".into()))?;
        Ok(ForgeResolution {
            tenant,
            installation,
            link,
        })
    }

    /// The drill's fault: never join an installation to an existing site.
    fn drops_forge_links(&self) -> bool {
        #[cfg(feature = "fault-injection")]
        {
            self.faults()
                .drop_forge_links
                .load(std::sync::atomic::Ordering::Relaxed)
        }
        #[cfg(not(feature = "fault-injection"))]
        {
            false
        }
    }

    async fn resolve_in(
        &self,
        tx: &mut Tx,
        s: &ForgeSighting<'_>,
        now: i64,
    ) -> Result<(i64, ForgeLink), StoreError> {
        let lock = Sql::new(&format!(
            "SELECT tenant_id, dormant_at FROM forge_installation WHERE installation_id = $1{}",
            tx.for_update()
        ))
        .arg(s.installation_id);
        let known: Option<(i64, Option<i64>)> = tx.fetch_optional(&lock).await?;
        if let Some((tenant_id, dormant_at)) = known {
            let touch = Sql::new(
                "UPDATE forge_installation SET last_seen_at = $2, api_base_url = $3, \
                 site_url = COALESCE($4, site_url), environment = COALESCE($5, environment), \
                 dormant_at = NULL, dormant_reason = NULL WHERE installation_id = $1",
            )
            .arg(s.installation_id)
            .arg(now)
            .arg(s.api_base_url)
            .arg(s.site_url)
            .arg(s.environment);
            tx.execute(&touch).await?;
            if dormant_at.is_some() {
                let detail = detail_json(&DormantDetail {
                    installation_id: s.installation_id,
                    reason: "a valid invocation arrived",
                })?;
                tx.execute(&log_event(tenant_id, "forge_awake", detail, now))
                    .await?;
            }
            if self.drops_forge_links() {
                return Ok((tenant_id, ForgeLink::Known));
            }
            if let Some(connect) = self.relink_by_site_url(tx, tenant_id, s).await? {
                notify_installation(tx, s.installation_id).await?;
                self.move_installation(tx, s.installation_id, tenant_id, connect, now)
                    .await?;
                return Ok((connect, ForgeLink::SiteUrl));
            }
            return Ok((tenant_id, ForgeLink::Known));
        }
        let found = if self.drops_forge_links() {
            None
        } else {
            self.find_site(tx, s).await?
        };
        let (tenant_id, link) = match found {
            Some(found) => found,
            None => (self.provision(tx, s, now).await?, ForgeLink::Provisioned),
        };
        let previous: Vec<(String,)> = tx
            .fetch_all(
                &Sql::new(
                    "SELECT installation_id FROM forge_installation WHERE tenant_id = $1 \
                     ORDER BY installation_id",
                )
                .arg(tenant_id),
            )
            .await?;
        let insert = Sql::new(
            "INSERT INTO forge_installation (installation_id, tenant_id, cloud_id, api_base_url, \
             site_url, environment, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .arg(s.installation_id)
        .arg(tenant_id)
        .arg(s.cloud_id)
        .arg(s.api_base_url)
        .arg(s.site_url)
        .arg(s.environment)
        .arg(now);
        tx.execute(&insert).await?;
        // A site that Forge reaches has the app installed, whatever Connect said last.
        let reactivate = Sql::new(
            "UPDATE tenant SET cloud_id = COALESCE(cloud_id, $2), installed = TRUE, enabled = TRUE, \
             uninstalled_at = NULL, updated_at = $3 WHERE id = $1 AND (installed = FALSE OR enabled = FALSE)",
        )
        .arg(tenant_id)
        .arg(s.cloud_id)
        .arg(now);
        let reactivated = tx.execute(&reactivate).await? > 0;
        let set_cloud =
            Sql::new("UPDATE tenant SET cloud_id = $2 WHERE id = $1 AND cloud_id IS NULL")
                .arg(tenant_id)
                .arg(s.cloud_id);
        tx.execute(&set_cloud).await?;
        let detail = detail_json(&SightingDetail {
            installation_id: s.installation_id,
            cloud_id: s.cloud_id,
            linked_by: link,
            previous_installations: previous.into_iter().map(|(id,)| id).collect(),
            reactivated,
        })?;
        let kind = if link == ForgeLink::Provisioned {
            "forge_first_seen"
        } else {
            "forge_installation_linked"
        };
        tx.execute(&log_event(tenant_id, kind, detail, now)).await?;
        Ok((tenant_id, link))
    }

    /// A known installation filed under a tenant of its own (Forge reached the site first with
    /// a call that named no site: a trigger or an event) whose first UI call now names a site
    /// that has a Connect tenant: the Connect tenant, which holds the site's data.
    async fn relink_by_site_url(
        &self,
        tx: &mut Tx,
        tenant_id: i64,
        s: &ForgeSighting<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let Some(site_url) = s.site_url else {
            return Ok(None);
        };
        let trimmed = site_url.trim().trim_end_matches('/');
        let sql = Sql::new(
            "SELECT c.id FROM tenant c, tenant f WHERE f.id = $1 AND f.connect = FALSE \
             AND c.connect = TRUE AND c.id <> f.id AND (c.base_url = $2 OR c.base_url = $3) \
             ORDER BY c.installed DESC, c.id DESC LIMIT 1",
        )
        .arg(tenant_id)
        .arg(trimmed)
        .arg(format!("{trimmed}/"));
        Ok(tx.fetch_optional::<(i64,)>(&sql).await?.map(|(id,)| id))
    }

    /// The existing tenant of the site a new installation belongs to, if any.
    async fn find_site(
        &self,
        tx: &mut Tx,
        s: &ForgeSighting<'_>,
    ) -> Result<Option<(i64, ForgeLink)>, StoreError> {
        let declared = Sql::new(
            "SELECT id FROM tenant WHERE installation_id = $1 AND connect = TRUE \
             ORDER BY installed DESC, id DESC LIMIT 1",
        )
        .arg(s.installation_id);
        if let Some((id,)) = tx.fetch_optional::<(i64,)>(&declared).await? {
            return Ok(Some((id, ForgeLink::ConnectInstall)));
        }
        let by_cloud = Sql::new(
            "SELECT id FROM tenant WHERE cloud_id = $1 ORDER BY installed DESC, id DESC LIMIT 1",
        )
        .arg(s.cloud_id);
        if let Some((id,)) = tx.fetch_optional::<(i64,)>(&by_cloud).await? {
            return Ok(Some((id, ForgeLink::CloudId)));
        }
        if let Some(site_url) = s.site_url {
            let trimmed = site_url.trim().trim_end_matches('/');
            let by_url = Sql::new(
                "SELECT id FROM tenant WHERE connect = TRUE AND (base_url = $1 OR base_url = $2) \
                 ORDER BY installed DESC, id DESC LIMIT 1",
            )
            .arg(trimmed)
            .arg(format!("{trimmed}/"));
            if let Some((id,)) = tx.fetch_optional::<(i64,)>(&by_url).await? {
                return Ok(Some((id, ForgeLink::SiteUrl)));
            }
        }
        Ok(None)
    }

    /// A tenant row for a site that only Forge reaches: a reserved clientKey, and a random secret
    /// that is never shown to anyone, so no Connect token can ever verify against it.
    async fn provision(
        &self,
        tx: &mut Tx,
        s: &ForgeSighting<'_>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let client_key = format!("{FORGE_CLIENT_KEY_PREFIX}{}", s.cloud_id);
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret)
            .map_err(|_| StoreError::Corrupt("the system random generator failed".into()))?;
        let secret = hex::encode(secret);
        let sealed = self.master_key().encrypt(&secret, &client_key)?;
        let base_url = s
            .site_url
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .unwrap_or_else(|| s.api_base_url.trim_end_matches('/').to_owned());
        let insert = Sql::new(
            "INSERT INTO tenant (client_key, app_key, shared_secret_enc, secret_fingerprint, base_url, \
             installed, enabled, lifecycle_iat, lifecycle_token_sha256, installed_at, updated_at, \
             connect, cloud_id) VALUES ($1, $2, $3, $4, $5, TRUE, TRUE, 0, '', $6, $6, FALSE, $7) \
             RETURNING id",
        )
        .arg(client_key.as_str())
        .arg(s.app_key)
        .arg(sealed)
        .arg(crate::crypto::fingerprint(&secret))
        .arg(base_url)
        .arg(now)
        .arg(s.cloud_id);
        let (id,): (i64,) = tx.fetch_one(&insert).await?;
        Ok(id)
    }

    /// Inside a Connect `installed` that names its Forge installation: a site that Forge reached
    /// first becomes this clientKey's tenant, so the Connect install finds the Forge data. Runs
    /// before the install's own upsert; does nothing when the clientKey already has a tenant.
    pub(crate) async fn adopt_forge_tenant(
        &self,
        tx: &mut Tx,
        client_key: &str,
        installation_id: &str,
    ) -> Result<(), StoreError> {
        let adopt = Sql::new(
            "UPDATE tenant SET client_key = $1, connect = TRUE WHERE connect = FALSE \
             AND id = (SELECT tenant_id FROM forge_installation WHERE installation_id = $2) \
             AND NOT EXISTS (SELECT 1 FROM tenant WHERE client_key = $1)",
        )
        .arg(client_key)
        .arg(installation_id);
        tx.execute(&adopt).await?;
        Ok(())
    }

    /// After a Connect `installed` that names its Forge installation: the installation's FITs
    /// reach this tenant from now on. If Forge had reached the site first under a tenant of its
    /// own, that tenant keeps its rows (nothing is deleted) and the move is logged on both.
    pub(crate) async fn link_connect_install(
        &self,
        tx: &mut Tx,
        tenant_id: i64,
        installation_id: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        // Other instances drop their cached tenant of this installation: the install may have
        // adopted it (its clientKey changed) or moves it below.
        notify_installation(tx, installation_id).await?;
        let current =
            Sql::new("SELECT tenant_id FROM forge_installation WHERE installation_id = $1")
                .arg(installation_id);
        let Some((from,)) = tx.fetch_optional::<(i64,)>(&current).await? else {
            return Ok(());
        };
        if from == tenant_id {
            return Ok(());
        }
        self.move_installation(tx, installation_id, from, tenant_id, now)
            .await
    }

    /// Moves an installation onto another tenant; nothing is deleted, and both logs say so.
    async fn move_installation(
        &self,
        tx: &mut Tx,
        installation_id: &str,
        from: i64,
        tenant_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let moved =
            Sql::new("UPDATE forge_installation SET tenant_id = $2 WHERE installation_id = $1")
                .arg(installation_id)
                .arg(tenant_id);
        tx.execute(&moved).await?;
        let detail = detail_json(&MovedDetail {
            installation_id,
            from_tenant: from,
        })?;
        tx.execute(&log_event(
            tenant_id,
            "forge_installation_moved_in",
            detail.clone(),
            now,
        ))
        .await?;
        tx.execute(&log_event(
            from,
            "forge_installation_moved_out",
            detail,
            now,
        ))
        .await?;
        Ok(())
    }

    /// Keeps the system token that lasts longest: a late request carrying an older token never
    /// replaces a newer one. A token from Forge is also proof that the installation lives, so a
    /// dormant one wakes (logged). Returns whether the stored token changed.
    pub async fn store_system_token(
        &self,
        installation_id: &str,
        token: &str,
        exp_ms: i64,
    ) -> Result<bool, StoreError> {
        let sealed = self.master_key().encrypt(token, installation_id)?;
        let mut tx = self.db().begin_write().await?;
        let woken = Sql::new(
            "UPDATE forge_installation SET dormant_at = NULL, dormant_reason = NULL \
             WHERE installation_id = $1 AND dormant_at IS NOT NULL RETURNING tenant_id",
        )
        .arg(installation_id);
        if let Some((tenant_id,)) = tx.fetch_optional::<(i64,)>(&woken).await? {
            let detail = detail_json(&DormantDetail {
                installation_id,
                reason: "Forge sent a new system token",
            })?;
            tx.execute(&log_event(tenant_id, "forge_awake", detail, now_millis()))
                .await?;
        }
        let update = Sql::new(
            "UPDATE forge_installation SET system_token_enc = $2, system_token_exp = $3 \
             WHERE installation_id = $1 AND (system_token_exp IS NULL OR system_token_exp < $3)",
        )
        .arg(installation_id)
        .arg(sealed)
        .arg(exp_ms);
        let changed = tx.execute(&update).await? > 0;
        tx.commit().await?;
        Ok(changed)
    }

    /// The site's system token that is still valid `margin_ms` from now, from its most recently
    /// seen awake installation; `None` when every token has expired or was refused.
    pub async fn forge_system_token(
        &self,
        tenant: TenantId,
        margin_ms: i64,
    ) -> Result<Option<SystemToken>, StoreError> {
        let sql = Sql::new(
            "SELECT installation_id, api_base_url, system_token_enc, system_token_exp \
             FROM forge_installation WHERE tenant_id = $1 AND dormant_at IS NULL \
             AND system_token_enc IS NOT NULL AND system_token_exp > $2 \
             ORDER BY last_seen_at DESC, system_token_exp DESC LIMIT 1",
        )
        .arg(tenant.0)
        .arg(now_millis() + margin_ms);
        let row: Option<(String, String, String, i64)> = self.db().fetch_optional(&sql).await?;
        row.map(|(installation_id, api_base_url, sealed, exp)| {
            let token = self.master_key().decrypt(&sealed, &installation_id)?;
            Ok(SystemToken {
                installation_id,
                api_base_url,
                token,
                exp,
            })
        })
        .transpose()
    }

    /// Jira refused the installation's token (401/404), or its triggers went silent: the site is
    /// dormant. Nothing is deleted, and its stored token is dropped so it is never sent again.
    pub async fn mark_forge_dormant(
        &self,
        installation_id: &str,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let update = Sql::new(
            "UPDATE forge_installation SET dormant_at = $2, dormant_reason = $3, \
             system_token_enc = NULL, system_token_exp = NULL \
             WHERE installation_id = $1 AND dormant_at IS NULL RETURNING tenant_id",
        )
        .arg(installation_id)
        .arg(now)
        .arg(reason);
        let Some((tenant_id,)) = tx.fetch_optional::<(i64,)>(&update).await? else {
            tx.commit().await?;
            return Ok(false);
        };
        let detail = detail_json(&DormantDetail {
            installation_id,
            reason,
        })?;
        tx.execute(&log_event(tenant_id, "forge_dormant", detail, now))
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Notes an event (and, for triggers, the trigger) from the installation.
    pub async fn touch_forge_event(
        &self,
        installation_id: &str,
        trigger: bool,
        at: i64,
    ) -> Result<(), StoreError> {
        let sql = if trigger {
            "UPDATE forge_installation SET last_event_at = $2, last_trigger_at = $2 WHERE installation_id = $1"
        } else {
            "UPDATE forge_installation SET last_event_at = $2 WHERE installation_id = $1"
        };
        self.db()
            .execute(&Sql::new(sql).arg(installation_id).arg(at))
            .await?;
        Ok(())
    }
}

/// A Forge event waiting in, or taken from, the queue.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ForgeEvent {
    pub id: i64,
    pub tenant_id: i64,
    pub installation_id: String,
    pub event_type: String,
    /// The body as Forge sent it (JSON text).
    pub payload: String,
    pub received_at: i64,
    pub deliveries: i64,
    pub attempts: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    pub id: i64,
    /// Forge delivered this event before: it was not queued again.
    pub duplicate: bool,
}

/// How long a taken event is reserved for the worker that took it; after that another worker
/// (another instance, or this one after a restart) takes it again.
pub const EVENT_LEASE_MS: i64 = 60_000;
/// Attempts after which an event is set aside with its last error.
pub const EVENT_MAX_ATTEMPTS: i64 = 8;

/// How long an applied event is kept. Forge redelivers within minutes (4 retries, 60 s apart),
/// so a week of dedupe keys is far more than deduplication needs, and the table stays small.
pub const FORGE_EVENT_KEEP_MS: i64 = 7 * 24 * 3600 * 1000;

impl Store {
    /// Stores an event before Forge gets its 2xx. A redelivery (same dedupe key) is counted,
    /// never queued twice.
    pub async fn enqueue_forge_event(
        &self,
        tenant: TenantId,
        installation_id: &str,
        event_type: &str,
        payload: &str,
        dedupe_key: &str,
    ) -> Result<Enqueued, StoreError> {
        let now = now_millis();
        let key = sha256_hex(dedupe_key.as_bytes());
        let insert = Sql::new(
            "INSERT INTO forge_event (dedupe_key, tenant_id, installation_id, event_type, payload, \
             received_at, deliveries, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, 1, 0, $6) \
             ON CONFLICT (dedupe_key) DO UPDATE SET deliveries = forge_event.deliveries + 1 \
             RETURNING id, deliveries",
        )
        .arg(key)
        .arg(tenant.0)
        .arg(installation_id)
        .arg(event_type)
        .arg(payload)
        .arg(now);
        let (id, deliveries): (i64, i64) = self.db().fetch_one(&insert).await?;
        Ok(Enqueued {
            id,
            duplicate: deliveries > 1,
        })
    }

    /// Takes up to `limit` due events for this worker, oldest first, leasing each for
    /// [`EVENT_LEASE_MS`].
    pub async fn take_forge_events(&self, limit: i64) -> Result<Vec<ForgeEvent>, StoreError> {
        let now = now_millis();
        let mut tx = self.db().begin_write().await?;
        let skip_locked = if tx.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let due = Sql::new(&format!(
            "SELECT id, tenant_id, installation_id, event_type, payload, received_at, deliveries, \
             attempts FROM forge_event WHERE done_at IS NULL AND next_attempt_at <= $1 \
             AND attempts < $2 ORDER BY id LIMIT $3{skip_locked}"
        ))
        .arg(now)
        .arg(EVENT_MAX_ATTEMPTS)
        .arg(limit);
        let mut events: Vec<ForgeEvent> = tx.fetch_all(&due).await?;
        for event in &mut events {
            event.attempts += 1;
            let lease = Sql::new(
                "UPDATE forge_event SET attempts = $2, next_attempt_at = $3 WHERE id = $1",
            )
            .arg(event.id)
            .arg(event.attempts)
            .arg(now + EVENT_LEASE_MS);
            tx.execute(&lease).await?;
        }
        tx.commit().await?;
        Ok(events)
    }

    /// Records the outcome of working on an event: done, or to be retried after `retry_in_ms`.
    pub async fn finish_forge_event(
        &self,
        id: i64,
        outcome: Result<(), (String, i64)>,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let sql = match outcome {
            Ok(()) => {
                Sql::new("UPDATE forge_event SET done_at = $2, last_error = NULL WHERE id = $1")
                    .arg(id)
                    .arg(now)
            }
            Err((error, retry_in_ms)) => Sql::new(
                "UPDATE forge_event SET last_error = $2, next_attempt_at = $3 WHERE id = $1",
            )
            .arg(id)
            .arg(error)
            .arg(now + retry_in_ms),
        };
        self.db().execute(&sql).await?;
        Ok(())
    }

    /// Deletes events applied before `done_before` (ms). Events not applied yet, including those
    /// that ran out of attempts, stay: they are the backlog an operator looks at.
    pub async fn prune_forge_events(&self, done_before: i64) -> Result<u64, StoreError> {
        let sql = Sql::new("DELETE FROM forge_event WHERE done_at IS NOT NULL AND done_at < $1")
            .arg(done_before);
        self.db().execute(&sql).await
    }

    /// How many times Forge delivered each stored event, oldest first.
    pub async fn forge_event_deliveries(&self) -> Result<Vec<i64>, StoreError> {
        let sql = Sql::new("SELECT deliveries FROM forge_event ORDER BY id");
        let rows: Vec<(i64,)> = self.db().fetch_all(&sql).await?;
        Ok(rows.into_iter().map(|(d,)| d).collect())
    }

    /// Events not yet done (due or waiting), and those set aside after too many attempts.
    pub async fn forge_event_backlog(&self) -> Result<(i64, i64), StoreError> {
        let sql = Sql::new(
            "SELECT COUNT(*) FILTER (WHERE attempts < $1), COUNT(*) FILTER (WHERE attempts >= $1) \
             FROM forge_event WHERE done_at IS NULL",
        )
        .arg(EVENT_MAX_ATTEMPTS);
        self.db().fetch_one(&sql).await
    }
}

/// PostgreSQL only: other instances drop their cached copy of the tenant.
async fn notify_tenant(tx: &mut Tx, tenant_id: i64) -> Result<(), StoreError> {
    if tx.is_postgres() {
        let key = Sql::new("SELECT client_key FROM tenant WHERE id = $1").arg(tenant_id);
        let (client_key,): (String,) = tx.fetch_one(&key).await?;
        crate::tenants::notify_changed(tx, &client_key).await?;
    }
    Ok(())
}

/// PostgreSQL only: other instances drop their cached tenant of this installation.
async fn notify_installation(tx: &mut Tx, installation_id: &str) -> Result<(), StoreError> {
    crate::tenants::notify_changed(tx, &format!("{FORGE_INSTALLATION_NOTICE}{installation_id}"))
        .await
}

impl Store {
    /// A Forge lifecycle event (`avi:forge:installed:app`, `avi:forge:upgraded:app`) in the
    /// site's lifecycle log. The installation itself was resolved when its FIT was verified.
    pub async fn log_forge_lifecycle(
        &self,
        tenant: TenantId,
        kind: &str,
        installation_id: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Detail<'a> {
            installation_id: &'a str,
        }
        let detail = detail_json(&Detail { installation_id })?;
        self.db()
            .execute(&log_event(tenant.0, kind, detail, at))
            .await?;
        Ok(())
    }
}

/// One Forge installation's health, for the operations checks.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ForgeHealth {
    pub tenant_id: i64,
    /// The site's URL as people know it (the tenant's base URL).
    pub site_name: String,
    pub installation_id: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub last_trigger_at: Option<i64>,
    pub system_token_exp: Option<i64>,
    pub dormant: bool,
    /// The installation's tenant is a Forge-only one while a Connect tenant of the same site
    /// (same URL, or declaring this installation) is installed: its users would not see the
    /// Connect data.
    pub link_missing: bool,
}

impl Store {
    pub async fn forge_health(&self) -> Result<Vec<ForgeHealth>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT f.tenant_id, t.base_url AS site_name, f.installation_id, f.first_seen_at, \
             f.last_seen_at, f.last_trigger_at, f.system_token_exp, \
             (f.dormant_at IS NOT NULL) AS dormant, \
             {LINK_MISSING} AS link_missing \
             FROM forge_installation f JOIN tenant t ON t.id = f.tenant_id \
             ORDER BY f.tenant_id, f.installation_id",
        ));
        self.db().fetch_all(&sql).await
    }

    /// Whether this installation's tenant is a Forge-only one while a Connect tenant of its
    /// site holds the data (see [`ForgeHealth::link_missing`]). Asked once per cache load, so
    /// a lost link turns into a clear refusal instead of an empty site.
    pub async fn forge_link_missing(&self, installation_id: &str) -> Result<bool, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {LINK_MISSING} AS link_missing \
             FROM forge_installation f JOIN tenant t ON t.id = f.tenant_id \
             WHERE f.installation_id = $1"
        ))
        .arg(installation_id);
        let row: Option<(bool,)> = self.db().fetch_optional(&sql).await?;
        Ok(row.is_some_and(|(missing,)| missing))
    }
}

/// SQL over `forge_installation f JOIN tenant t`: the installation sits on a Forge-only tenant
/// while an installed Connect tenant of the same site (same URL, or one whose `installed`
/// declared this installation) exists apart from it.
const LINK_MISSING: &str = "(t.connect = FALSE AND EXISTS (SELECT 1 FROM tenant c \
     WHERE c.connect = TRUE AND c.installed = TRUE AND c.id <> t.id \
     AND (c.base_url = t.base_url OR c.base_url = f.site_url \
          OR c.installation_id = f.installation_id)))";
