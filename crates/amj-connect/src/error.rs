//! Authentication failures, each with a stable reason code.
//!
//! The codes are an interface: they appear in 401 bodies, in metrics labels and in alert rules, so
//! operators can tell "Jira rotated the secret and we lost it" (`bad_signature` for one site) from
//! "a scanner is poking at us" (`malformed`, `unknown_issuer`) at a glance.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
}

impl AuthReason {
    pub const ALL: [AuthReason; 15] = [
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
    ];

    pub const fn code(self) -> &'static str {
        match self {
            AuthReason::MissingToken => "missing_token",
            AuthReason::Malformed => "malformed",
            AuthReason::BadSignature => "bad_signature",
            AuthReason::Expired => "expired",
            AuthReason::NotYetValid => "not_yet_valid",
            AuthReason::QshMismatch => "qsh_mismatch",
            AuthReason::UnknownIssuer => "unknown_issuer",
            AuthReason::TenantUninstalled => "tenant_uninstalled",
            AuthReason::TenantDisabled => "tenant_disabled",
            AuthReason::WrongAudience => "wrong_audience",
            AuthReason::UnknownKey => "unknown_key",
            AuthReason::KeyFetchFailed => "key_fetch_failed",
            AuthReason::AlgNotAllowed => "alg_not_allowed",
            AuthReason::HostNotAllowed => "host_not_allowed",
            AuthReason::InvalidApiToken => "invalid_api_token",
        }
    }

    /// A dense index, so counters can live in fixed arrays instead of maps.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

impl fmt::Display for AuthReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
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
