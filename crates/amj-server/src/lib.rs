//! The Asset Management for Jira app server: storage, the HTTP edge, request authentication, the
//! outbound Jira client and the `amj` binary's commands.

pub mod assets;
pub mod auth;
pub mod bench;
pub mod bench_aql;
pub mod bench_page;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod descriptor;
pub mod incident_cli;
pub mod jira;
pub mod ops;
pub mod probe;
pub mod query;
pub mod seed;
pub mod store;
pub mod timefmt;
pub mod web;
