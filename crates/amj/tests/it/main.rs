//! Integration tests of the app server against the Jira simulator, on SQLite and (when
//! `AMJ_TEST_DATABASE_URL` is set, as in CI) on PostgreSQL.

// A failed unwrap is how a test helper fails its test; the no-unwrap rule is for request paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alert_rules_agree;
mod approvals;
mod aql_api;
mod aql_differential;
mod asset_field;
mod asset_requests;
mod asset_store_contract;
mod assets_api;
mod bad_input;
mod bookings;
mod cli;
mod custody;
mod forge;
mod hardening;
mod isolation;
mod jira_client;
mod kits;
mod licences;
mod lifecycle;
mod openapi;
mod operations;
mod pages;
mod reports;
mod requests;
mod rotation;
mod seed;
mod simulator;
mod stock;
mod store_contract;
mod support;
mod views;
