//! The seeded generator for randomised tests: the same one the seed tooling uses, seeded from
//! `AMJ_TEST_SEED` when set, so that a failure seen with one seed can be replayed.

pub use amj_bench::rng::Rng;

/// A generator for the test `name`: seeded with `AMJ_TEST_SEED` when it is set (and a number),
/// otherwise with `default_seed`. The seed is printed, so a failing run says how to replay it.
pub fn seeded(name: &str, default_seed: u64) -> Rng {
    let seed = std::env::var("AMJ_TEST_SEED")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(default_seed);
    eprintln!("{name}: seed {seed} (replay with AMJ_TEST_SEED={seed})");
    Rng::new(seed)
}
