//! Operations: metrics, the built-in alert evaluator and its notifications, the status page and
//! its incidents. See docs/RUNBOOK.md for what each alert means and how to fix it.

pub mod alerts;
pub mod clock;
pub mod metrics;
pub mod monitor;
pub mod notify;
pub mod status;
pub mod watch;
