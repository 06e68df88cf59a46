//! Request authentication: from a raw host token to an authenticated `(Tenant, accountId)`.
//!
//! Handlers never see tokens. Extractors (in `web::extract`) call `RequestAuthenticator`, which
//! pins the algorithm, finds the tenant by `iss`, verifies the signature with the tenant's current
//! secret, checks times and the qsh policy of the route kind, and refuses uninstalled or disabled
//! sites. Every outcome is counted by route kind and reason.

pub(crate) mod counters;
pub(crate) mod directory;
pub mod forge;
pub(crate) mod sharded;

use amj_connect::jwt::{Checks, QshCheck, Unverified};
use amj_connect::{AuthError, AuthReason, QshPolicy, RouteKind, TokenKind};
use amj_store::{StoreError, Tenant};
pub use counters::AuthCounters;
pub use directory::TenantDirectory;
use std::sync::Arc;

/// The method, path and raw query of the request being authenticated: what the qsh covers.
#[derive(Debug, Clone, Copy)]
pub struct RequestTarget<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Authenticated {
    pub tenant: Arc<Tenant>,
    pub account_id: Option<String>,
    pub token_kind: TokenKind,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct RequestAuthenticator {
    pub directory: Arc<TenantDirectory>,
    pub counters: Arc<AuthCounters>,
    /// The path part of the app's baseUrl, removed before hashing (docs/CONNECT.md §4.4).
    pub app_base_path: String,
    pub leeway_secs: i64,
}

impl RequestAuthenticator {
    /// Authenticates an HS256 host token (iframe, webhook, `enabled`/`disabled`, API).
    pub async fn authenticate(
        &self,
        kind: RouteKind,
        token: &str,
        target: RequestTarget<'_>,
    ) -> Result<Authenticated, AuthFailure> {
        let unverified = match Unverified::parse(token) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.counters.record_failure(kind, e.reason, None);
                return Err(e.into());
            }
        };
        let result = self.authenticate_uncounted(kind, &unverified, target).await;
        match &result {
            Ok(auth) => self.counters.record_success(kind, Some(&auth.tenant)),
            Err(AuthFailure::Auth(e)) => {
                // The claimed site, from the cache only: a failure must not cost a query.
                let tenant = self.directory.peek(Some(&unverified.claims.iss));
                self.counters
                    .record_failure(kind, e.reason, tenant.as_deref());
            }
            Err(AuthFailure::Store(_)) => {}
        }
        result
    }

    async fn authenticate_uncounted(
        &self,
        kind: RouteKind,
        unverified: &Unverified<'_>,
        target: RequestTarget<'_>,
    ) -> Result<Authenticated, AuthFailure> {
        unverified.require_alg(kind.algorithm())?;
        let expected = amj_connect::qsh::qsh(
            target.method,
            target.path,
            target.query,
            &self.app_base_path,
        );
        let checks = Checks {
            now: unix_now(),
            leeway_secs: self.leeway_secs,
            qsh: match kind.qsh_policy() {
                QshPolicy::Exact => QshCheck::Exact(expected),
                QshPolicy::ExactOrContext => QshCheck::ExactOrContext(expected),
            },
            audience: None,
        };
        let iss = unverified.claims.iss.as_str();
        let Some(lookup) = self.directory.get(iss).await? else {
            return Err(AuthError::new(
                AuthReason::UnknownIssuer,
                "no installed site has this clientKey",
            )
            .into());
        };
        match attempt(kind, unverified, &lookup.tenant, &checks) {
            Ok(auth) => Ok(auth),
            // A rejection that cached data could explain (a rotated secret, a reinstall) is only
            // final once the database agrees: a stale cache must never reject a valid token.
            Err(e) if lookup.from_cache && is_cache_sensitive(e.reason) => {
                match self.directory.reload(iss).await? {
                    Some(fresh)
                        if fresh.updated_at != lookup.tenant.updated_at
                            || fresh.secret_fingerprint != lookup.tenant.secret_fingerprint =>
                    {
                        Ok(attempt(kind, unverified, &fresh, &checks)?)
                    }
                    Some(_) => Err(e.into()),
                    None => Err(AuthError::new(
                        AuthReason::UnknownIssuer,
                        "no installed site has this clientKey",
                    )
                    .into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn is_cache_sensitive(reason: AuthReason) -> bool {
    matches!(
        reason,
        AuthReason::BadSignature | AuthReason::TenantUninstalled | AuthReason::TenantDisabled
    )
}

/// One verification against one version of the tenant record.
fn attempt(
    kind: RouteKind,
    unverified: &Unverified<'_>,
    tenant: &Arc<Tenant>,
    checks: &Checks<'_>,
) -> Result<Authenticated, AuthError> {
    // A site only Forge reaches has a reserved clientKey and a secret nobody holds; say so
    // rather than fail on the signature.
    if !tenant.connect {
        return Err(AuthError::new(
            AuthReason::UnknownIssuer,
            "this site runs the Forge version; Connect tokens are not accepted for it",
        ));
    }
    let claims = unverified.verify_hs256_prepared(tenant.shared_secret.hs256(), checks)?;
    // `enabled`/`disabled` are how a site becomes active again: their status is the handler's
    // business. Every other route refuses sites that are not active.
    if kind != RouteKind::LifecycleNotification {
        if !tenant.installed {
            return Err(AuthError::new(
                AuthReason::TenantUninstalled,
                "the app is uninstalled from this site",
            ));
        }
        if !tenant.enabled {
            return Err(AuthError::new(
                AuthReason::TenantDisabled,
                "the app is disabled on this site",
            ));
        }
    }
    Ok(Authenticated {
        account_id: claims.account_id().map(str::to_owned),
        token_kind: claims.kind(),
        tenant: Arc::clone(tenant),
    })
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
