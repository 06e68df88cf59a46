//! The production server library: the HTTP edge and its handlers, request authentication, the
//! outbound Jira client, the asset and query services, and the operations wired to them.
//!
//! It links neither the Jira simulator, nor clap, nor the bench tools: those belong to the `amj`
//! binary crate and `amj-bench`.

pub mod asset_field;
pub mod assets;
pub mod auth;
pub mod config;
pub mod descriptor;
pub(crate) mod issues;
pub mod jira;
pub mod ops;
pub mod query;
pub mod reports;
pub mod requests;
pub mod timefmt;
pub mod web;
