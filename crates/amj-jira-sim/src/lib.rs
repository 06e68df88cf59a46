//! A Jira Cloud host simulator that speaks the real Connect protocol.
//!
//! It is the Jira side of every end-to-end test and of `amj demo`: it serves install keys, signs
//! lifecycle callbacks with them (RS256), signs host requests with each site's current shared
//! secret (HS256 with exact qsh), rotates secrets the way Atlassian did in March 2022, and verifies
//! the app's own calls to its REST API. Everything it signs goes through `amj-connect`, and the
//! protocol vectors pin that crate, so both sides cannot drift together.

pub mod control;
pub mod data;
pub mod fields;
pub mod forge;
pub mod forge_host;
pub mod forge_ui;
pub mod host;
pub mod keys;
pub mod permissions;
pub mod rest;
mod server;
pub mod sim;
pub mod theme;

pub use data::User;
pub use keys::{InstallKeys, KeyServerMode};
pub use sim::{
    AppCall, AppTarget, ClaimTweaks, RolloutPlan, RolloutReport, Signing, Sim, SimError, Site,
};
