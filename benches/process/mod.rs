//! What the memory benches read from their own process: positional arguments and lines of
//! /proc/self/status. Kept apart from `common` so benches that need neither do not carry it.

/// The `n`th argument that is not a flag, as a number, else `default`.
pub fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// A line of /proc/self/status (`VmHWM:`, `VmRSS:`), in MiB (Linux; 0 elsewhere).
pub fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
