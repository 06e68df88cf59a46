//! The simulated site as Forge presents it to a remote: installations (which change on reinstall
//! and on the upgrade from Connect), invocations carrying a FIT and a system token, and Jira's
//! REST API under `{sim}/ex/jira/<cloudId>` that accepts only those system tokens while they are
//! valid and not revoked.

use crate::forge::{Invocation, MintError};
use crate::sim::{Sim, SimError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// The simulated Forge app's id: what `--forge-app-id` is set to against the simulator.
pub const SIM_FORGE_APP: &str = "ari:cloud:ecosystem::app/5e1f0a7c-4d2b-4c3a-9f10-a11ce5a55e75";

/// The simulated Forge app's one environment, as FITs and field type ids name it.
pub const SIM_FORGE_ENVIRONMENT: &str = "sim-production";

/// How long a system token lives by default. Real ones from scheduled triggers are valid for
/// at least 2 hours; tests shorten it to watch expiry.
pub const SYSTEM_TOKEN_TTL_SECS: i64 = 3 * 3600;

/// A site's Forge side.
#[derive(Debug, Clone, Default)]
pub(crate) struct ForgeSite {
    pub installation_id: Option<String>,
    pub tokens: Vec<IssuedToken>,
    /// The key this site's invocations are signed with while a key rollout moves sites one
    /// batch at a time; the signer's active key otherwise.
    pub signing_kid: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub token: String,
    pub exp: i64,
    pub revoked: bool,
    /// A user token (`x-forge-oauth-user`) acts as this person; a system token as the app.
    pub user: Option<String>,
}

/// Where Forge posts events and triggers on the remote (the manifest's `amj-events` endpoint).
pub const FORGE_EVENTS_PATH: &str = "/forge/events";
/// The trigger module whose invocations carry issue events.
pub const ISSUE_TRIGGER: &str = "amj-issue-events";
/// How long Forge waits for the remote to answer one delivery.
pub const EVENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Retries after the first delivery, as Forge makes for a failed or timed-out one.
pub const EVENT_RETRIES: u32 = 4;

/// One invocation as Forge sends it to the remote: the FIT and the system token.
#[derive(Debug, Clone)]
pub struct ForgeCall {
    pub fit: String,
    pub system_token: String,
    pub installation_id: String,
}

#[derive(Serialize)]
struct TokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    let _ = aws_lc_rs::rand::fill(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh installation id, in Forge's ARI shape.
pub fn new_installation_id() -> String {
    format!(
        "ari:cloud:ecosystem::installation/{}-{}-4{}-8{}-{}",
        random_hex(4),
        random_hex(2),
        &random_hex(2)[1..],
        &random_hex(2)[1..],
        random_hex(6)
    )
}

impl Sim {
    /// The site's Atlassian cloud id (stable for the site's life).
    pub fn cloud_id(&self, site: &str) -> Result<String, SimError> {
        Ok(self.site(site)?.cloud_id)
    }

    /// Where Forge says the site's Jira API is: `{sim}/ex/jira/<cloudId>`.
    pub fn forge_api_base_url(&self, site: &str) -> Result<String, SimError> {
        Ok(format!(
            "{}/ex/jira/{}",
            self.base_url(),
            self.cloud_id(site)?
        ))
    }

    /// Installs the Forge app on the site under `installation_id` (a new one when `None`),
    /// replacing any earlier installation, as a reinstall or the upgrade from Connect does.
    pub fn forge_install(
        &self,
        site: &str,
        installation_id: Option<String>,
    ) -> Result<String, SimError> {
        self.site(site)?;
        let id = installation_id.unwrap_or_else(new_installation_id);
        self.update_forge(site, |f| {
            f.installation_id = Some(id.clone());
            f.tokens.clear();
        });
        Ok(id)
    }

    /// The upgrade from Connect, as Atlassian performs it: the Connect version is uninstalled
    /// *without* a lifecycle callback, and the Forge installation starts under the id the
    /// site's Connect `installed` declared. Returns the installation id.
    pub fn forge_upgrade(&self, site: &str) -> Result<String, SimError> {
        let record = self.site(site)?;
        let declared = format!("ari:cloud:ecosystem::installation/{}", record.client_key);
        self.update_site(site, |s| s.installed = false);
        self.forge_install(site, Some(declared))
    }

    /// Atlassian's move of every site on the Connect version to Forge, in random batches over
    /// `day` (a time-scaled day): each site is upgraded as [`Sim::forge_upgrade`] does, while
    /// traffic goes on. Returns the batches and each site's new installation id.
    pub async fn forge_rollout(
        &self,
        day: std::time::Duration,
        batches: usize,
    ) -> Result<(Vec<Vec<String>>, Vec<(String, String)>), SimError> {
        self.in_batches(
            self.installed_sites(),
            day,
            batches,
            |sim, name| async move { sim.forge_upgrade(&name) },
        )
        .await
    }

    /// Delivers a product event of `event_type` from the site to the remote, as Forge does: a
    /// fresh invocation token and system token per attempt, a 5 s timeout, and up to 4 retries
    /// of a failed or timed-out delivery, each carrying `retryContext`. Returns the status of
    /// every attempt (0: no answer in time).
    pub async fn forge_deliver_event(
        &self,
        site: &str,
        event_type: &str,
        mut payload: serde_json::Value,
        backoff: std::time::Duration,
    ) -> Result<Vec<u16>, SimError> {
        let app = self
            .app()
            .ok_or_else(|| SimError::InvalidDescriptor("no app registered".into()))?;
        if let Some(object) = payload.as_object_mut() {
            object.insert("eventType".into(), event_type.into());
        }
        let url = format!("{}{FORGE_EVENTS_PATH}", app.base_url.trim_end_matches('/'));
        let mut statuses = Vec::new();
        for attempt in 0..=EVENT_RETRIES {
            if attempt > 0 {
                tokio::time::sleep(backoff * attempt).await;
                if let Some(object) = payload.as_object_mut() {
                    object.insert(
                        "retryContext".into(),
                        serde_json::json!({
                            "retryCount": attempt,
                            "retryReason": if statuses.last() == Some(&0) { "TIMEOUT_ERROR" } else { "FUNCTION_ERROR" },
                            "retryData": null,
                        }),
                    );
                }
            }
            let call = self.forge_invoke(site, ISSUE_TRIGGER, None)?;
            let status = match self
                .http()
                .post(&url)
                .timeout(EVENT_TIMEOUT)
                .bearer_auth(&call.fit)
                .header("x-forge-oauth-system", &call.system_token)
                .json(&payload)
                .send()
                .await
            {
                Ok(response) => response.status().as_u16(),
                Err(_) => 0,
            };
            statuses.push(status);
            let delivered = (200..300).contains(&status);
            self.record(crate::sim::AppCall {
                site: site.to_owned(),
                method: "FORGE EVENT".into(),
                path: FORGE_EVENTS_PATH.to_owned(),
                status,
                failure: (!delivered).then(|| format!("{event_type} attempt {attempt}")),
            });
            if delivered {
                break;
            }
        }
        Ok(statuses)
    }

    /// Forge's key rotation as a batched rollout over `day`: a new key is published first; the
    /// sites' invocations then move to it batch by batch; once every site signs with it, it
    /// becomes the active key, and after `grace` the old keys leave the JWKS. Returns the new
    /// kid and the batches.
    pub async fn forge_key_rollout(
        &self,
        day: std::time::Duration,
        batches: usize,
        grace: std::time::Duration,
    ) -> Result<(String, Vec<Vec<String>>), SimError> {
        let kid = self
            .forge()
            .publish_next()
            .map_err(|_| SimError::Startup("could not generate a Forge key".into()))?;
        let sites: Vec<String> = self
            .site_names()
            .into_iter()
            .filter(|s| self.forge_installation(s).is_some())
            .collect();
        let (batches, _) = self
            .in_batches(sites, day, batches, {
                let kid = kid.clone();
                move |sim, name| {
                    let kid = kid.clone();
                    async move {
                        sim.update_forge(&name, |f| f.signing_kid = Some(kid));
                        Ok(())
                    }
                }
            })
            .await?;
        self.forge().activate(&kid);
        for name in self.site_names() {
            self.update_forge(&name, |f| f.signing_kid = None);
        }
        tokio::time::sleep(grace).await;
        self.forge().retire_inactive();
        Ok((kid, batches))
    }

    /// The installation id the site's Forge app has now.
    pub fn forge_installation(&self, site: &str) -> Option<String> {
        self.forge_site(site).and_then(|f| f.installation_id)
    }

    /// A new system token for the site, valid for `ttl_secs` of simulator time. Like Atlassian's
    /// it is a JWT whose `exp` is readable; unlike theirs its signature is a random string, and
    /// the simulator accepts it by looking it up.
    pub fn mint_system_token(&self, site: &str, ttl_secs: i64) -> Result<String, SimError> {
        self.mint_token(site, ttl_secs, None)
    }

    /// A user token for `account_id` (what Forge sends as `x-forge-oauth-user` when the
    /// endpoint asks for it): Jira answers it as that person, with their permissions.
    pub fn mint_user_token(
        &self,
        site: &str,
        account_id: &str,
        ttl_secs: i64,
    ) -> Result<String, SimError> {
        self.mint_token(site, ttl_secs, Some(account_id))
    }

    fn mint_token(
        &self,
        site: &str,
        ttl_secs: i64,
        user: Option<&str>,
    ) -> Result<String, SimError> {
        let installation = self
            .forge_installation(site)
            .ok_or_else(|| SimError::UnknownSite(format!("{site} (no Forge installation)")))?;
        let now = self.now();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = TokenClaims {
            iss: "sim-forge-oauth",
            sub: &installation,
            exp: now + ttl_secs,
            iat: now,
            jti: random_hex(12),
        };
        let payload = serde_json::to_vec(&claims)
            .map_err(|e| SimError::Startup(format!("system token claims: {e}")))?;
        let token = format!(
            "{header}.{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            random_hex(32)
        );
        self.update_forge(site, |f| {
            f.tokens.push(IssuedToken {
                token: token.clone(),
                exp: now + ttl_secs,
                revoked: false,
                user: user.map(str::to_owned),
            });
        });
        Ok(token)
    }

    /// How long the system tokens of later invocations live (simulator seconds): shorten it to
    /// watch tokens expire within a test.
    pub fn set_system_token_ttl(&self, secs: i64) {
        self.inner_token_ttl()
            .store(secs.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Lets only `allowed` browse `project`'s issues on the site (an issue security scheme, in
    /// effect): user tokens of anyone else get 404 for them, as Jira answers.
    pub fn restrict_project(&self, site: &str, project: &str, allowed: &[&str]) {
        self.with_data(site, |d| {
            d.restricted_projects.insert(
                project.to_owned(),
                allowed.iter().map(|a| (*a).to_owned()).collect(),
            );
        });
    }

    /// Revokes every system token of the site (an uninstall, or Atlassian revoking them).
    pub fn revoke_system_tokens(&self, site: &str) {
        self.update_forge(site, |f| {
            for token in &mut f.tokens {
                token.revoked = true;
            }
        });
    }

    /// One invocation of `module_key` from the site: a FIT for its current installation, and
    /// a fresh system token. UI invocations (`principal` set) carry the site's context.
    pub fn forge_invoke(
        &self,
        site: &str,
        module_key: &str,
        principal: Option<&str>,
    ) -> Result<ForgeCall, SimError> {
        let extension = serde_json::json!({"type": "jira:globalPage"});
        self.forge_invoke_module(site, module_key, "jira:globalPage", principal, extension)
    }

    /// An invocation from a UI module of `module_type` whose context carries `extension` (the
    /// issue of an issue context module, say), as the module's `invokeRemote` calls make.
    pub fn forge_invoke_module(
        &self,
        site: &str,
        module_key: &str,
        module_type: &str,
        principal: Option<&str>,
        extension: serde_json::Value,
    ) -> Result<ForgeCall, SimError> {
        let installation_id = self
            .forge_installation(site)
            .ok_or_else(|| SimError::UnknownSite(format!("{site} (no Forge installation)")))?;
        let record = self.site(site)?;
        let context = principal.map(|_| {
            serde_json::json!({
                "cloudId": record.cloud_id,
                "siteUrl": record.base_url,
                "moduleKey": module_key,
                "localId": format!("{module_key}-{}", random_hex(4)),
                "extension": extension,
            })
        });
        let invocation = Invocation {
            app_ari: SIM_FORGE_APP.to_owned(),
            installation_id: installation_id.clone(),
            api_base_url: self.forge_api_base_url(site)?,
            module_type: if principal.is_some() {
                module_type.to_owned()
            } else {
                "core:endpoint".to_owned()
            },
            module_key: module_key.to_owned(),
            principal: principal.map(str::to_owned),
            context,
        };
        let kid = self.forge_site(site).and_then(|f| f.signing_kid);
        let fit = self
            .forge()
            .mint_with(&invocation, self.now(), kid.as_deref())
            .map_err(|MintError| SimError::Startup("could not sign a FIT".into()))?;
        let ttl = self
            .inner_token_ttl()
            .load(std::sync::atomic::Ordering::Relaxed);
        let system_token = self.mint_system_token(site, ttl)?;
        Ok(ForgeCall {
            fit,
            system_token,
            installation_id,
        })
    }

    /// Whether `authorization` holds a valid, unrevoked system or user token of the site with
    /// this cloud id; the site's name, and the person a user token acts as.
    pub(crate) fn verify_forge_token(
        &self,
        cloud_id: &str,
        authorization: Option<&str>,
    ) -> Result<(String, Option<String>), String> {
        let site = self
            .site_by_cloud_id(cloud_id)
            .ok_or_else(|| format!("no site has cloud id {cloud_id}"))?;
        let token = authorization
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or("Forge calls need Authorization: Bearer <system token>")?;
        let forge = self.forge_site(&site).unwrap_or_default();
        let issued = forge
            .tokens
            .iter()
            .find(|t| t.token == token)
            .ok_or("the token was not issued for this site")?;
        if issued.revoked {
            return Err("the token was revoked".into());
        }
        if issued.exp <= self.now() {
            return Err("the token has expired".into());
        }
        Ok((site, issued.user.clone()))
    }
}
