//! What a report adds from the engine's own view of the range, beside the tally's sums:
//! sizes per request (`per_request`, `--percentiles`) and the cost split by token class.
//! The engine keeps them per identity, per model and for everything, so rows keyed by
//! exactly one of those carry them; filtered reports leave them out, as the engine's
//! figures would include what the filter left out.

use crate::engine::Snapshot;
use crate::engine::snapshot::{QuantileSummary, RangeDetail};
use crate::engine::tally::Dimension;
use crate::format;
use crate::pricing::ClassCost;

use super::rows::ReportRow;

/// The `--percentiles` columns: p50, p90, p99 and max per request of each size.
pub const HEADS: [&str; 16] = [
    "IN P50",
    "IN P90",
    "IN P99",
    "IN MAX",
    "OUT P50",
    "OUT P90",
    "OUT P99",
    "OUT MAX",
    "TOOLS P50",
    "TOOLS P90",
    "TOOLS P99",
    "TOOLS MAX",
    "MS P50",
    "MS P90",
    "MS P99",
    "MS MAX",
];

/// The `--percentiles` cells of a row, numbers written by `number`: `-` where the row has
/// no sizes (rows by model or day) or no request logged that size.
pub fn cells(r: &ReportRow, number: fn(u64) -> String) -> Vec<String> {
    let sizes = r
        .per_request
        .map(|p| [p.input, p.output, p.tool_calls, p.latency_ms]);
    sizes
        .unwrap_or_default()
        .iter()
        .flat_map(|q: &Option<QuantileSummary>| match q {
            Some(q) => [q.p50, q.p90, q.p99, q.max].map(number),
            None => std::array::from_fn(|_| "-".to_string()),
        })
        .collect()
}

/// Table cells: thousands separated.
pub fn table_cells(r: &ReportRow) -> Vec<String> {
    cells(r, format::int)
}

/// Gives the rows and the totals what the engine knows of them over the range.
pub fn attach(rows: &mut [ReportRow], totals: &mut ReportRow, snapshot: &Snapshot) {
    put(totals, snapshot.whole_range);
    for row in rows {
        match row.keys.0.as_slice() {
            [(Dimension::Identity, name)] => {
                let found = snapshot.identities.iter().find(|r| &r.name == name);
                let detail = found.and_then(|r| r.whole_range);
                put(row, detail);
            }
            [(Dimension::Model, model)] => {
                let found = snapshot.by_model.iter().find(|g| &g.key == model);
                row.cost_usd_by_class = found.and_then(|g| g.cost_usd_by_class);
                put(row, None);
            }
            _ => {}
        }
    }
}

fn put(row: &mut ReportRow, detail: Option<RangeDetail>) {
    if let Some(detail) = detail {
        row.per_request = Some(detail.per_request);
        row.cost_usd_by_class = Some(detail.cost_usd_by_class);
    }
    if let Some(classes) = &mut row.cost_usd_by_class {
        *classes = in_micros(classes, row.cost_nanos);
    }
}

/// The classes in whole micro-dollars, as `cost_usd` is printed, adding up to it exactly:
/// each is rounded down, and the micro-dollars left go to the largest remainders first.
fn in_micros(classes: &ClassCost, total_nanos: u64) -> ClassCost {
    let total = (total_nanos.saturating_add(500) / 1_000) as i64;
    let exact = [
        classes.uncached_input,
        classes.cache_read,
        classes.cache_write,
        classes.output,
    ]
    .map(|usd| (usd * 1e6).max(0.0));
    let mut micros = exact.map(|m| m.floor() as i64);
    let mut by_remainder: Vec<usize> = (0..4).collect();
    by_remainder
        .sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let mut left = total - micros.iter().sum::<i64>();
    for &i in by_remainder
        .iter()
        .cycle()
        .take(left.unsigned_abs() as usize)
    {
        if left > 0 {
            micros[i] += 1;
            left -= 1;
        } else if micros[i] > 0 {
            micros[i] -= 1;
            left += 1;
        }
    }
    let usd = micros.map(|m| m as f64 / 1e6);
    ClassCost {
        uncached_input: usd[0],
        cache_read: usd[1],
        cache_write: usd[2],
        output: usd[3],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_in_micro_dollars_add_up_to_the_rounded_total() {
        // 13.05 µ$ in all, printed as 0.000013: the classes then say 13 µ$ too.
        let classes = ClassCost {
            uncached_input: 7.5e-6,
            cache_read: 3.75e-6,
            cache_write: 0.0,
            output: 1.8e-6,
        };
        let micros = in_micros(&classes, 13_050);
        assert_eq!(
            [
                micros.uncached_input,
                micros.cache_read,
                micros.cache_write,
                micros.output
            ],
            [7e-6, 4e-6, 0.0, 2e-6]
        );
        assert!((micros.total() - 13e-6).abs() < 1e-15);
    }
}
