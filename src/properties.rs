//! What the library's property tests share: a runner with a fixed seed and no failure
//! files, so that a run is the same cases every time (as `tests/it/properties.rs` runs
//! the integration tests' properties).

use proptest::test_runner::{Config, RngSeed, TestRunner};

/// A runner of `cases` cases, always the same ones.
pub fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(20),
        ..Config::default()
    })
}
