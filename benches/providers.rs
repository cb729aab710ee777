//! The providers' ledger in the live engine at the size of a busy organization: 200 API
//! keys on 3 models each (600 groups), the month so far in day buckets (30 days), today in
//! hour buckets and the last hour in minutes: 68,400 buckets. What one minute poll costs
//! the engine thread: the update replacing the last hour's minutes, then `advance`, which
//! works the view out again (the widths chosen, reconciliation with the logs by identity
//! and UTC day, today by provider) and raises the `unattributed` alerts.
//!   cargo bench --bench providers
//! Figures are quoted in docs/benchmarks.md.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use tokentop::config::Config;
use tokentop::engine::Engine;
use tokentop::event::{TimeMs, Tokens};
use tokentop::parse::provider::{Family, Provider, ProviderBucket, ProviderUpdate, Report, Width};
use tokentop::pricing::PriceTable;

const KEYS: usize = 200;
const MODELS: [&str; 3] = ["gpt-4o-mini", "gpt-4.1", "o3"];
/// 2026-08-31 12:00 UTC: thirty whole days of the month behind.
const NOW: TimeMs = 1_788_177_600_000;
const DAY: TimeMs = 86_400_000;
const HOUR: TimeMs = 3_600_000;
const MINUTE: TimeMs = 60_000;

fn groups(width: Width, start: TimeMs) -> Vec<ProviderBucket> {
    let mut out = Vec::with_capacity(KEYS * MODELS.len());
    for key in 0..KEYS {
        for model in MODELS {
            out.push(ProviderBucket {
                provider: Provider::OpenAi,
                report: Report::Usage,
                start,
                end: start + width.ms(),
                api_key_id: Some(format!("key_{key:04}")),
                project: Some(format!("proj_{}", key % 20)),
                user: None,
                model: Some(model.to_string()),
                service_tier: None,
                tokens: Tokens {
                    input: 1_000 * width.ms() as u64 / MINUTE as u64,
                    output: 100 * width.ms() as u64 / MINUTE as u64,
                    ..Tokens::default()
                },
                requests: Some(width.ms() as u64 / MINUTE as u64),
                billed_usd: None,
            });
        }
    }
    out
}

fn update(width: Width, (start, end): (TimeMs, TimeMs)) -> ProviderUpdate {
    let mut buckets = Vec::new();
    let mut t = start;
    while t < end {
        buckets.extend(groups(width, t));
        t += width.ms();
    }
    ProviderUpdate {
        provider: Provider::OpenAi,
        family: Family::Usage,
        width,
        range: (start, end),
        fetched_at: NOW,
        buckets,
    }
}

/// An engine whose rules name every tenth key, with the month, today and the last hour
/// polled.
fn engine() -> Engine {
    let rules: String = (0..KEYS)
        .step_by(10)
        .map(|k| {
            format!(
                "[[identity]]\nmatch = {{ api_key_id = \"key_{k:04}\" }}\nname = \"svc-{k}\"\n\n"
            )
        })
        .collect();
    let config = Config::parse(&rules, Path::new("bench.toml")).expect("rules");
    let mut engine = Engine::with_config(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        &config,
    );
    engine.keep_utc_days();
    let today = Width::Day.floor(NOW);
    engine.apply_provider(update(Width::Day, (today - 30 * DAY, today)));
    engine.apply_provider(update(Width::Hour, (today, NOW - HOUR)));
    engine.apply_provider(update(Width::Minute, (NOW - HOUR, NOW)));
    engine.advance(NOW);
    engine
}

fn bench(c: &mut Criterion) {
    let mut engine = engine();
    let poll = update(Width::Minute, (NOW - HOUR, NOW));
    c.bench_function("providers/minute poll + advance (68,400 buckets)", |b| {
        b.iter(|| {
            engine.apply_provider(black_box(poll.clone()));
            engine.advance(black_box(NOW));
        })
    });
    c.bench_function("providers/snapshot with the view", |b| {
        b.iter(|| black_box(engine.snapshot(None)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
