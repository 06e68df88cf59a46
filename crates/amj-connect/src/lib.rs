//! The Atlassian platform protocols: Connect, as `docs/CONNECT.md` summarises it, and Forge
//! Remote's invocation tokens and signing keys (`forge`, `docs/FORGE.md`).
//!
//! This crate knows tokens, query-string hashes, lifecycle payloads, install keys, JWKS and the
//! descriptor. It knows nothing about assets, storage or HTTP routing, so the server and the Jira
//! simulator share one implementation: a bug cannot hide by being mirrored on both sides, because
//! both are also checked against the byte-exact vectors in the protocol brief.

pub mod descriptor;
pub mod error;
pub mod forge;
pub mod install_keys;
pub mod jwt;
pub mod lifecycle;
pub mod policy;
pub mod qsh;

pub use error::{AuthError, AuthReason};
pub use jwt::{ConnectClaims, TokenKind};
pub use policy::{QshPolicy, RouteKind};
