//! Tenants (Jira sites) and their lifecycle log.
//!
//! The rule from March 2022: every verified `installed` replaces the whole record, new secret
//! included, in one transaction that has committed before the handler answers 2xx. The rule from
//! the 2021 overwrite attacks: an install older than the last one applied can never roll a site
//! back, even while its token is unexpired.

use super::{Db, Store, StoreError, now_millis, on_db};
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
}

impl Tenant {
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
}

macro_rules! tenant_columns {
    () => {
        "id, client_key, app_key, shared_secret_enc, secret_fingerprint, base_url, display_url, \
         display_url_servicedesk, product_type, description, server_version, plugins_version, \
         service_entitlement_number, entitlement_id, entitlement_number, oauth_client_id, installation_id, \
         installed, enabled, installed_at, updated_at, secret_rotated_at, uninstalled_at"
    };
}

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
    /// The very same install delivered again; applied again (idempotently).
    pub duplicate: bool,
}

#[derive(sqlx::FromRow)]
struct LockedTenant {
    id: i64,
    secret_fingerprint: String,
    base_url: String,
    installed: bool,
    lifecycle_iat: i64,
    lifecycle_token_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LifecycleEventRecord {
    pub id: i64,
    pub kind: String,
    /// JSON text: fingerprints, URLs, the acting account. Never a secret.
    pub detail: String,
    pub at: i64,
}

const LOCK_SQLITE: &str = "SELECT id, secret_fingerprint, base_url, installed, lifecycle_iat, lifecycle_token_sha256 \
                           FROM tenant WHERE client_key = $1";
const LOCK_POSTGRES: &str = "SELECT id, secret_fingerprint, base_url, installed, lifecycle_iat, lifecycle_token_sha256 \
                             FROM tenant WHERE client_key = $1 FOR UPDATE";

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

const INSERT_EVENT: &str = "INSERT INTO tenant_lifecycle_event (tenant_id, kind, detail, token_sha256, at) VALUES ($1, $2, $3, $4, $5)";

/// PostgreSQL only: tells the other app instances to drop their cached copy of a tenant.
pub const TENANT_CHANGED_CHANNEL: &str = "amj_tenant_changed";

/// The body of `apply_install`, written once and expanded for each backend's transaction type.
macro_rules! apply_install_in {
    ($tx:ident, $lock_sql:expr, $store:expr, $req:expr) => {{
        let req = $req;
        let payload = req.payload;
        let now = now_millis();
        let token_sha = sha256_hex(req.token.as_bytes());
        let secret = payload.shared_secret.as_deref().unwrap_or_default();
        let new_fingerprint = fingerprint(secret);
        let existing: Option<LockedTenant> =
            sqlx::query_as($lock_sql).bind(&payload.client_key).fetch_optional(&mut *$tx).await?;
        let mut duplicate = false;
        if let Some(current) = &existing {
            if req.token_iat < current.lifecycle_iat {
                return Err(StoreError::StaleInstall);
            }
            duplicate = !req.token.is_empty() && token_sha == current.lifecycle_token_sha256;
            if req.token_iat == current.lifecycle_iat && !duplicate {
                // Same second, different token: only a replay if we applied that token before.
                let seen: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM tenant_lifecycle_event WHERE tenant_id = $1 AND token_sha256 = $2 LIMIT 1")
                        .bind(current.id)
                        .bind(&token_sha)
                        .fetch_optional(&mut *$tx)
                        .await?;
                if seen.is_some() {
                    return Err(StoreError::StaleInstall);
                }
            }
        }
        let sealed = $store.master_key().encrypt(secret, &payload.client_key)?;
        let (id,): (i64,) = sqlx::query_as(UPSERT)
            .bind(&payload.client_key)
            .bind(&payload.key)
            .bind(&sealed)
            .bind(&new_fingerprint)
            .bind(payload.base_url.trim_end_matches('/'))
            .bind(payload.display_url.as_deref().map(|u| u.trim_end_matches('/')))
            .bind(&payload.display_url_servicedesk_help_center)
            .bind(&payload.product_type)
            .bind(&payload.description)
            .bind(&payload.server_version)
            .bind(&payload.plugins_version)
            .bind(&payload.service_entitlement_number)
            .bind(&payload.entitlement_id)
            .bind(&payload.entitlement_number)
            .bind(&payload.oauth_client_id)
            .bind(&payload.installation_id)
            .bind(req.token_iat)
            .bind(&token_sha)
            .bind(now)
            .fetch_one(&mut *$tx)
            .await?;
        let outcome = InstallOutcome {
            tenant_id: TenantId(id),
            created: existing.is_none(),
            secret_rotated: existing.as_ref().is_some_and(|c| c.secret_fingerprint != new_fingerprint),
            base_url_changed: existing.as_ref().is_some_and(|c| c.base_url != payload.base_url.trim_end_matches('/')),
            reinstalled: existing.as_ref().is_some_and(|c| !c.installed),
            duplicate,
        };
        let mut events = vec![(
            "installed",
            serde_json::json!({
                "baseUrl": payload.base_url, "secretFingerprint": new_fingerprint, "accountId": req.account_id,
                "created": outcome.created, "reinstalled": outcome.reinstalled, "duplicate": duplicate,
                "pluginsVersion": payload.plugins_version,
            }),
        )];
        if let (true, Some(current)) = (outcome.secret_rotated, &existing) {
            events.push(("secret_rotated", serde_json::json!({"from": current.secret_fingerprint, "to": new_fingerprint})));
        }
        if let (true, Some(current)) = (outcome.base_url_changed, &existing) {
            events.push(("base_url_changed", serde_json::json!({"from": current.base_url, "to": payload.base_url})));
        }
        for (i, (kind, detail)) in events.into_iter().enumerate() {
            // Only the `installed` row carries the token hash that replay detection looks up.
            let token_ref = if i == 0 { Some(token_sha.as_str()) } else { None };
            sqlx::query(INSERT_EVENT).bind(id).bind(kind).bind(detail.to_string()).bind(token_ref).bind(now).execute(&mut *$tx).await?;
        }
        Ok::<InstallOutcome, StoreError>(outcome)
    }};
}

/// Runs `$body` in a write transaction on either backend: `BEGIN IMMEDIATE` on SQLite; on
/// PostgreSQL, followed by the `NOTIFY` that makes other instances drop `$tenant` from their
/// caches, delivered on commit.
macro_rules! tenant_write {
    ($store:expr, $tenant:expr, $tx:ident => $body:block) => {{
        match $store.db() {
            Db::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                let mut $tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
                $body
                $tx.commit().await?;
            }
            Db::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                $body
                let (client_key,): (String,) =
                    sqlx::query_as("SELECT client_key FROM tenant WHERE id = $1").bind($tenant.0).fetch_one(&mut *$tx).await?;
                notify_changed(&mut $tx, &client_key).await?;
                $tx.commit().await?;
            }
        }
    }};
}

impl Store {
    /// Applies a verified install: the whole record, new secret included, in one transaction.
    /// Returns only after the commit, so the handler can promise durability with its 2xx.
    pub async fn apply_install(
        &self,
        req: &InstallRequest<'_>,
    ) -> Result<InstallOutcome, StoreError> {
        match self.db() {
            Db::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                // IMMEDIATE takes the write lock up front, so two installs cannot interleave
                // their read and write (a deferred transaction would fail its upgrade instead).
                let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
                let outcome = apply_install_in!(tx, LOCK_SQLITE, self, req)?;
                tx.commit().await?;
                Ok(outcome)
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let outcome = apply_install_in!(tx, LOCK_POSTGRES, self, req)?;
                notify_changed(&mut tx, &req.payload.client_key).await?;
                tx.commit().await?;
                Ok(outcome)
            }
        }
    }

    /// The tenant for a `clientKey` (the `iss` of host tokens), with its secret decrypted.
    pub async fn tenant_by_client_key(
        &self,
        client_key: &str,
    ) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = on_db!(self.db(), pool => {
            sqlx::query_as(concat!("SELECT ", tenant_columns!(), " FROM tenant WHERE client_key = $1"))
                .bind(client_key)
                .fetch_optional(pool)
                .await?
        });
        row.map(|r| self.decrypt_row(r)).transpose()
    }

    /// The installed tenant at a site's base URL (with or without a trailing slash), for
    /// operators who know a site by its address. Several installs of one URL (a reinstall under
    /// a new clientKey) resolve to the most recently installed.
    pub async fn tenant_by_base_url(&self, base_url: &str) -> Result<Option<Tenant>, StoreError> {
        let trimmed = base_url.trim().trim_end_matches('/');
        let row: Option<TenantRow> = on_db!(self.db(), pool => {
            sqlx::query_as(concat!("SELECT ", tenant_columns!(), " FROM tenant WHERE (base_url = $1 OR base_url = $2) AND installed = TRUE ORDER BY id DESC LIMIT 1"))
                .bind(trimmed)
                .bind(format!("{trimmed}/"))
                .fetch_optional(pool)
                .await?
        });
        row.map(|r| self.decrypt_row(r)).transpose()
    }

    pub async fn tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = on_db!(self.db(), pool => {
            sqlx::query_as(concat!("SELECT ", tenant_columns!(), " FROM tenant WHERE id = $1"))
                .bind(tenant.0)
                .fetch_optional(pool)
                .await?
        });
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
        })
    }

    /// Marks a site uninstalled and keeps everything else: a later reinstall (possibly signed with
    /// the old secret under the legacy scheme) finds its data again. An uninstall older than the
    /// last lifecycle event applied is a replay and changes nothing.
    pub async fn mark_uninstalled(
        &self,
        tenant: TenantId,
        token_iat: i64,
        token: &str,
        account_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let token_sha = sha256_hex(token.as_bytes());
        let detail = serde_json::json!({"accountId": account_id}).to_string();
        const UPDATE: &str = "UPDATE tenant SET installed = FALSE, uninstalled_at = $2, updated_at = $2, lifecycle_iat = $3, \
                              lifecycle_token_sha256 = $4 WHERE id = $1 AND lifecycle_iat <= $3";
        tenant_write!(self, tenant, tx => {
            let updated = sqlx::query(UPDATE).bind(tenant.0).bind(now).bind(token_iat).bind(&token_sha).execute(&mut *tx).await?;
            if updated.rows_affected() == 0 {
                return Err(StoreError::StaleInstall);
            }
            sqlx::query(INSERT_EVENT).bind(tenant.0).bind("uninstalled").bind(&detail).bind(&token_sha).bind(now).execute(&mut *tx).await?;
        });
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
        let detail = serde_json::json!({"accountId": account_id}).to_string();
        tenant_write!(self, tenant, tx => {
            sqlx::query("UPDATE tenant SET enabled = $2, updated_at = $3 WHERE id = $1")
                .bind(tenant.0)
                .bind(enabled)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_EVENT).bind(tenant.0).bind(kind).bind(&detail).bind(None::<String>).bind(now).execute(&mut *tx).await?;
        });
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
        let rows = on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT id, kind, detail, at FROM tenant_lifecycle_event WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            )
            .bind(tenant.0)
            .bind(before)
            .bind(limit.clamp(1, 500))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The installed tenants whose site is called `name`, as people say it: `acme` for
    /// `https://acme.atlassian.net` and for the simulator's `http://127.0.0.1:8081/sites/acme`.
    /// Compared in Rust, not SQL: operators call it, and a site's name is not stored.
    pub async fn tenants_named(&self, name: &str) -> Result<Vec<Tenant>, StoreError> {
        let rows: Vec<TenantRow> = on_db!(self.db(), pool => {
            sqlx::query_as(concat!("SELECT ", tenant_columns!(), " FROM tenant WHERE installed = TRUE ORDER BY id"))
                .fetch_all(pool)
                .await?
        });
        let wanted = name.trim().to_ascii_lowercase();
        rows.into_iter()
            .filter(|r| site_name(&r.base_url).is_some_and(|n| n == wanted))
            .map(|r| self.decrypt_row(r))
            .collect()
    }

    /// How many sites are installed: for the demo banner, status and service metrics.
    pub async fn count_installed_tenants(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) = on_db!(self.db(), pool => {
            sqlx::query_as("SELECT COUNT(*) FROM tenant WHERE installed = TRUE").fetch_one(pool).await?
        });
        Ok(count)
    }
}

async fn notify_changed(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    client_key: &str,
) -> Result<(), StoreError> {
    // Delivered on commit, to every instance listening; see `auth::TenantCache`.
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(TENANT_CHANGED_CHANNEL)
        .bind(client_key)
        .execute(&mut **tx)
        .await?;
    Ok(())
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
