//! Secret scanning speed on real Claude Code logs (issue 16 asks for 300 MB/s per core
//! with `scan_json`), and what the scanner reports on them: hits by type and JSON path,
//! never a value; and lines of one candidate repeated, which must stay linear. The logs are read from `$TOKENTOP_SHARED/data/claude-code-real` (default
//! `../shared` beside the repository) and never copied here; without them the bench says
//! so and measures nothing. Run: `cargo bench --bench secrets`. Figures are quoted in
//! docs/benchmarks.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokentop::secrets::{FingerprintKey, scan, scan_json};

fn shared_logs() -> PathBuf {
    std::env::var_os("TOKENTOP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
        .join("data/claude-code-real")
}

/// Every line of every `.jsonl` file under `dir`, in path order.
fn lines(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| text.lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn real_logs(c: &mut Criterion) {
    let dir = shared_logs();
    let lines = lines(&dir);
    if lines.is_empty() {
        eprintln!(
            "SKIPPED secrets bench: no .jsonl under {}; set TOKENTOP_SHARED to the folder that holds data/",
            dir.display()
        );
        return;
    }
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let key = FingerprintKey::from_bytes([9; 32]);
    let mut by_type: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for line in &lines {
        for found in scan_json(line, &key) {
            *by_type.entry((found.secret_type, found.path)).or_default() += 1;
        }
    }
    eprintln!(
        "{} lines, {bytes} bytes; hits by type and path:",
        lines.len()
    );
    for ((secret_type, path), count) in &by_type {
        eprintln!("  {count:>4}  {secret_type:<22} {path}");
    }

    let mut group = c.benchmark_group("secrets");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("scan_json_claude_code_real", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| scan_json(black_box(l), &key).len())
                .sum::<usize>()
        })
    });
    group.bench_function("scan_text_claude_code_real", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| scan(black_box(l)).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

/// Lines made of one candidate repeated to 1 MiB: each match must cost no more than its
/// share of one pass (the recognizers are redaction's, see benches/redact.rs).
fn adversarial(c: &mut Criterion) {
    let mut group = c.benchmark_group("secrets");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for (name, unit) in [
        ("jwt", "=eyJ"),
        ("sk", "sk-"),
        ("password", "\"password\":\""),
        ("bearer", "Bearer "),
        ("pem", "-----BEGIN PRIVATE KEY-----"),
    ] {
        let text = unit.repeat((1 << 20) / unit.len());
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("adversarial_{name}_1MiB"), |b| {
            b.iter(|| scan(black_box(&text)).len())
        });
    }
    group.finish();
}

criterion_group!(benches, real_logs, adversarial);
criterion_main!(benches);
