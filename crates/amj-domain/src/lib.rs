//! The asset model, validation and query language live here, free of I/O so they can be tested,
//! fuzzed and benchmarked on their own. The asset-model issue fills this crate in; until then it
//! holds only the identifiers every layer shares.

pub mod ids;
