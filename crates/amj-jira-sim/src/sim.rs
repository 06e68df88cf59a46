//! The simulator: sites, the key server, lifecycle calls to the app, host tokens, and a Jira REST
//! subset that verifies the app's JWTs.

use crate::data::{IndexedValue, SiteData, User};
use crate::keys::{InstallKeys, KeyServerMode};
use amj_connect::ConnectClaims;
use amj_connect::descriptor::Descriptor;
use amj_connect::jwt::{Audience, Checks, QshCheck, Unverified, sign_hs256, sign_rs256};
use amj_connect::qsh::{CONTEXT_QSH, qsh};
use axum::http::{HeaderMap, Method, Uri};
use jsonwebtoken::EncodingKey;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("no simulated site named {0:?}")]
    UnknownSite(String),
    #[error("the app could not be reached: {0}")]
    Transport(String),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("simulator start-up failed: {0}")]
    Startup(String),
    #[error("the app descriptor is invalid: {0}")]
    InvalidDescriptor(String),
    #[error("site {site:?} has no user with accountId {account_id:?}")]
    UnknownUser { site: String, account_id: String },
    #[error("the workflow has no status {0:?}")]
    UnknownStatus(String),
    #[error("{0}")]
    InvalidValue(String),
}

/// A simulated Jira Cloud site, as Jira sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub name: String,
    pub client_key: String,
    pub base_url: String,
    /// The secret this site signs with and verifies the app's calls with.
    pub shared_secret: String,
    pub installed: bool,
    /// The site admin who installs the app: a user of the site, the default `sub` of host tokens,
    /// and, until a test says otherwise, the site's only holder of ADMINISTER.
    pub admin_account_id: String,
    /// The Atlassian cloud id: in the FITs and the Forge API base URL of the site.
    pub cloud_id: String,
}

/// One call the app made to a simulated site, as the site judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCall {
    pub site: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub failure: Option<String>,
}

/// How a lifecycle call is signed: the real scheme and the attacks and legacy schemes tests need.
#[derive(Clone)]
pub enum Signing {
    /// RS256 with the key server's current key (what Jira does under `signed-install`).
    InstallKey,
    /// RS256 with a key the key server does not know (a forged install).
    ForeignKey(String, EncodingKey),
    /// HS256 with a given secret (the legacy scheme, or an attacker's own secret).
    SharedSecret(String),
    /// No token at all.
    Unsigned,
}

/// Overrides of a lifecycle token's claims, for negative tests.
#[derive(Debug, Clone, Default)]
pub struct ClaimTweaks {
    pub iss: Option<String>,
    pub aud: Option<String>,
    pub qsh: Option<String>,
    pub exp_offset: Option<i64>,
    pub iat_offset: Option<i64>,
}

/// Where the app lives, as Jira knows it from the descriptor.
#[derive(Debug, Clone)]
pub struct AppTarget {
    pub base_url: String,
    pub key: String,
}

struct Inner {
    base_url: String,
    keys: InstallKeys,
    /// Forge's signing keys and JWKS, for the app's Forge Remote side.
    forge: crate::forge::ForgeSigner,
    sites: Mutex<BTreeMap<String, Site>>,
    app_key: Mutex<String>,
    calls: Mutex<Vec<AppCall>>,
    clock_skew: AtomicI64,
    http: reqwest::Client,
    /// Per-site gate. Host traffic is signed and sent under a read guard, and a rotation holds the
    /// write guard from its `installed` call until the secret switch. Jira thus never has a
    /// request signed with the old secret in flight once it has switched.
    gates: Mutex<std::collections::HashMap<String, Arc<tokio::sync::RwLock<()>>>>,
    /// The app this simulator installs, from its descriptor.
    app: Mutex<Option<(AppTarget, Descriptor)>>,
    /// Each site's users, issues and entity properties.
    data: Mutex<std::collections::HashMap<String, SiteData>>,
    /// Each site's Forge installation and system tokens.
    forge_sites: Mutex<std::collections::HashMap<String, crate::forge_host::ForgeSite>>,
    /// The custom fields of the app's Forge field types, from its deployed manifest.
    forge_fields: Mutex<Vec<crate::data::ForgeField>>,
    /// How long the system tokens Forge hands out live, in seconds of simulator time.
    pub(crate) forge_token_ttl: std::sync::atomic::AtomicI64,
}

/// A batched rollout, as Atlassian rolled out the 2022 change: every installed site is rotated,
/// in random batches spread over a time-scaled "day".
#[derive(Debug, Clone)]
pub struct RolloutPlan {
    /// Real time that stands for the whole day.
    pub day: Duration,
    pub batches: usize,
    /// Switch to the new secret even when the app did not answer 2xx.
    pub switch_regardless: bool,
}

#[derive(Debug, Clone, Default)]
pub struct RolloutReport {
    pub batches: Vec<Vec<String>>,
    /// Each site and the status the app answered to its rotation.
    pub statuses: Vec<(String, u16)>,
}

#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

/// The exchange log keeps the most recent entries only.
const MAX_LOG: usize = 10_000;

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    let _ = aws_lc_rs::rand::fill(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A secret in Atlassian's current shape: the `ATCO` prefix and opaque text.
fn new_secret() -> String {
    format!("ATCO{}", random_hex(48))
}

fn random_below(n: usize) -> usize {
    let mut bytes = [0u8; 8];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    (u64::from_le_bytes(bytes) % n.max(1) as u64) as usize
}

fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, random_below(i + 1));
    }
}

/// Splits into `batches` non-empty groups of random sizes (fewer if there are fewer items).
fn split_randomly<T>(items: Vec<T>, batches: usize) -> Vec<Vec<T>> {
    let batches = batches.min(items.len()).max(1);
    let mut cuts: Vec<usize> = Vec::new();
    while cuts.len() + 1 < batches {
        let cut = 1 + random_below(items.len() - 1);
        if !cuts.contains(&cut) {
            cuts.push(cut);
        }
    }
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut rest = items;
    for cut in cuts.into_iter().rev() {
        out.push(rest.split_off(cut));
    }
    out.push(rest);
    out.reverse();
    out.retain(|b| !b.is_empty());
    out
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Sim {
    /// A simulator whose base URL is `http://{addr}`; `server` binds and serves it.
    pub(crate) fn new(addr: std::net::SocketAddr) -> Result<Self, SimError> {
        let base_url = format!("http://{addr}");
        let keys = InstallKeys::new(&format!("sim{}", addr.port()))
            .map_err(|e| SimError::Startup(e.to_string()))?;
        let forge = crate::forge::ForgeSigner::new(&format!("sim{}", addr.port()))
            .map_err(|e| SimError::Startup(e.to_string()))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SimError::Startup(e.to_string()))?;
        Ok(Sim {
            inner: Arc::new(Inner {
                base_url,
                keys,
                forge,
                sites: Mutex::new(BTreeMap::new()),
                app_key: Mutex::new(String::new()),
                calls: Mutex::new(Vec::new()),
                clock_skew: AtomicI64::new(0),
                http,
                gates: Mutex::new(std::collections::HashMap::new()),
                app: Mutex::new(None),
                data: Mutex::new(std::collections::HashMap::new()),
                forge_sites: Mutex::new(std::collections::HashMap::new()),
                forge_fields: Mutex::new(Vec::new()),
                forge_token_ttl: std::sync::atomic::AtomicI64::new(
                    crate::forge_host::SYSTEM_TOKEN_TTL_SECS,
                ),
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Forge's signer: its JWKS, rotations and outage switch, and FITs for invocations.
    pub fn forge(&self) -> &crate::forge::ForgeSigner {
        &self.inner.forge
    }

    /// Where the simulated Forge publishes its signing keys (the app's Forge JWKS URL).
    pub fn forge_jwks_url(&self) -> String {
        format!("{}/forge/jwks.json", self.inner.base_url)
    }

    /// What the app's `--install-keys-url` must point at.
    pub fn key_server_url(&self) -> String {
        format!("{}/keys", self.inner.base_url)
    }

    /// Where the app must load its host bridge from (`--ap-js-url`).
    pub fn ap_js_url(&self) -> String {
        format!("{}/atlassian-connect/all.js", self.inner.base_url)
    }

    /// Fetches the app's descriptor and validates it as Jira would before installing.
    pub async fn register_app(&self, descriptor_url: &str) -> Result<AppTarget, SimError> {
        let response = self
            .inner
            .http
            .get(descriptor_url)
            .send()
            .await
            .map_err(|e| SimError::Transport(e.to_string()))?;
        if !response.status().is_success() {
            return Err(SimError::InvalidDescriptor(format!(
                "{descriptor_url} answered {}",
                response.status()
            )));
        }
        let descriptor: Descriptor = response
            .json()
            .await
            .map_err(|e| SimError::InvalidDescriptor(format!("not a descriptor: {e}")))?;
        descriptor
            .validate()
            .map_err(|problems| SimError::InvalidDescriptor(problems.join("; ")))?;
        let target = AppTarget {
            base_url: descriptor.base_url.clone(),
            key: descriptor.key.clone(),
        };
        self.set_app_key(&target.key);
        if let Ok(mut app) = self.inner.app.lock() {
            *app = Some((target.clone(), descriptor));
        }
        Ok(target)
    }

    /// The client the simulator calls the app with (lifecycle, Forge invocations).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn inner_token_ttl(&self) -> &std::sync::atomic::AtomicI64 {
        &self.inner.forge_token_ttl
    }

    pub(crate) fn set_forge_fields(&self, fields: Vec<crate::data::ForgeField>) {
        if let Ok(mut known) = self.inner.forge_fields.lock() {
            *known = fields;
        }
    }

    /// The custom fields of the app's Forge field types; none until a manifest is deployed.
    pub fn forge_fields(&self) -> Vec<crate::data::ForgeField> {
        self.inner
            .forge_fields
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    pub fn app(&self) -> Option<AppTarget> {
        self.inner.app.lock().ok()?.as_ref().map(|(t, _)| t.clone())
    }

    fn with_descriptor<T>(&self, f: impl FnOnce(&Descriptor) -> T) -> Option<T> {
        self.inner.app.lock().ok()?.as_ref().map(|(_, d)| f(d))
    }

    /// The issue-property values Jira indexes for JQL because the registered app declares them in
    /// `jiraEntityProperties`; empty without a registered app.
    pub fn issue_property_index(&self) -> Vec<IndexedValue> {
        self.with_descriptor(crate::data::issue_index)
            .unwrap_or_default()
    }

    /// (key, name) of the app's general pages, for the top navigation.
    pub fn general_pages(&self) -> Vec<(String, String)> {
        self.with_descriptor(|d| {
            d.modules
                .general_pages
                .iter()
                .map(|p| (p.key.clone(), p.name.value.clone()))
                .collect()
        })
        .unwrap_or_default()
    }

    pub fn module_url(&self, key: &str) -> Option<String> {
        self.with_descriptor(|d| {
            d.modules
                .general_pages
                .iter()
                .find(|p| p.key == key)
                .map(|p| p.url.clone())
        })
        .flatten()
    }

    /// (name, url template) of the app's issue glances.
    pub fn glances(&self) -> Vec<(String, String)> {
        self.with_descriptor(|d| {
            d.modules
                .jira_issue_glances
                .iter()
                .map(|g| (g.name.value.clone(), g.target.url.clone()))
                .collect()
        })
        .unwrap_or_default()
    }

    /// (key, name) of the app's issue glances: under Forge, the same keys name the issue
    /// context modules (the manifest is built from the same definitions).
    pub fn glance_modules(&self) -> Vec<(String, String)> {
        self.with_descriptor(|d| {
            d.modules
                .jira_issue_glances
                .iter()
                .map(|g| (g.key.clone(), g.name.value.clone()))
                .collect()
        })
        .unwrap_or_default()
    }

    /// (key, name, url template) of the app's dashboard gadgets: under Forge, the same keys name
    /// the `jira:dashboardGadget` modules.
    pub fn dashboard_items(&self) -> Vec<(String, String, String)> {
        self.with_descriptor(|d| {
            d.modules
                .jira_dashboard_items
                .iter()
                .map(|g| (g.key.clone(), g.name.value.clone(), g.url.clone()))
                .collect()
        })
        .unwrap_or_default()
    }

    /// (key, name, url) of the app's admin pages.
    pub fn admin_pages(&self) -> Vec<(String, String, String)> {
        self.with_descriptor(|d| {
            d.modules
                .admin_pages
                .iter()
                .map(|p| (p.key.clone(), p.name.value.clone(), p.url.clone()))
                .collect()
        })
        .unwrap_or_default()
    }

    pub fn site_names(&self) -> Vec<String> {
        self.inner
            .sites
            .lock()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn keys(&self) -> &InstallKeys {
        &self.inner.keys
    }

    pub fn set_key_server_mode(&self, mode: KeyServerMode) {
        self.inner.keys.set_mode(mode);
    }

    /// Skews the simulator's clock (±60 s in the protocol scenarios).
    pub fn skew_clock(&self, seconds: i64) {
        self.inner.clock_skew.store(seconds, Ordering::Relaxed);
    }

    pub fn clock_skew(&self) -> i64 {
        self.inner.clock_skew.load(Ordering::Relaxed)
    }

    pub(crate) fn now(&self) -> i64 {
        unix_now() + self.inner.clock_skew.load(Ordering::Relaxed)
    }

    pub(crate) fn forge_site(&self, name: &str) -> Option<crate::forge_host::ForgeSite> {
        self.inner.forge_sites.lock().ok()?.get(name).cloned()
    }

    pub(crate) fn update_forge(
        &self,
        name: &str,
        update: impl FnOnce(&mut crate::forge_host::ForgeSite),
    ) {
        if let Ok(mut sites) = self.inner.forge_sites.lock() {
            update(sites.entry(name.to_owned()).or_default());
        }
    }

    pub(crate) fn site_by_cloud_id(&self, cloud_id: &str) -> Option<String> {
        let sites = self.inner.sites.lock().ok()?;
        sites
            .values()
            .find(|s| s.cloud_id == cloud_id)
            .map(|s| s.name.clone())
    }

    /// Adds a site with a fresh clientKey and secret; it is not installed yet.
    pub fn add_site(&self, name: &str) -> Site {
        let site = Site {
            name: name.to_owned(),
            client_key: format!("{}-{}", random_hex(4), random_hex(12)),
            base_url: format!("{}/sites/{name}", self.inner.base_url),
            shared_secret: new_secret(),
            installed: false,
            admin_account_id: format!("557058:{}", random_hex(8)),
            cloud_id: format!(
                "{}-{}-4{}-a{}-{}",
                random_hex(4),
                random_hex(2),
                &random_hex(2)[1..],
                &random_hex(2)[1..],
                random_hex(6)
            ),
        };
        if let Ok(mut sites) = self.inner.sites.lock() {
            sites.insert(name.to_owned(), site.clone());
        }
        let mut content = crate::data::seed(name);
        content.users.push(User {
            account_id: site.admin_account_id.clone(),
            display_name: "Morgan Lee".to_owned(),
            email: format!("morgan@{name}.example.com"),
            active: true,
        });
        content.site_admins.insert(site.admin_account_id.clone());
        if let Ok(mut data) = self.inner.data.lock() {
            data.insert(name.to_owned(), content);
        }
        site
    }

    /// The site's users: the seeded ones (never site admins unless made so), then the site admin
    /// who installed the app (`Site::admin_account_id`).
    pub fn site_users(&self, name: &str) -> Result<Vec<User>, SimError> {
        self.with_data(name, |d| d.users.clone())
            .ok_or_else(|| SimError::UnknownSite(name.to_owned()))
    }

    /// Deactivates (or reactivates) a user, as an org admin does when someone leaves: the
    /// account stays, with `active: false` in every user answer.
    pub fn set_user_active(
        &self,
        name: &str,
        account_id: &str,
        active: bool,
    ) -> Result<(), SimError> {
        self.with_data(name, |d| {
            match d.users.iter_mut().find(|u| u.account_id == account_id) {
                Some(user) => {
                    user.active = active;
                    Ok(())
                }
                None => Err(SimError::UnknownUser {
                    site: name.to_owned(),
                    account_id: account_id.to_owned(),
                }),
            }
        })
        .ok_or_else(|| SimError::UnknownSite(name.to_owned()))?
    }

    /// The accountIds holding the ADMINISTER global permission on the site.
    pub fn site_admins(&self, name: &str) -> Result<Vec<String>, SimError> {
        self.with_data(name, |d| d.site_admins.iter().cloned().collect())
            .ok_or_else(|| SimError::UnknownSite(name.to_owned()))
    }

    /// Grants or revokes a user's site-admin rights (the ADMINISTER and SYSTEM_ADMIN global
    /// permissions, and ADMINISTER_PROJECTS everywhere), as an org admin does in Atlassian Admin.
    /// `permissions/check` answers from this at once.
    pub fn set_site_admin(
        &self,
        name: &str,
        account_id: &str,
        admin: bool,
    ) -> Result<(), SimError> {
        self.with_data(name, |d| {
            if d.user(account_id).is_none() {
                return Err(SimError::UnknownUser {
                    site: name.to_owned(),
                    account_id: account_id.to_owned(),
                });
            }
            if admin {
                d.site_admins.insert(account_id.to_owned());
            } else {
                d.site_admins.remove(account_id);
            }
            Ok(())
        })
        .ok_or_else(|| SimError::UnknownSite(name.to_owned()))?
    }

    pub fn site(&self, name: &str) -> Result<Site, SimError> {
        self.inner
            .sites
            .lock()
            .ok()
            .and_then(|s| s.get(name).cloned())
            .ok_or_else(|| SimError::UnknownSite(name.to_owned()))
    }

    pub(crate) fn update_site(&self, name: &str, update: impl FnOnce(&mut Site)) {
        if let Ok(mut sites) = self.inner.sites.lock()
            && let Some(site) = sites.get_mut(name)
        {
            update(site);
        }
    }

    /// Renames a site (its baseUrl changes, its clientKey does not), as a Jira site rename does.
    /// Jira then sends `installed` with the new baseUrl; callers follow with `rotate`.
    pub fn rename_site(&self, name: &str, new_name: &str) -> Result<Site, SimError> {
        let mut sites = self
            .inner
            .sites
            .lock()
            .map_err(|_| SimError::UnknownSite(name.to_owned()))?;
        let mut site = sites
            .remove(name)
            .ok_or_else(|| SimError::UnknownSite(name.to_owned()))?;
        site.name = new_name.to_owned();
        site.base_url = format!("{}/sites/{new_name}", self.inner.base_url);
        sites.insert(new_name.to_owned(), site.clone());
        if let Ok(mut data) = self.inner.data.lock()
            && let Some(content) = data.remove(name)
        {
            data.insert(new_name.to_owned(), content);
        }
        Ok(site)
    }

    /// Changes the secret the site signs and verifies with, without telling the app: the state an
    /// app is in after it missed a rotation (March 2022).
    pub fn set_site_secret(&self, name: &str, secret: &str) {
        self.update_site(name, |s| secret.clone_into(&mut s.shared_secret));
    }

    pub fn calls(&self) -> Vec<AppCall> {
        self.inner
            .calls
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// The install payload Jira would send for `site` with `secret`.
    pub fn lifecycle_payload(
        &self,
        site: &Site,
        app: &AppTarget,
        event: &str,
        secret: Option<&str>,
    ) -> serde_json::Value {
        let mut body = serde_json::json!({
            "key": app.key,
            "clientKey": site.client_key,
            "publicKey": "MIGf-legacy-ignored",
            "serverVersion": "100272",
            "pluginsVersion": "1001.0.0-SNAPSHOT",
            "baseUrl": site.base_url,
            "displayUrl": site.base_url,
            "displayUrlServicedeskHelpCenter": site.base_url,
            "productType": "jira",
            "description": format!("Simulated Jira site {}", site.name),
            "eventType": event,
            "installationId": format!("ari:cloud:ecosystem::installation/{}", site.client_key),
        });
        if let Some(secret) = secret {
            body["sharedSecret"] = serde_json::Value::String(secret.to_owned());
        }
        body
    }

    /// Signs a lifecycle call to `path` (relative to the app's baseUrl).
    pub fn lifecycle_token(
        &self,
        site: &Site,
        app: &AppTarget,
        path: &str,
        signing: &Signing,
        tweaks: &ClaimTweaks,
    ) -> Result<Option<String>, SimError> {
        let now = self.now();
        let claims = ConnectClaims {
            iss: tweaks
                .iss
                .clone()
                .unwrap_or_else(|| site.client_key.clone()),
            sub: Some(site.admin_account_id.clone()),
            iat: now + tweaks.iat_offset.unwrap_or(0),
            exp: now + tweaks.exp_offset.unwrap_or(180),
            nbf: None,
            qsh: Some(
                tweaks
                    .qsh
                    .clone()
                    .unwrap_or_else(|| qsh("POST", path, None, "")),
            ),
            aud: Some(Audience::Many(vec![
                tweaks.aud.clone().unwrap_or_else(|| app.base_url.clone()),
            ])),
            context: Some(serde_json::json!({})),
            jti: Some(random_hex(8)),
        };
        let sign_err = |e: jsonwebtoken::errors::Error| SimError::Signing(e.to_string());
        Ok(match signing {
            Signing::Unsigned => None,
            Signing::InstallKey => {
                let (kid, key) = self
                    .inner
                    .keys
                    .current()
                    .ok_or_else(|| SimError::Signing("no install key".into()))?;
                Some(sign_rs256(&claims, &key, &kid).map_err(sign_err)?)
            }
            Signing::ForeignKey(kid, key) => Some(sign_rs256(&claims, key, kid).map_err(sign_err)?),
            Signing::SharedSecret(secret) => {
                let mut claims = claims;
                claims.aud = None;
                Some(sign_hs256(&claims, secret.as_bytes()).map_err(sign_err)?)
            }
        })
    }

    /// POSTs a lifecycle event to the app; returns its status code.
    pub async fn send_lifecycle(
        &self,
        app: &AppTarget,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> Result<u16, SimError> {
        let mut request = self
            .inner
            .http
            .post(format!("{}{path}", app.base_url.trim_end_matches('/')))
            .json(body);
        if let Some(token) = token {
            request = request.header("Authorization", format!("JWT {token}"));
        }
        let response = request
            .send()
            .await
            .map_err(|e| SimError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let site = body
            .get("baseUrl")
            .and_then(|u| u.as_str())
            .and_then(|u| u.rsplit('/').next())
            .unwrap_or_default()
            .to_owned();
        let failure = if (200..300).contains(&status) {
            None
        } else {
            Some(
                response
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect(),
            )
        };
        self.record(AppCall {
            site,
            method: "LIFECYCLE".into(),
            path: path.to_owned(),
            status,
            failure,
        });
        Ok(status)
    }

    /// Sends `installed` or `uninstalled` for `site`, carrying `secret`, signed as `signing` says.
    /// Callers decide what the site remembers from the app's answer.
    async fn post_lifecycle(
        &self,
        site: &Site,
        app: &AppTarget,
        event: &str,
        secret: Option<&str>,
        signing: &Signing,
    ) -> Result<u16, SimError> {
        let path = format!("/{event}");
        let body = self.lifecycle_payload(site, app, event, secret);
        let token = self.lifecycle_token(site, app, &path, signing, &ClaimTweaks::default())?;
        self.send_lifecycle(app, &path, &body, token.as_deref())
            .await
    }

    /// Installs the app on `site` (signed install with the site's current secret).
    pub async fn install(&self, name: &str, app: &AppTarget) -> Result<u16, SimError> {
        self.set_app_key(&app.key);
        let site = self.site(name)?;
        let status = self
            .post_lifecycle(
                &site,
                app,
                "installed",
                Some(&site.shared_secret),
                &Signing::InstallKey,
            )
            .await?;
        if (200..300).contains(&status) {
            self.update_site(name, |s| s.installed = true);
        }
        Ok(status)
    }

    /// Rotates the site's secret the way Atlassian's 2022 rollout did: a new signed `installed`
    /// carrying a new `sharedSecret`. Jira switches to the new secret only once the app has
    /// answered 2xx, unless `switch_regardless`.
    pub async fn rotate(
        &self,
        name: &str,
        app: &AppTarget,
        switch_regardless: bool,
    ) -> Result<u16, SimError> {
        let gate = self.gate(name);
        let _switching = gate.write().await;
        let site = self.site(name)?;
        let secret = new_secret();
        let status = self
            .post_lifecycle(&site, app, "installed", Some(&secret), &Signing::InstallKey)
            .await?;
        if (200..300).contains(&status) || switch_regardless {
            self.update_site(name, |s| s.shared_secret = secret);
        }
        Ok(status)
    }

    fn gate(&self, name: &str) -> Arc<tokio::sync::RwLock<()>> {
        match self.inner.gates.lock() {
            Ok(mut gates) => Arc::clone(gates.entry(name.to_owned()).or_default()),
            Err(_) => Arc::new(tokio::sync::RwLock::new(())),
        }
    }

    /// Sends a webhook from `site` for `event` (`jira:issue_updated`, `jira:issue_deleted`) about
    /// one of the site's issues, to every URL the descriptor registered for it. Like Jira, it
    /// retries on 408, 409, 425, 429 and 5xx with the same `X-Atlassian-Webhook-Identifier` and an
    /// increasing `X-Atlassian-Webhook-Retry`. Returns the final status of each delivery.
    pub async fn send_webhook(
        &self,
        name: &str,
        event: &str,
        issue: &serde_json::Value,
        max_retries: u32,
    ) -> Result<Vec<u16>, SimError> {
        self.send_webhook_with(name, event, issue, None, max_retries)
            .await
    }

    async fn send_webhook_with(
        &self,
        name: &str,
        event: &str,
        issue: &serde_json::Value,
        changelog: Option<serde_json::Value>,
        max_retries: u32,
    ) -> Result<Vec<u16>, SimError> {
        let Some(app) = self.app() else {
            return Err(SimError::InvalidDescriptor("no app registered".into()));
        };
        let urls: Vec<String> = self
            .with_descriptor(|d| {
                d.modules
                    .webhooks
                    .iter()
                    .filter(|w| w.event == event)
                    .map(|w| w.url.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut statuses = Vec::new();
        for template in urls {
            let key = issue
                .get("key")
                .and_then(|k| k.as_str())
                .unwrap_or_default();
            let id = issue.get("id").and_then(|k| k.as_str()).unwrap_or_default();
            let path = template
                .replace("${issue.key}", key)
                .replace("${issue.id}", id);
            let identifier = format!("{}-{}", random_hex(8), random_hex(8));
            let mut body = serde_json::json!({
                "timestamp": unix_now() * 1000,
                "webhookEvent": event,
                "issue_event_type_name": "issue_generic",
                "issue": issue,
            });
            if let Some(changelog) = &changelog {
                body["changelog"] = changelog.clone();
            }
            let mut attempt = 0;
            let status = loop {
                let gate = self.gate(name);
                let _signing = gate.read().await;
                let site = self.site(name)?;
                let token = self.host_token(&site, "POST", &path, None)?;
                let mut request = self
                    .inner
                    .http
                    .post(format!("{}{path}", app.base_url.trim_end_matches('/')))
                    .header("Authorization", format!("JWT {token}"))
                    .header("X-Atlassian-Webhook-Identifier", &identifier)
                    .header("X-Atlassian-Webhook-Flow", "Primary")
                    .json(&body);
                if attempt > 0 {
                    request = request.header("X-Atlassian-Webhook-Retry", attempt.to_string());
                }
                let status = match request.send().await {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                let retryable = matches!(status, 0 | 408 | 409 | 425 | 429 | 500..=599);
                self.record(AppCall {
                    site: name.to_owned(),
                    method: "WEBHOOK".into(),
                    path: path.clone(),
                    status,
                    failure: (!(200..300).contains(&status))
                        .then(|| format!("{event} delivery {identifier} attempt {attempt}")),
                });
                if !retryable || attempt >= max_retries {
                    break status;
                }
                attempt += 1;
                drop(_signing);
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
            };
            statuses.push(status);
        }
        Ok(statuses)
    }

    /// Reads or changes a site's content (users, issues, properties).
    pub fn with_data<T>(&self, name: &str, f: impl FnOnce(&mut SiteData) -> T) -> Option<T> {
        self.inner.data.lock().ok()?.get_mut(name).map(f)
    }

    /// Deletes a simulated issue and sends `jira:issue_deleted` with the issue as it stood.
    pub async fn delete_issue(&self, name: &str, key: &str) -> Result<Vec<u16>, SimError> {
        let site = self.site(name)?;
        let removed = self
            .with_data(name, |d| {
                let issue = d.issue(key).cloned()?;
                let json = d.issue_json(&issue, &site.base_url);
                d.issues.retain(|i| i.id != issue.id);
                Some(json)
            })
            .flatten()
            .ok_or_else(|| SimError::UnknownSite(format!("{name}/{key}")))?;
        if self.runs_forge(name) {
            let statuses = self
                .forge_deliver_event(
                    name,
                    "avi:jira:deleted:issue",
                    serde_json::json!({"issue": removed}),
                    Duration::from_millis(50),
                )
                .await?;
            return Ok(statuses.last().copied().into_iter().collect());
        }
        self.send_webhook(name, "jira:issue_deleted", &removed, 5)
            .await
    }

    /// Whether the site runs the Forge version of the app: a Forge installation and no Connect
    /// install. Jira then frames Custom UI and sends Forge events instead of webhooks.
    pub fn runs_forge(&self, name: &str) -> bool {
        self.forge_installation(name).is_some() && self.site(name).is_ok_and(|s| !s.installed)
    }

    /// Moves a simulated issue to another project: its key changes, its id stays, and
    /// `jira:issue_updated` carries the changelog, as Jira sends it.
    pub async fn move_issue(
        &self,
        name: &str,
        key: &str,
        project: &str,
    ) -> Result<Vec<u16>, SimError> {
        let site = self.site(name)?;
        let project = project.to_ascii_uppercase();
        let moved = self
            .with_data(name, |d| {
                let next = d.issues.iter().filter(|i| i.project_key == project).count() + 1;
                let issue = d.issues.iter_mut().find(|i| i.key.eq_ignore_ascii_case(key))?;
                let old_key = std::mem::replace(&mut issue.key, format!("{project}-{next}"));
                let old_project = std::mem::replace(&mut issue.project_key, project.clone());
                let issue = issue.clone();
                let mut json = d.issue_json(&issue, &site.base_url);
                json["changelog"] = serde_json::json!({"items": [
                    {"field": "project", "fieldtype": "jira", "fromString": old_project, "toString": issue.project_key},
                    {"field": "Key", "fieldtype": "jira", "fromString": old_key, "toString": issue.key},
                ]});
                Some(json)
            })
            .flatten()
            .ok_or_else(|| SimError::UnknownSite(format!("{name}/{key}")))?;
        let changelog = moved["changelog"].clone();
        let mut issue = moved;
        if let Some(map) = issue.as_object_mut() {
            map.remove("changelog");
        }
        self.send_issue_updated(name, issue, changelog).await
    }

    /// Sends "issue updated" with its changelog the way the site's app gets it: a Forge event
    /// (`avi:jira:updated:issue`) or a Connect webhook (`jira:issue_updated`).
    pub(crate) async fn send_issue_updated(
        &self,
        name: &str,
        issue: serde_json::Value,
        changelog: serde_json::Value,
    ) -> Result<Vec<u16>, SimError> {
        if self.runs_forge(name) {
            let statuses = self
                .forge_deliver_event(
                    name,
                    "avi:jira:updated:issue",
                    serde_json::json!({"issue": issue, "changelog": changelog}),
                    Duration::from_millis(50),
                )
                .await?;
            return Ok(statuses.last().copied().into_iter().collect());
        }
        self.send_webhook_with(name, "jira:issue_updated", &issue, Some(changelog), 5)
            .await
    }

    /// Moves a simulated issue to another status of the workflow ([`crate::data::WORKFLOW`]),
    /// as an agent does in Jira, and sends "issue updated" with the status change in its
    /// changelog (ids and names, from and to), as Jira sends it. A transition to the status the
    /// issue is in changes nothing and sends nothing.
    pub async fn transition_issue(
        &self,
        name: &str,
        key: &str,
        status: &str,
    ) -> Result<Vec<u16>, SimError> {
        let site = self.site(name)?;
        let to = crate::data::workflow_status(status)
            .ok_or_else(|| SimError::UnknownStatus(status.to_owned()))?;
        let changed = self
            .with_data(name, |d| {
                let issue = d
                    .issues
                    .iter_mut()
                    .find(|i| i.key.eq_ignore_ascii_case(key))?;
                if issue.status == to.name {
                    return Some(None);
                }
                let old = std::mem::replace(&mut issue.status, to.name.to_owned());
                // Later than any earlier change, even within one millisecond.
                issue.updated = crate::data::now_millis().max(issue.updated + 1);
                let issue = issue.clone();
                let json = d.issue_json(&issue, &site.base_url);
                Some(Some((json, crate::data::status_change(&old, to))))
            })
            .flatten()
            .ok_or_else(|| SimError::UnknownSite(format!("{name}/{key}")))?;
        match changed {
            Some((issue, changelog)) => self.send_issue_updated(name, issue, changelog).await,
            None => Ok(Vec::new()),
        }
    }

    /// Names of the sites where the app is installed.
    pub fn installed_sites(&self) -> Vec<String> {
        self.inner
            .sites
            .lock()
            .map(|s| {
                s.values()
                    .filter(|s| s.installed)
                    .map(|s| s.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Normal host traffic: a request from `site` to the app, signed as Jira signs it right now.
    /// With `context`, a context token in the header (as the app's own page sends); otherwise a
    /// URL-bound token (`?jwt=` on a GET). Returns the status and body.
    pub async fn call_app(
        &self,
        name: &str,
        app: &AppTarget,
        path_and_query: &str,
        context: bool,
    ) -> Result<(u16, String), SimError> {
        let gate = self.gate(name);
        let _signing = gate.read().await;
        let site = self.site(name)?;
        let request = if context {
            let token = self.context_token(&site, None)?;
            self.inner
                .http
                .get(format!(
                    "{}{path_and_query}",
                    app.base_url.trim_end_matches('/')
                ))
                .header("Authorization", format!("JWT {token}"))
        } else {
            self.inner
                .http
                .get(self.iframe_url(&site, app, path_and_query)?)
        };
        let response = request
            .send()
            .await
            .map_err(|e| SimError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Ok((status, body))
    }

    /// Rotates every installed site's secret in random batches over `plan.day`, while other
    /// tasks keep sending traffic.
    pub async fn rollout(
        &self,
        app: &AppTarget,
        plan: &RolloutPlan,
    ) -> Result<RolloutReport, SimError> {
        let (batches, statuses) = self
            .in_batches(self.installed_sites(), plan.day, plan.batches, {
                let (app, switch) = (app.clone(), plan.switch_regardless);
                move |sim, name| {
                    let app = app.clone();
                    async move { sim.rotate(&name, &app, switch).await }
                }
            })
            .await?;
        Ok(RolloutReport { batches, statuses })
    }

    /// Shuffles `sites` into `batches` random batches spread evenly over `day`, as Atlassian's
    /// rollouts go, and runs `each` on every site of a batch at once. Returns the batches and
    /// each site's outcome.
    pub(crate) async fn in_batches<T, F, Fut>(
        &self,
        mut sites: Vec<String>,
        day: Duration,
        batches: usize,
        each: F,
    ) -> Result<(Vec<Vec<String>>, Vec<(String, T)>), SimError>
    where
        T: Send + 'static,
        F: Fn(Sim, String) -> Fut,
        Fut: std::future::Future<Output = Result<T, SimError>> + Send + 'static,
    {
        shuffle(&mut sites);
        let batches = split_randomly(sites, batches.max(1));
        let started = tokio::time::Instant::now();
        let count = batches.len().max(1) as u32;
        let mut outcomes = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            tokio::time::sleep_until(started + day * i as u32 / count).await;
            let running: Vec<_> = batch
                .iter()
                .map(|name| {
                    let work = each(self.clone(), name.clone());
                    let name = name.clone();
                    tokio::spawn(async move { (name, work.await) })
                })
                .collect();
            for task in running {
                let (name, outcome) = task.await.map_err(|e| SimError::Transport(e.to_string()))?;
                outcomes.push((name, outcome?));
            }
        }
        Ok((batches, outcomes))
    }

    /// The pre-2021 lifecycle scheme ("legacy mode"): the first install is unsigned; every later
    /// one carries a new secret and is HS256-signed with the previous secret. Apps must refuse it
    /// unless configured for it. Switches to the new secret only after a 2xx.
    pub async fn install_legacy(&self, name: &str, app: &AppTarget) -> Result<u16, SimError> {
        self.set_app_key(&app.key);
        let gate = self.gate(name);
        let _switching = gate.write().await;
        let site = self.site(name)?;
        let first = !site.installed;
        let secret = if first {
            site.shared_secret.clone()
        } else {
            new_secret()
        };
        let signing = if first {
            Signing::Unsigned
        } else {
            Signing::SharedSecret(site.shared_secret.clone())
        };
        let status = self
            .post_lifecycle(&site, app, "installed", Some(&secret), &signing)
            .await?;
        if (200..300).contains(&status) {
            self.update_site(name, |s| {
                s.shared_secret = secret;
                s.installed = true;
            });
        }
        Ok(status)
    }

    pub async fn uninstall(&self, name: &str, app: &AppTarget) -> Result<u16, SimError> {
        let site = self.site(name)?;
        let status = self
            .post_lifecycle(&site, app, "uninstalled", None, &Signing::InstallKey)
            .await?;
        if (200..300).contains(&status) {
            self.update_site(name, |s| s.installed = false);
        }
        Ok(status)
    }

    /// `enabled` / `disabled`: HS256 with the site's secret, like every non-install lifecycle call.
    pub async fn set_enabled(
        &self,
        name: &str,
        app: &AppTarget,
        enabled: bool,
    ) -> Result<u16, SimError> {
        let site = self.site(name)?;
        let (event, path) = if enabled {
            ("enabled", "/enabled")
        } else {
            ("disabled", "/disabled")
        };
        let body = self.lifecycle_payload(&site, app, event, None);
        let token = self.host_token(&site, "POST", path, None)?;
        self.send_lifecycle(app, path, &body, Some(&token)).await
    }

    /// A host→app token for `method path_and_query` (relative to the app's baseUrl), as Jira puts
    /// on iframe URLs and webhooks: HS256 with the site's current secret, exact qsh.
    pub fn host_token(
        &self,
        site: &Site,
        method: &str,
        path_and_query: &str,
        account_id: Option<&str>,
    ) -> Result<String, SimError> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        self.sign_host(site, qsh(method, path, query, ""), account_id)
    }

    /// What `AP.context.getToken()` returns: `qsh: "context-qsh"`.
    pub fn context_token(&self, site: &Site, account_id: Option<&str>) -> Result<String, SimError> {
        self.sign_host(site, CONTEXT_QSH.to_owned(), account_id)
    }

    fn sign_host(
        &self,
        site: &Site,
        qsh: String,
        account_id: Option<&str>,
    ) -> Result<String, SimError> {
        let now = self.now();
        let claims = ConnectClaims {
            iss: site.client_key.clone(),
            sub: Some(account_id.unwrap_or(&site.admin_account_id).to_owned()),
            iat: now,
            exp: now + 180,
            nbf: None,
            qsh: Some(qsh),
            aud: None,
            context: Some(serde_json::json!({})),
            jti: Some(random_hex(8)),
        };
        sign_hs256(&claims, site.shared_secret.as_bytes())
            .map_err(|e| SimError::Signing(e.to_string()))
    }

    /// The URL Jira puts in an iframe for a module at `path_and_query`: the standard context
    /// parameters plus a fresh `jwt`.
    pub fn iframe_url(
        &self,
        site: &Site,
        app: &AppTarget,
        path_and_query: &str,
    ) -> Result<String, SimError> {
        self.iframe_url_as(site, app, path_and_query, None)
    }

    /// The same URL as Jira frames it for `account_id` (the installing admin when `None`).
    pub fn iframe_url_as(
        &self,
        site: &Site,
        app: &AppTarget,
        path_and_query: &str,
        account_id: Option<&str>,
    ) -> Result<String, SimError> {
        let separator = if path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let with_context = format!(
            "{path_and_query}{separator}xdm_e={}&xdm_c=channel-{}&cp=&xdm_deprecated_addon_key_do_not_use={}&lic=none&cv=1001.0.0",
            url::form_urlencoded::byte_serialize(site.base_url.as_bytes()).collect::<String>(),
            app.key,
            app.key
        );
        let token = self.host_token(site, "GET", &with_context, account_id)?;
        Ok(format!(
            "{}{with_context}&jwt={token}",
            app.base_url.trim_end_matches('/')
        ))
    }

    pub(crate) fn app_key(&self) -> String {
        self.inner
            .app_key
            .lock()
            .map(|k| k.clone())
            .unwrap_or_default()
    }

    fn set_app_key(&self, key: &str) {
        if let Ok(mut app_key) = self.inner.app_key.lock() {
            key.clone_into(&mut app_key);
        }
    }

    pub(crate) fn record(&self, call: AppCall) {
        if let Ok(mut calls) = self.inner.calls.lock() {
            if calls.len() >= MAX_LOG {
                calls.drain(..MAX_LOG / 10);
            }
            calls.push(call);
        }
    }

    /// Checks an app→Jira call as Jira does: `Authorization: JWT`, `iss` = the app key, the
    /// site's current secret, a qsh over the request (the site's context path removed), and expiry.
    pub(crate) fn verify_app_call(
        &self,
        site: &Site,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), String> {
        if uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("jwt=")))
        {
            return Err(
                "Atlassian APIs do not accept ?jwt= from apps; use the Authorization header".into(),
            );
        }
        let header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or("Access to this resource must be authenticated as an app.")?;
        let token = header
            .strip_prefix("JWT ")
            .ok_or("the Authorization header must use the JWT scheme")?;
        let unverified = Unverified::parse(token).map_err(|e| e.to_string())?;
        let app_key = self
            .inner
            .app_key
            .lock()
            .map(|k| k.clone())
            .unwrap_or_default();
        if unverified.claims.iss != app_key {
            return Err(format!(
                "iss {:?} is not the installed app's key",
                unverified.claims.iss
            ));
        }
        if unverified.claims.exp - unverified.claims.iat > 180 + 60 {
            return Err("the token lives longer than Jira allows".into());
        }
        let context_path = format!("/sites/{}", site.name);
        let checks = Checks {
            now: self.now(),
            leeway_secs: 30,
            qsh: QshCheck::Exact(qsh(method.as_str(), uri.path(), uri.query(), &context_path)),
            audience: None,
        };
        unverified
            .verify_hs256(site.shared_secret.as_bytes(), &checks)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_batches_cover_every_item_once() {
        for batches in [1, 3, 7, 50, 80] {
            let items: Vec<u32> = (0..50).collect();
            let split = split_randomly(items, batches);
            assert_eq!(split.len(), batches.min(50));
            assert!(split.iter().all(|b| !b.is_empty()));
            let mut all: Vec<u32> = split.into_iter().flatten().collect();
            all.sort_unstable();
            assert_eq!(all, (0..50).collect::<Vec<_>>());
        }
        assert!(split_randomly(Vec::<u32>::new(), 3).is_empty());
    }
}
