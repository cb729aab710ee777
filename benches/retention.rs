//! Memory over a long run in simulated time: the retention horizon (7 days) plus 3 days of
//! traffic at 100 requests/s over 500 identities calling 200 distinct tools, each request a
//! distinct response. The clock is injected (`advance` every simulated second), so ten days
//! run in minutes. Prints the resident set at the end of each day; the goal is that the
//! last day ends at most 1.1x the resident set at the end of day H + 1.
//!   cargo bench --bench retention                 # 10 days, 100/s, 500 identities, 200 tools
//!   cargo bench --bench retention -- 2 20 50 10   # days, rate, identities, tools
//! Figures are quoted in docs/benchmarks.md.

mod common;
mod process;

use std::time::Instant;

use process::{arg, status_mib};

use tokentop::engine::RETENTION_MS;
use tokentop::event::{DedupKey, Event, Tokens, ToolCall};

// The binary's allocator, so that the resident set is the one `tokentop` would have.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DAY_MS: i64 = 86_400_000;

/// Spreads a counter over 64 bits (splitmix64), as the real keys' hash does.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn main() {
    let horizon_days = (RETENTION_MS / DAY_MS) as u64;
    let days = arg(0, horizon_days + 3);
    let rate = arg(1, 100).max(1);
    let identities = arg(2, 500).max(1);
    let tool_count = arg(3, 200).max(1);
    let names: Vec<String> = (0..identities)
        .map(|i| format!("identity-{i:03}"))
        .collect();
    let tools: Vec<String> = (0..tool_count).map(|i| format!("tool_{i:03}")).collect();
    let mut engine = common::engine();
    let start_ms: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let step = 1000 / rate as i64;
    let wall = Instant::now();
    let mut n: u64 = 0;
    let mut at_horizon_plus_one = None;
    println!("{days} days at {rate}/s, {identities} identities, {tool_count} tools");
    for day in 0..days {
        for second in 0..86_400 {
            let now = start_ms + day as i64 * DAY_MS + second * 1000;
            for k in 0..rate {
                let mixed = mix(n);
                let who = (mixed % identities) as usize;
                let tool = (mixed >> 20) % (tool_count * 2);
                let event = Event {
                    dedup_key: Some(DedupKey(u128::from(mixed) << 64 | u128::from(mix(!n)))),
                    ..common::request(
                        now + k as i64 * step,
                        names[who].clone(),
                        common::MODELS[(mixed >> 40) as usize % common::MODELS.len()],
                        Tokens {
                            input: 500 + n % 3000,
                            cache_read: n % 2048,
                            output: 50 + n % 700,
                            ..Tokens::default()
                        },
                        // Half the requests call a tool.
                        match tools.get(tool as usize) {
                            Some(name) => {
                                vec![ToolCall::new(Some(format!("call_{n}")), name.clone())]
                            }
                            None => Vec::new(),
                        },
                        100 + n % 5000,
                    )
                };
                engine.ingest(&event);
                n += 1;
            }
            engine.advance(now + 1000);
        }
        let snapshot = engine.snapshot(None);
        let rss = status_mib("VmRSS:");
        let retained = engine.retained();
        println!(
            "day {:>2}: {n} requests, {} identities, RSS {rss:.0} MiB (peak {:.0}), {} kept whole, {} fingerprints, {:.0} s",
            day + 1,
            snapshot.identities.len(),
            status_mib("VmHWM:"),
            retained.whole,
            retained.fingerprints,
            wall.elapsed().as_secs_f64(),
        );
        if day + 1 == horizon_days + 1 {
            at_horizon_plus_one = Some(rss);
        }
    }
    if let Some(base) = at_horizon_plus_one {
        let end = status_mib("VmRSS:");
        let ratio = end / base;
        let verdict = if ratio <= 1.1 { "met" } else { "missed" };
        println!(
            "RSS at the end {end:.0} MiB = {ratio:.3}x day {} ({base:.0} MiB): target <= 1.1x {verdict}",
            horizon_days + 1
        );
    }
}
