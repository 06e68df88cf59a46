//! Operations wired to the running app: the monitor that feeds the alert evaluator, the watch
//! loop, and notifications. The rules themselves, the status model and the metrics registry live
//! in `amj-ops`. See docs/RUNBOOK.md for what each alert means and how to fix it.

pub(crate) mod monitor;
pub(crate) mod notify;
pub mod watch;
