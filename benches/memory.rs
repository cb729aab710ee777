//! Memory of a long run: ingest N events over K identities (defaults: 10 M over 10,000)
//! and print the peak RSS. Every event carries a request id (a dedup key, as real logs
//! do: dedup then keeps a fingerprint of each) unless the third argument is 0. Run under
//! /usr/bin/time for an outside view:
//!   cargo bench --bench memory -- 10000000 10000 1
//!   /usr/bin/time -v target/release/deps/memory-<hash> 10000000 10000 0
//! Figures are quoted in docs/benchmarks.md.

mod common;
mod process;

use std::time::Instant;

use process::{arg, status_mib};
use tokentop::event::{DedupKey, Tokens, ToolCall};

fn main() {
    let events = arg(0, 10_000_000);
    let identities = arg(1, 10_000);
    let request_ids = arg(2, 1) != 0;
    let tools = ["search", "lookup_order", "mcp__github__get_file"];
    let names: Vec<String> = (0..identities)
        .map(|i| format!("identity-{i:05}"))
        .collect();
    let mut engine = common::engine();
    // A day of traffic ending at `end`, spread evenly; every identity active all day.
    let end: i64 = 1_767_268_800_000;
    let step = (86_400_000 / events.max(1)).max(1) as i64;
    let start = Instant::now();
    for i in 0..events {
        let who = (i % identities) as usize;
        let mut event = common::request(
            end - 86_400_000 + i as i64 * step,
            names[who].clone(),
            common::MODELS[(i / identities) as usize % common::MODELS.len()],
            Tokens {
                input: 500 + i % 3000,
                cache_read: i % 2048,
                output: 50 + i % 700,
                ..Tokens::default()
            },
            if i % 7 == 0 {
                vec![ToolCall::new(None, tools[i as usize % tools.len()].into())]
            } else {
                Vec::new()
            },
            100 + i % 5000,
        );
        if request_ids {
            event.dedup_key = Some(DedupKey::of(&["req_", &i.to_string()]));
        }
        engine.ingest(&event);
    }
    engine.advance(end);
    let ingest_s = start.elapsed().as_secs_f64();
    let snapshot = engine.snapshot(None);
    println!(
        "{events} events over {} identities, request ids {}: ingest {ingest_s:.2} s ({:.2} M events/s), peak RSS {:.0} MiB ({:.1} KiB per identity)",
        snapshot.identities.len(),
        if request_ids { "on" } else { "off" },
        events as f64 / ingest_s / 1e6,
        status_mib("VmHWM:"),
        status_mib("VmHWM:") * 1024.0 / identities as f64,
    );
}
