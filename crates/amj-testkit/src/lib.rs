//! What every test of the app shares, so that each test file says what it checks and not how to
//! get a database, an app or a browser-free API caller:
//!
//! - [`db`]: a throwaway database per test on SQLite, or on PostgreSQL when
//!   `AMJ_TEST_DATABASE_URL` is set, removed when dropped, even by a failing test;
//! - [`app`]: the real app on a loopback port, started through the one bootstrap `amj serve` uses;
//! - [`api`]: an API client that calls as a site's admin, as an ordinary user or with no
//!   credentials;
//! - [`wait`]: polling with a bound, instead of sleeps;
//! - [`rng`]: the seeded generator, replayable with `AMJ_TEST_SEED`.
//!
//! Only tests link this crate (the integration tests and the browser tests); the production
//! server library does not.

// A failed unwrap is how a test helper fails its test; the no-unwrap rule is for request paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod api;
pub mod app;
pub mod db;
pub mod rng;
pub mod wait;

pub use api::{Api, Auth};
pub use app::TestApp;
pub use db::{Backend, TestDb, each_backend, postgres_url};
pub use wait::{wait_for, wait_until};

/// A short random tag for names that must not collide between concurrent tests.
pub fn random_tag() -> String {
    let mut bytes = [0u8; 6];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    hex::encode(bytes)
}
