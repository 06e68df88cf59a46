//! The `amj` command line: the server (`serve`), the demo with its simulated Jira, the operator
//! commands (tenants, incidents, queries), the synthetic probe, and the bench tools. This crate is
//! the only one that links clap, the simulator and the bench code beside the production server.

pub mod cli;
pub mod forge_cli;
pub mod incident_cli;
pub mod probe;
