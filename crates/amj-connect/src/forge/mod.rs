//! Forge Remote: how Forge calls our server. Each call carries a Forge Invocation Token (FIT), an
//! RS256 JWT signed with keys Atlassian publishes as a JWKS, and, when the manifest asks for
//! them, OAuth tokens for calling Jira back (`x-forge-oauth-system`, `x-forge-oauth-user`).
//!
//! Nothing secret is shared per site, but the signing keys rotate: [`jwks`] holds them so that a
//! rotation can never lock a site out (keys published ahead of use are fetched before they sign,
//! an unknown `kid` refetches, a failed fetch keeps what is held). [`fit`] verifies a token and
//! types its claims. Failures use the same stable [`crate::AuthReason`] codes as Connect's.

pub mod fit;
pub mod jwks;
pub mod manifest;

pub use fit::{AppAri, Fit, FitConfig, claimed_installation_id, oauth_token_expiry, verify_fit};
pub use jwks::{FitKey, FitKeys, HttpJwks, JWKS_PRODUCTION, JWKS_STAGING};

#[cfg(test)]
mod tests;
