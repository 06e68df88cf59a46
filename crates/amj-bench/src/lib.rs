//! Seed and benchmark tooling: realistic generated sites for the demo, the browser tests and the
//! `amj bench` commands. Not linked by the production server library (`amj-server`).

pub mod bench;
pub mod bench_aql;
pub mod bench_bookings;
pub mod bench_custody;
pub mod bench_fit;
pub mod bench_licences;
pub mod bench_page;
pub mod bench_reports;
pub mod rng;
pub mod seed;
