//! Tenants (Jira sites) and their lifecycle log.
//!
//! The rule from March 2022: every verified `installed` replaces the whole record, new secret
//! included, in one transaction that has committed before the handler answers 2xx. The rule from
//! the 2021 overwrite attacks: an install older than the last one applied can never roll a site
//! back, even while its token is unexpired. "Older" is not only a smaller `iat`: `iat` counts whole
//! seconds, so each signed lifecycle token is applied once (see `replay_guard`).

use super::db::Tx;
use super::sql::Sql;
use super::{Store, StoreError, now_millis};
use crate::crypto::{fingerprint, sha256_hex};
use amj_connect::jwt::Hs256Key;
use amj_connect::lifecycle::LifecyclePayload;
use amj_domain::ids::TenantId;
use serde::Serialize;
use std::fmt;

/// A shared secret in memory, with its HS256 key prepared. Its `Debug` never prints it.
#[derive(Clone)]
pub struct SharedSecret(String, Hs256Key);

impl PartialEq for SharedSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for SharedSecret {}

impl SharedSecret {
    pub fn new(secret: String) -> Self {
        let key = Hs256Key::new(secret.as_bytes());
        Self(secret, key)
    }

    pub fn hs256(&self) -> &Hs256Key {
        &self.1
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: TenantId,
    pub client_key: String,
    pub app_key: String,
    pub shared_secret: SharedSecret,
    pub secret_fingerprint: String,
    pub base_url: String,
    pub display_url: Option<String>,
    pub display_url_servicedesk: Option<String>,
    pub product_type: Option<String>,
    pub description: Option<String>,
    pub server_version: Option<String>,
    pub plugins_version: Option<String>,
    pub service_entitlement_number: Option<String>,
    pub entitlement_id: Option<String>,
    pub entitlement_number: Option<String>,
    pub oauth_client_id: Option<String>,
    pub installation_id: Option<String>,
    pub installed: bool,
    pub enabled: bool,
    pub installed_at: i64,
    pub updated_at: i64,
    pub secret_rotated_at: Option<i64>,
    pub uninstalled_at: Option<i64>,
    /// The site has (or had) the Connect version; `false` for a site only Forge reaches, whose
    /// `client_key` is a reserved `forge:<cloudId>` that no Connect token can name.
    pub connect: bool,
    pub cloud_id: Option<String>,
}

impl Tenant {
    /// The Connect clientKey, for a site that has the Connect version.
    pub fn connect_client_key(&self) -> Option<&str> {
        self.connect.then_some(self.client_key.as_str())
    }

    /// Where people are sent: the site's custom domain if it has one.
    pub fn display_url(&self) -> &str {
        self.display_url.as_deref().unwrap_or(&self.base_url)
    }
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: i64,
    client_key: String,
    app_key: String,
    shared_secret_enc: String,
    secret_fingerprint: String,
    base_url: String,
    display_url: Option<String>,
    display_url_servicedesk: Option<String>,
    product_type: Option<String>,
    description: Option<String>,
    server_version: Option<String>,
    plugins_version: Option<String>,
    service_entitlement_number: Option<String>,
    entitlement_id: Option<String>,
    entitlement_number: Option<String>,
    oauth_client_id: Option<String>,
    installation_id: Option<String>,
    installed: bool,
    enabled: bool,
    installed_at: i64,
    updated_at: i64,
    secret_rotated_at: Option<i64>,
    uninstalled_at: Option<i64>,
    connect: bool,
    cloud_id: Option<String>,
}

const TENANT_COLUMNS: &str = "id, client_key, app_key, shared_secret_enc, secret_fingerprint, \
     base_url, display_url, display_url_servicedesk, product_type, description, server_version, \
     plugins_version, service_entitlement_number, entitlement_id, entitlement_number, \
     oauth_client_id, installation_id, installed, enabled, installed_at, updated_at, \
     secret_rotated_at, uninstalled_at, connect, cloud_id";

/// What the handler learnt from a verified `installed` callback.
#[derive(Debug, Clone)]
pub struct InstallRequest<'a> {
    pub payload: &'a LifecyclePayload,
    /// `iat` of the install token (0 for the unsigned first install of legacy mode).
    pub token_iat: i64,
    /// The raw token, hashed here: replay detection needs it, the database never sees it.
    pub token: &'a str,
    pub account_id: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallOutcome {
    pub tenant_id: TenantId,
    pub created: bool,
    pub secret_rotated: bool,
    pub base_url_changed: bool,
    pub reinstalled: bool,
    /// The install applied last, delivered again (same token, same payload): logged, and
    /// answered like the first delivery, but nothing is written again.
    pub duplicate: bool,
}

/// What an install stores from its payload, as stored (URLs without a trailing slash), the secret
/// aside. A token's re-delivery is the same install only if all of it, secret included, agrees.
#[derive(PartialEq, Eq, sqlx::FromRow)]
struct InstallRecord {
    app_key: String,
    base_url: String,
    display_url: Option<String>,
    display_url_servicedesk: Option<String>,
    product_type: Option<String>,
    description: Option<String>,
    server_version: Option<String>,
    plugins_version: Option<String>,
    service_entitlement_number: Option<String>,
    entitlement_id: Option<String>,
    entitlement_number: Option<String>,
    oauth_client_id: Option<String>,
    installation_id: Option<String>,
}

impl InstallRecord {
    fn of(payload: &LifecyclePayload) -> Self {
        let trimmed = |url: &str| url.trim_end_matches('/').to_owned();
        Self {
            app_key: payload.key.clone(),
            base_url: trimmed(&payload.base_url),
            display_url: payload.display_url.as_deref().map(trimmed),
            display_url_servicedesk: payload.display_url_servicedesk_help_center.clone(),
            product_type: payload.product_type.clone(),
            description: payload.description.clone(),
            server_version: payload.server_version.clone(),
            plugins_version: payload.plugins_version.clone(),
            service_entitlement_number: payload.service_entitlement_number.clone(),
            entitlement_id: payload.entitlement_id.clone(),
            entitlement_number: payload.entitlement_number.clone(),
            oauth_client_id: payload.oauth_client_id.clone(),
            installation_id: payload.installation_id.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct LockedTenant {
    id: i64,
    shared_secret_enc: String,
    secret_fingerprint: String,
    installed: bool,
    lifecycle_iat: i64,
    lifecycle_token_sha256: String,
    #[sqlx(flatten)]
    record: InstallRecord,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LifecycleEventRecord {
    pub id: i64,
    pub kind: String,
    /// JSON text: fingerprints, URLs, the acting account. Never a secret.
    pub detail: String,
    pub at: i64,
}

/// The site's row as the install found it. PostgreSQL locks it (`FOR UPDATE`); SQLite's
/// `BEGIN IMMEDIATE` already holds the database's write lock.
const LOCK: &str = "SELECT id, shared_secret_enc, secret_fingerprint, installed, lifecycle_iat, \
     lifecycle_token_sha256, app_key, base_url, display_url, display_url_servicedesk, product_type, \
     description, server_version, plugins_version, service_entitlement_number, entitlement_id, \
     entitlement_number, oauth_client_id, installation_id FROM tenant WHERE client_key = $1";

/// PostgreSQL only: a first install has no row for `LOCK` to lock, so the installs of one
/// `clientKey` also queue on a transaction-scoped advisory lock; a concurrent delivery then finds
/// the first one's row, and the replay guard sees it. The two-key form, in a class of its own,
/// never meets the migrator's single-key lock.
const INSTALL_QUEUE: &str = "SELECT pg_advisory_xact_lock(1634560001, hashtext($1))";

/// Whether the lifecycle log holds a token: the memory of every token applied to the site. The
/// log is append-only, so a token is remembered for longer than it lives.
const TOKEN_SEEN: &str = "SELECT id FROM tenant_lifecycle_event \
     WHERE tenant_id = $1 AND token_sha256 = $2 LIMIT 1";

const UPSERT: &str = "INSERT INTO tenant (client_key, app_key, shared_secret_enc, secret_fingerprint, base_url, display_url, \
        display_url_servicedesk, product_type, description, server_version, plugins_version, service_entitlement_number, \
        entitlement_id, entitlement_number, oauth_client_id, installation_id, installed, enabled, lifecycle_iat, \
        lifecycle_token_sha256, installed_at, updated_at, secret_rotated_at, uninstalled_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, TRUE, TRUE, $17, $18, $19, $19, NULL, NULL) \
    ON CONFLICT (client_key) DO UPDATE SET app_key = excluded.app_key, shared_secret_enc = excluded.shared_secret_enc, \
        secret_fingerprint = excluded.secret_fingerprint, base_url = excluded.base_url, display_url = excluded.display_url, \
        display_url_servicedesk = excluded.display_url_servicedesk, product_type = excluded.product_type, \
        description = excluded.description, server_version = excluded.server_version, \
        plugins_version = excluded.plugins_version, service_entitlement_number = excluded.service_entitlement_number, \
        entitlement_id = excluded.entitlement_id, entitlement_number = excluded.entitlement_number, \
        oauth_client_id = excluded.oauth_client_id, installation_id = excluded.installation_id, installed = TRUE, \
        enabled = TRUE, lifecycle_iat = excluded.lifecycle_iat, lifecycle_token_sha256 = excluded.lifecycle_token_sha256, \
        updated_at = excluded.updated_at, uninstalled_at = NULL, \
        secret_rotated_at = CASE WHEN tenant.secret_fingerprint <> excluded.secret_fingerprint \
            THEN excluded.updated_at ELSE tenant.secret_rotated_at END \
    RETURNING id";

const INSERT_EVENT: &str = "INSERT INTO tenant_lifecycle_event (tenant_id, kind, detail, token_sha256, at) \
     VALUES ($1, $2, $3, $4, $5)";

/// A lifecycle event's detail: what it changed, never a secret. Stored as JSON text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstalledDetail<'a> {
    account_id: Option<&'a str>,
    base_url: &'a str,
    created: bool,
    duplicate: bool,
    plugins_version: Option<&'a str>,
    reinstalled: bool,
    secret_fingerprint: &'a str,
}

/// A value that an install changed, for `secret_rotated` (fingerprints) and `base_url_changed`.
#[derive(Serialize)]
struct Change<'a> {
    from: &'a str,
    to: &'a str,
}

/// Who sent `uninstalled`, `enabled` or `disabled`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActorDetail<'a> {
    account_id: Option<&'a str>,
}

fn detail_json(detail: &impl Serialize) -> Result<String, StoreError> {
    serde_json::to_string(detail).map_err(|e| StoreError::Corrupt(format!("event detail: {e}")))
}

fn event(tenant: i64, kind: &str, detail: String, token_sha: Option<&str>, at: i64) -> Sql {
    Sql::new(INSERT_EVENT)
        .arg(tenant)
        .arg(kind)
        .arg(detail)
        .arg(token_sha)
        .arg(at)
}

/// PostgreSQL only: tells the other app instances to drop their cached copy of a tenant.
pub const TENANT_CHANGED_CHANNEL: &str = "amj_tenant_changed";

/// The lifecycle token last applied to a site (`installed` or `uninstalled`), from its locked row.
struct Applied<'a> {
    tenant: i64,
    iat: i64,
    token_sha256: &'a str,
}

/// The replay guard, for `installed` and `uninstalled`: each signed lifecycle token is applied
/// once. A token older than the one applied last is refused, and so is any token the site's
/// lifecycle log already holds: `iat` counts whole seconds, so a replay of an earlier token of the
/// same second as the applied one is caught by its hash, not its `iat`. A token of that second
/// never seen before is new and may be applied. Returns whether the token *is* the one applied
/// last, a re-delivery that the caller treats as idempotent. Call it with the site's row locked.
async fn replay_guard(
    tx: &mut Tx,
    applied: &Applied<'_>,
    token_iat: i64,
    token_sha256: &str,
) -> Result<bool, StoreError> {
    if token_iat < applied.iat {
        return Err(StoreError::StaleInstall);
    }
    if token_sha256 == applied.token_sha256 {
        return Ok(true);
    }
    let seen = Sql::new(TOKEN_SEEN).arg(applied.tenant).arg(token_sha256);
    let seen: Option<(i64,)> = tx.fetch_optional(&seen).await?;
    match seen {
        Some(_) => Err(StoreError::StaleInstall),
        None => Ok(false),
    }
}

impl Store {
    /// The body of `apply_install`, inside its transaction.
    async fn apply_install_in(
        &self,
        tx: &mut Tx,
        req: &InstallRequest<'_>,
    ) -> Result<InstallOutcome, StoreError> {
        let payload = req.payload;
        let now = now_millis();
        let token_sha = sha256_hex(req.token.as_bytes());
        // The payload's own checks require it on `installed`; a secret never becomes "".
        let secret = payload.shared_secret.as_deref().ok_or_else(|| {
            StoreError::Invalid(amj_domain::ValidationErrors::single(
                "sharedSecret",
                "required",
                "sharedSecret: is required to install",
            ))
        })?;
        let new_fingerprint = fingerprint(secret);
        let record = InstallRecord::of(payload);
        if tx.is_postgres() {
            tx.execute(&Sql::new(INSTALL_QUEUE).arg(payload.client_key.as_str()))
                .await?;
        }
        if let Some(installation_id) = payload.installation_id.as_deref() {
            self.adopt_forge_tenant(tx, &payload.client_key, installation_id)
                .await?;
        }
        let lock = Sql::new(&format!("{LOCK}{}", tx.for_update())).arg(payload.client_key.as_str());
        let existing: Option<LockedTenant> = tx.fetch_optional(&lock).await?;
        let mut duplicate = false;
        if let Some(current) = &existing {
            let applied = Applied {
                tenant: current.id,
                iat: current.lifecycle_iat,
                token_sha256: &current.lifecycle_token_sha256,
            };
            duplicate = replay_guard(tx, &applied, req.token_iat, &token_sha).await?;
            // The token signs the URL, not the body: the applied token carrying another body is
            // a forgery or a replay of an earlier install, never a re-delivery.
            if duplicate
                && (current.record != record
                    || self
                        .master_key()
                        .decrypt(&current.shared_secret_enc, &payload.client_key)?
                        != secret)
            {
                return Err(StoreError::StaleInstall);
            }
        }
        let id = match &existing {
            // A re-delivery of the install applied last: everything it carries is stored
            // already, so nothing is written again (a later `disabled` stays in force).
            Some(current) if duplicate => current.id,
            _ => {
                let sealed = self.master_key().encrypt(secret, &payload.client_key)?;
                let upsert = Sql::new(UPSERT)
                    .arg(payload.client_key.as_str())
                    .arg(record.app_key.as_str())
                    .arg(sealed)
                    .arg(new_fingerprint.as_str())
                    .arg(record.base_url.as_str())
                    .arg(record.display_url.as_deref())
                    .arg(record.display_url_servicedesk.as_deref())
                    .arg(record.product_type.as_deref())
                    .arg(record.description.as_deref())
                    .arg(record.server_version.as_deref())
                    .arg(record.plugins_version.as_deref())
                    .arg(record.service_entitlement_number.as_deref())
                    .arg(record.entitlement_id.as_deref())
                    .arg(record.entitlement_number.as_deref())
                    .arg(record.oauth_client_id.as_deref())
                    .arg(record.installation_id.as_deref())
                    .arg(req.token_iat)
                    .arg(token_sha.as_str())
                    .arg(now);
                let (id,): (i64,) = tx.fetch_one(&upsert).await?;
                id
            }
        };
        let outcome = InstallOutcome {
            tenant_id: TenantId(id),
            created: existing.is_none(),
            secret_rotated: existing
                .as_ref()
                .is_some_and(|c| c.secret_fingerprint != new_fingerprint),
            base_url_changed: existing
                .as_ref()
                .is_some_and(|c| c.record.base_url != record.base_url),
            reinstalled: existing.as_ref().is_some_and(|c| !c.installed),
            duplicate,
        };
        let installed = InstalledDetail {
            account_id: req.account_id,
            base_url: &payload.base_url,
            created: outcome.created,
            duplicate,
            plugins_version: payload.plugins_version.as_deref(),
            reinstalled: outcome.reinstalled,
            secret_fingerprint: &new_fingerprint,
        };
        // Of an install's rows, only `installed` carries the token hash the replay guard looks up.
        let mut events = vec![event(
            id,
            "installed",
            detail_json(&installed)?,
            Some(&token_sha),
            now,
        )];
        if let (true, Some(current)) = (outcome.secret_rotated, &existing) {
            let change = Change {
                from: &current.secret_fingerprint,
                to: &new_fingerprint,
            };
            events.push(event(
                id,
                "secret_rotated",
                detail_json(&change)?,
                None,
                now,
            ));
        }
        if let (true, Some(current)) = (outcome.base_url_changed, &existing) {
            let change = Change {
                from: &current.record.base_url,
                to: &payload.base_url,
            };
            events.push(event(
                id,
                "base_url_changed",
                detail_json(&change)?,
                None,
                now,
            ));
        }
        for sql in &events {
            tx.execute(sql).await?;
        }
        if let Some(installation_id) = payload.installation_id.as_deref() {
            self.link_connect_install(tx, id, installation_id, now)
                .await?;
        }
        Ok(outcome)
    }
}

impl Store {
    /// Applies a verified install: the whole record, new secret included, in one transaction.
    /// Returns only after the commit, so the handler can promise durability with its 2xx.
    pub async fn apply_install(
        &self,
        req: &InstallRequest<'_>,
    ) -> Result<InstallOutcome, StoreError> {
        // SQLite's write transaction is IMMEDIATE: it takes the write lock up front, so two
        // installs cannot interleave their read and write.
        let mut tx = self.db().begin_write().await?;
        let outcome = self.apply_install_in(&mut tx, req).await?;
        notify_changed(&mut tx, &req.payload.client_key).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// The tenant for a `clientKey` (the `iss` of host tokens), with its secret decrypted.
    pub async fn tenant_by_client_key(
        &self,
        client_key: &str,
    ) -> Result<Option<Tenant>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenant WHERE client_key = $1"
        ))
        .arg(client_key);
        let row: Option<TenantRow> = self.db().fetch_optional(&sql).await?;
        row.map(|r| self.decrypt_row(r)).transpose()
    }

    /// The installed tenant at a site's base URL (with or without a trailing slash), for
    /// operators who know a site by its address. Several installs of one URL (a reinstall under
    /// a new clientKey) resolve to the most recently installed.
    pub async fn tenant_by_base_url(&self, base_url: &str) -> Result<Option<Tenant>, StoreError> {
        let trimmed = base_url.trim().trim_end_matches('/');
        let sql = Sql::new(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenant WHERE (base_url = $1 OR base_url = $2) \
             AND installed = TRUE ORDER BY id DESC LIMIT 1"
        ))
        .arg(trimmed)
        .arg(format!("{trimmed}/"));
        let row: Option<TenantRow> = self.db().fetch_optional(&sql).await?;
        row.map(|r| self.decrypt_row(r)).transpose()
    }

    pub async fn tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenant WHERE id = $1"
        ))
        .arg(tenant.0);
        let row: Option<TenantRow> = self.db().fetch_optional(&sql).await?;
        row.map(|r| self.decrypt_row(r)).transpose()
    }

    fn decrypt_row(&self, r: TenantRow) -> Result<Tenant, StoreError> {
        let secret = self
            .master_key()
            .decrypt(&r.shared_secret_enc, &r.client_key)?;
        Ok(Tenant {
            id: TenantId(r.id),
            client_key: r.client_key,
            app_key: r.app_key,
            shared_secret: SharedSecret::new(secret),
            secret_fingerprint: r.secret_fingerprint,
            base_url: r.base_url,
            display_url: r.display_url,
            display_url_servicedesk: r.display_url_servicedesk,
            product_type: r.product_type,
            description: r.description,
            server_version: r.server_version,
            plugins_version: r.plugins_version,
            service_entitlement_number: r.service_entitlement_number,
            entitlement_id: r.entitlement_id,
            entitlement_number: r.entitlement_number,
            oauth_client_id: r.oauth_client_id,
            installation_id: r.installation_id,
            installed: r.installed,
            enabled: r.enabled,
            installed_at: r.installed_at,
            updated_at: r.updated_at,
            secret_rotated_at: r.secret_rotated_at,
            uninstalled_at: r.uninstalled_at,
            connect: r.connect,
            cloud_id: r.cloud_id,
        })
    }

    /// Marks a site uninstalled and keeps everything else: a later reinstall (possibly signed with
    /// the old secret under the legacy scheme) finds its data again. An uninstall older than the
    /// last lifecycle event applied, or whose token was applied before, is a replay and changes
    /// nothing (`replay_guard`); a re-delivery of the uninstall applied last is already done.
    pub async fn mark_uninstalled(
        &self,
        tenant: TenantId,
        token_iat: i64,
        token: &str,
        account_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let token_sha = sha256_hex(token.as_bytes());
        let detail = detail_json(&ActorDetail { account_id })?;
        let mut tx = self.db().begin_write().await?;
        let lock = Sql::new(&format!(
            "SELECT lifecycle_iat, lifecycle_token_sha256 FROM tenant WHERE id = $1{}",
            tx.for_update()
        ))
        .arg(tenant.0);
        let Some((iat, applied_sha)): Option<(i64, String)> = tx.fetch_optional(&lock).await?
        else {
            return Err(StoreError::StaleInstall);
        };
        let applied = Applied {
            tenant: tenant.0,
            iat,
            token_sha256: &applied_sha,
        };
        if replay_guard(&mut tx, &applied, token_iat, &token_sha).await? {
            return Ok(());
        }
        let update = Sql::new(
            "UPDATE tenant SET installed = FALSE, uninstalled_at = $2, updated_at = $2, \
             lifecycle_iat = $3, lifecycle_token_sha256 = $4 WHERE id = $1",
        )
        .arg(tenant.0)
        .arg(now)
        .arg(token_iat)
        .arg(token_sha.as_str());
        tx.execute(&update).await?;
        tx.execute(&event(
            tenant.0,
            "uninstalled",
            detail,
            Some(&token_sha),
            now,
        ))
        .await?;
        finish_tenant_write(tx, tenant).await?;
        Ok(())
    }

    /// Records `enabled` / `disabled`. Disabled sites are refused on every non-lifecycle route.
    pub async fn set_enabled(
        &self,
        tenant: TenantId,
        enabled: bool,
        account_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let kind = if enabled { "enabled" } else { "disabled" };
        let detail = detail_json(&ActorDetail { account_id })?;
        let update = Sql::new("UPDATE tenant SET enabled = $2, updated_at = $3 WHERE id = $1")
            .arg(tenant.0)
            .arg(enabled)
            .arg(now);
        let mut tx = self.db().begin_write().await?;
        tx.execute(&update).await?;
        tx.execute(&event(tenant.0, kind, detail, None, now))
            .await?;
        finish_tenant_write(tx, tenant).await?;
        Ok(())
    }

    /// The site's lifecycle log, newest first, `limit` at a time before event id `before`.
    pub async fn lifecycle_events(
        &self,
        tenant: TenantId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LifecycleEventRecord>, StoreError> {
        let before = before.unwrap_or(i64::MAX);
        let sql = Sql::new(
            "SELECT id, kind, detail, at FROM tenant_lifecycle_event \
             WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .arg(tenant.0)
        .arg(before)
        .arg(limit.clamp(1, 500));
        self.db().fetch_all(&sql).await
    }

    /// The installed tenants whose site is called `name`, as people say it: `acme` for
    /// `https://acme.atlassian.net` and for the simulator's `http://127.0.0.1:8081/sites/acme`.
    /// Compared in Rust, not SQL: operators call it, and a site's name is not stored.
    pub async fn tenants_named(&self, name: &str) -> Result<Vec<Tenant>, StoreError> {
        let sql = Sql::new(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenant WHERE installed = TRUE ORDER BY id"
        ));
        let rows: Vec<TenantRow> = self.db().fetch_all(&sql).await?;
        let wanted = name.trim().to_ascii_lowercase();
        rows.into_iter()
            .filter(|r| site_name(&r.base_url).is_some_and(|n| n == wanted))
            .map(|r| self.decrypt_row(r))
            .collect()
    }

    /// How many sites are installed: for the demo banner, status and service metrics.
    pub async fn count_installed_tenants(&self) -> Result<i64, StoreError> {
        let sql = Sql::new("SELECT COUNT(*) FROM tenant WHERE installed = TRUE");
        let (count,): (i64,) = self.db().fetch_one(&sql).await?;
        Ok(count)
    }
}

/// PostgreSQL only: tells the other app instances, on commit, to drop their cached copy of the
/// site (see `auth::TenantDirectory`). SQLite has one instance, which evicts in the handler.
pub(crate) async fn notify_changed(tx: &mut Tx, client_key: &str) -> Result<(), StoreError> {
    if tx.is_postgres() {
        let notify = Sql::new("SELECT pg_notify($1, $2)")
            .arg(TENANT_CHANGED_CHANNEL)
            .arg(client_key);
        tx.execute(&notify).await?;
    }
    Ok(())
}

/// Commits a write to one site, with the notification other instances need.
async fn finish_tenant_write(mut tx: Tx, tenant: TenantId) -> Result<(), StoreError> {
    if tx.is_postgres() {
        let key = Sql::new("SELECT client_key FROM tenant WHERE id = $1").arg(tenant.0);
        let (client_key,): (String,) = tx.fetch_one(&key).await?;
        notify_changed(&mut tx, &client_key).await?;
    }
    tx.commit().await
}

/// A site's short name: the first label of an `*.atlassian.net`-style host, or the last path
/// segment of a base URL that has a path (the simulator's `/sites/<name>`).
pub fn site_name(base_url: &str) -> Option<String> {
    let url = url::Url::parse(base_url).ok()?;
    let last_segment = url
        .path_segments()
        .and_then(|mut segments| segments.rfind(|s| !s.is_empty()).map(str::to_owned));
    if let Some(segment) = last_segment {
        return Some(segment.to_ascii_lowercase());
    }
    match url.host()? {
        url::Host::Domain(host) => host.split('.').next().map(str::to_ascii_lowercase),
        _ => None,
    }
}

#[cfg(test)]
mod site_name_tests {
    use super::site_name;

    #[test]
    fn names_as_people_say_them() {
        assert_eq!(
            site_name("https://acme.atlassian.net").as_deref(),
            Some("acme")
        );
        assert_eq!(
            site_name("https://Acme.atlassian.net/").as_deref(),
            Some("acme")
        );
        assert_eq!(
            site_name("http://127.0.0.1:8081/sites/globex").as_deref(),
            Some("globex")
        );
        assert_eq!(site_name("http://127.0.0.1:8081"), None);
        assert_eq!(site_name("not a url"), None);
    }
}
