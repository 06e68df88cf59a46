//! Authentication failures, each with a stable reason code.
//!
//! The codes are an interface: they appear in 401 bodies, in metrics labels and in alert rules, so
//! operators can tell "Jira rotated the secret and we lost it" (`bad_signature` for one site) from
//! "a scanner is poking at us" (`malformed`, `unknown_issuer`) at a glance.

/// A rejection's reason; its code (and `Display`) is the variant's name in snake_case.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum AuthReason {
    MissingToken,
    Malformed,
    BadSignature,
    Expired,
    NotYetValid,
    QshMismatch,
    UnknownIssuer,
    TenantUninstalled,
    TenantDisabled,
    WrongAudience,
    UnknownKey,
    KeyFetchFailed,
    AlgNotAllowed,
    /// An install from a site whose host is not in the allow-list.
    HostNotAllowed,
    /// A `Bearer` API token that is unknown or revoked. API tokens are the app's own credential,
    /// not Connect's, but their failures belong on the same dashboards.
    InvalidApiToken,
    /// A Forge invocation token not issued by Forge (`iss`).
    WrongIssuer,
    /// A token without a claim the protocol requires (a FIT's `jti`, say).
    MissingClaim,
}

impl AuthReason {
    /// Every reason, in declaration order; a constant, so it can size counter arrays.
    pub const ALL: [AuthReason; 17] = [
        AuthReason::MissingToken,
        AuthReason::Malformed,
        AuthReason::BadSignature,
        AuthReason::Expired,
        AuthReason::NotYetValid,
        AuthReason::QshMismatch,
        AuthReason::UnknownIssuer,
        AuthReason::TenantUninstalled,
        AuthReason::TenantDisabled,
        AuthReason::WrongAudience,
        AuthReason::UnknownKey,
        AuthReason::KeyFetchFailed,
        AuthReason::AlgNotAllowed,
        AuthReason::HostNotAllowed,
        AuthReason::InvalidApiToken,
        AuthReason::WrongIssuer,
        AuthReason::MissingClaim,
    ];

    pub fn code(self) -> &'static str {
        self.into()
    }

    /// A dense index, so counters can live in fixed arrays instead of maps.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// A rejected token. The message is safe to show to the caller: it never contains a secret or
/// the token itself.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{reason}: {message}")]
pub struct AuthError {
    pub reason: AuthReason,
    pub message: String,
}

impl AuthError {
    pub fn new(reason: AuthReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use strum::IntoEnumIterator;

    #[test]
    fn all_lists_every_reason_in_order() {
        assert_eq!(AuthReason::iter().collect::<Vec<_>>(), AuthReason::ALL);
    }

    /// The codes are an interface (401 bodies, metric labels, alert rules): renaming a variant
    /// must not change one unnoticed.
    #[test]
    fn codes_are_pinned() {
        let codes: Vec<_> = AuthReason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                "missing_token",
                "malformed",
                "bad_signature",
                "expired",
                "not_yet_valid",
                "qsh_mismatch",
                "unknown_issuer",
                "tenant_uninstalled",
                "tenant_disabled",
                "wrong_audience",
                "unknown_key",
                "key_fetch_failed",
                "alg_not_allowed",
                "host_not_allowed",
                "invalid_api_token",
                "wrong_issuer",
                "missing_claim",
            ]
        );
        assert_eq!(AuthReason::QshMismatch.to_string(), "qsh_mismatch");
    }

    #[test]
    fn codes_are_unique_and_indices_dense() {
        let mut codes: Vec<_> = AuthReason::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AuthReason::ALL.len());
        for (i, reason) in AuthReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
        }
    }
}
