//! Redaction time on adversarial lines: a line made of one token prefix repeated (`=eyJ`,
//! `sk-`) must cost no more than a pass over it, or one hostile file holds up the first
//! screen. Run: `cargo bench --bench redact`. Figures are quoted in docs/benchmarks.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokentop::redact::redact;

/// `unit` repeated to `bytes` bytes.
fn line(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len())
}

fn adversarial(c: &mut Criterion) {
    let mut group = c.benchmark_group("redact");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, unit) in [("jwt", "=eyJ"), ("sk", "sk-"), ("key", "\"key\":\"")] {
        for (size, bytes) in [("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
            let text = line(unit, bytes);
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_function(format!("{name}_{size}"), |b| {
                b.iter(|| redact(black_box(&text)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, adversarial);
criterion_main!(benches);
