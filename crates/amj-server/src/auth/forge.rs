//! Forge Remote authentication: from a Forge Invocation Token to the site's tenant.
//!
//! Three things rotate under us without notice (docs/FORGE.md): the JWKS keys, the system tokens
//! and the installation ids. Each is handled so that a rotation cannot lock a site out:
//! - keys come from [`amj_connect::forge::HttpJwks`], which refetches on an unknown `kid`;
//! - an installation id we have never seen is not refused: the store joins it to its site's
//!   tenant or provisions one, and logs which ([`Store::resolve_forge_installation`]);
//! - every system token is stored before the request is served, and only a longer-lived one
//!   replaces it.
//!
//! Every outcome is counted by route kind and reason, per site when the site is known.

use super::{AuthCounters, TenantDirectory};
use amj_connect::forge::{FitConfig, FitKeys, HttpJwks, claimed_installation_id, verify_fit};
use amj_connect::{AuthError, AuthReason, RouteKind};
use amj_store::forge::ForgeSighting;
use amj_store::{StoreError, Tenant};
use std::sync::Arc;

/// A system token is used only while it has at least this long left: a call that starts with
/// a token about to expire would fail half-way. (ACPlay uses 200 ms; Jira calls take longer.)
pub const SYSTEM_TOKEN_MARGIN_MS: i64 = 30_000;

/// What a verified FIT told us, with the tenant it resolved to.
#[derive(Debug, Clone)]
pub struct ForgeInvocation {
    pub tenant: Arc<Tenant>,
    pub installation_id: String,
    pub cloud_id: String,
    pub api_base_url: String,
    /// `context.siteUrl`, for UI invocations.
    pub site_url: Option<String>,
    pub account_id: Option<String>,
    pub module_key: Option<String>,
    /// The person's `x-forge-oauth-user` token, for what they do themselves (request only).
    pub user_token: Option<crate::jira::UserToken>,
    /// The installation is cut off from its site's Connect data: API calls are refused with a
    /// clear error rather than served from an empty tenant.
    pub link_missing: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ForgeAuthFailure {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct ForgeAuthenticator {
    pub fit: FitConfig,
    pub keys: Arc<dyn FitKeys>,
    /// The HTTP key set when keys come from a JWKS URL: its stats feed the metrics.
    pub jwks: Option<Arc<HttpJwks>>,
    pub directory: Arc<TenantDirectory>,
    pub counters: Arc<AuthCounters>,
    pub app_key: String,
    /// Per installation, the expiry (ms) of the system token already stored: a request that
    /// brings the same token costs no write. Shared with the Jira client, which forgets an
    /// installation whose token Jira refused.
    stored_token_exp: HeldTokens,
    #[cfg(feature = "fault-injection")]
    pub faults: Option<crate::config::Faults>,
}

/// The `never_refetch_jwks` fault: only the keys already held verify.
#[cfg(feature = "fault-injection")]
struct HeldOnly<'a>(&'a HttpJwks);

#[cfg(feature = "fault-injection")]
#[async_trait::async_trait]
impl FitKeys for HeldOnly<'_> {
    async fn key(&self, kid: &str) -> Result<amj_connect::forge::FitKey, AuthError> {
        self.0.held(kid).ok_or_else(|| {
            AuthError::new(
                AuthReason::UnknownKey,
                "the invocation token is signed with a key Forge does not publish",
            )
        })
    }
}

/// Installation id → expiry (ms) of the system token this instance knows is stored.
pub type HeldTokens = moka::sync::Cache<String, i64>;

/// The cache of [`HeldTokens`], bounded like the tenant caches.
pub fn held_tokens() -> HeldTokens {
    moka::sync::Cache::new(200_000)
}

impl ForgeAuthenticator {
    pub fn new(
        fit: FitConfig,
        keys: Arc<dyn FitKeys>,
        jwks: Option<Arc<HttpJwks>>,
        directory: Arc<TenantDirectory>,
        counters: Arc<AuthCounters>,
        app_key: String,
        held: HeldTokens,
    ) -> Self {
        Self {
            fit,
            keys,
            jwks,
            directory,
            counters,
            app_key,
            stored_token_exp: held,
            #[cfg(feature = "fault-injection")]
            faults: None,
        }
    }

    /// Verifies a FIT and resolves its installation; counts the outcome.
    pub async fn authenticate(
        &self,
        kind: RouteKind,
        token: &str,
    ) -> Result<ForgeInvocation, ForgeAuthFailure> {
        let result = self.authenticate_uncounted(token).await;
        match &result {
            Ok(invocation) => self.counters.record_success(kind, Some(&invocation.tenant)),
            Err(ForgeAuthFailure::Auth(e)) => {
                // The claimed installation, from the cache only: never a query, never trusted.
                let tenant = claimed_installation_id(token)
                    .and_then(|id| self.directory.peek_installation(&id));
                self.counters
                    .record_failure(kind, e.reason, tenant.as_deref());
            }
            Err(ForgeAuthFailure::Store(_)) => {}
        }
        result
    }

    async fn authenticate_uncounted(
        &self,
        token: &str,
    ) -> Result<ForgeInvocation, ForgeAuthFailure> {
        #[cfg(feature = "fault-injection")]
        if let (Some(faults), Some(jwks)) = (&self.faults, &self.jwks)
            && faults.never_refetch_jwks()
        {
            let fit = verify_fit(token, &HeldOnly(jwks), &self.fit).await?;
            return self.resolve(fit).await;
        }
        let fit = verify_fit(token, self.keys.as_ref(), &self.fit).await?;
        self.resolve(fit).await
    }

    async fn resolve(
        &self,
        fit: amj_connect::forge::Fit,
    ) -> Result<ForgeInvocation, ForgeAuthFailure> {
        let cloud_id = fit.cloud_id().ok_or_else(|| {
            AuthError::new(
                AuthReason::MissingClaim,
                "the invocation token names no cloud id (context.cloudId or app.apiBaseUrl)",
            )
        })?;
        let context = fit.context.as_ref();
        let site_url = context.and_then(|c| c.site_url.clone());
        let environment = fit.app.environment.as_ref().map(|e| e.kind.clone());
        let sighting = ForgeSighting {
            installation_id: &fit.app.installation_id,
            cloud_id: &cloud_id,
            api_base_url: &fit.app.api_base_url,
            site_url: site_url.as_deref(),
            environment: environment.as_deref(),
            app_key: &self.app_key,
        };
        let found = self.directory.forge_tenant(&sighting).await?;
        let tenant = found.tenant;
        tracing::Span::current().record("tenant", tenant.client_key.as_str());
        Ok(ForgeInvocation {
            tenant,
            link_missing: found.link_missing,
            installation_id: fit.app.installation_id.clone(),
            cloud_id,
            api_base_url: fit.app.api_base_url.clone(),
            site_url,
            account_id: fit.principal.clone(),
            module_key: fit.app.module.as_ref().map(|m| m.key.clone()),
            user_token: None,
        })
    }

    /// Stores the invocation's `x-forge-oauth-system` token if it outlives the one held. The
    /// token is stored before the request is served, so the next background job can use it.
    pub async fn keep_system_token(
        &self,
        invocation: &ForgeInvocation,
        token: &str,
    ) -> Result<(), StoreError> {
        let Some(exp_secs) = amj_connect::forge::oauth_token_expiry(token) else {
            tracing::warn!(installation = %invocation.installation_id, "the system token carries no readable exp; not stored");
            return Ok(());
        };
        let exp_ms = exp_secs.saturating_mul(1000);
        if self
            .stored_token_exp
            .get(&invocation.installation_id)
            .is_some_and(|held| held >= exp_ms)
        {
            return Ok(());
        }
        self.directory
            .store()
            .store_system_token(&invocation.installation_id, token, exp_ms)
            .await?;
        self.stored_token_exp
            .insert(invocation.installation_id.clone(), exp_ms);
        Ok(())
    }
}
