//! Operations that need no I/O: the built-in alert rules and their evaluator, the status page's
//! incident model, the metrics registry, and the operations clock.
//!
//! Kept apart from the server so that the rules can be reasoned about (and tested against
//! `ops/prometheus/alerts.yml`) without a database, a network or a running app.

pub mod alerts;
pub mod clock;
pub mod metrics;
pub mod status;
