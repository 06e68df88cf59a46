//! The shared test kit (`amj-testkit`), under the name these tests have always used.

pub use amj_testkit::app::error_code;
pub use amj_testkit::{Backend, TestApp, TestDb, each_backend, postgres_url, wait_until};
