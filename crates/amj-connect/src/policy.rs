//! Which tokens a route accepts.
//!
//! CVE-2021-26074 was a context token (`qsh: "context-qsh"`) accepted on a lifecycle route. The
//! route kind decides the policy, and the kinds that must be URL-bound cannot be configured
//! otherwise: `QshPolicy::ExactOrContext` is only reachable through `RouteKind::Api`.

use jsonwebtoken::Algorithm;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QshPolicy {
    /// The token's qsh must equal the hash of this very request.
    Exact,
    /// Also accept the literal `context-qsh` of tokens from `AP.context.getToken()`.
    ExactOrContext,
}

/// A kind of route; its label (for metrics) is the variant's name in snake_case.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::IntoStaticStr, strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum RouteKind {
    /// `installed` and `uninstalled`: RS256 from Atlassian's key server.
    Lifecycle,
    /// `enabled` and `disabled`: HS256 with the shared secret, URL-bound.
    LifecycleNotification,
    Webhook,
    /// A module URL rendered inside a Jira iframe (`?jwt=` on a GET).
    Iframe,
    /// Our own JSON API, called from our pages with context tokens.
    Api,
    /// Our JSON API called through Forge (`invokeRemote`) with a Forge Invocation Token.
    ForgeApi,
    /// `POST /forge/events`: product events, lifecycle events and scheduled triggers.
    ForgeEvent,
}

impl RouteKind {
    /// Every kind, in declaration order; a constant, so it can size counter arrays.
    pub const ALL: [RouteKind; 7] = [
        RouteKind::Lifecycle,
        RouteKind::LifecycleNotification,
        RouteKind::Webhook,
        RouteKind::Iframe,
        RouteKind::Api,
        RouteKind::ForgeApi,
        RouteKind::ForgeEvent,
    ];

    pub const fn qsh_policy(self) -> QshPolicy {
        match self {
            RouteKind::Api => QshPolicy::ExactOrContext,
            // FITs carry no qsh; `Exact` keeps a stray Connect token off Forge routes.
            RouteKind::Lifecycle
            | RouteKind::LifecycleNotification
            | RouteKind::Webhook
            | RouteKind::Iframe
            | RouteKind::ForgeApi
            | RouteKind::ForgeEvent => QshPolicy::Exact,
        }
    }

    /// Algorithm pinning: exactly one algorithm per route, so neither `none` nor an RS/HS
    /// confusion can get through.
    pub const fn algorithm(self) -> Algorithm {
        match self {
            RouteKind::Lifecycle | RouteKind::ForgeApi | RouteKind::ForgeEvent => Algorithm::RS256,
            _ => Algorithm::HS256,
        }
    }

    pub fn label(self) -> &'static str {
        self.into()
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn all_lists_every_kind_and_labels_are_pinned() {
        assert_eq!(RouteKind::iter().collect::<Vec<_>>(), RouteKind::ALL);
        let labels: Vec<_> = RouteKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(
            labels,
            [
                "lifecycle",
                "lifecycle_notification",
                "webhook",
                "iframe",
                "api",
                "forge_api",
                "forge_event"
            ]
        );
    }

    #[test]
    fn only_the_api_accepts_context_tokens() {
        for kind in RouteKind::ALL {
            let expected = if kind == RouteKind::Api {
                QshPolicy::ExactOrContext
            } else {
                QshPolicy::Exact
            };
            assert_eq!(kind.qsh_policy(), expected, "{kind:?}");
        }
    }

    #[test]
    fn only_installs_and_forge_are_asymmetric() {
        for kind in RouteKind::ALL {
            let forge = matches!(kind, RouteKind::ForgeApi | RouteKind::ForgeEvent);
            let expected = if kind == RouteKind::Lifecycle || forge {
                Algorithm::RS256
            } else {
                Algorithm::HS256
            };
            assert_eq!(kind.algorithm(), expected);
        }
    }
}
