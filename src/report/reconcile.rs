//! Reconciliation in a report: the table's short section and `check`'s lines. The
//! reconciling itself is the engine's (`engine::providers::reconcile`).

use crate::engine::providers::reconcile::{Basis, ReconcileRow, Reconciliation};
use crate::format;
use crate::sanitize::sanitize;

/// Dollars with their sign: `+$12.00`, `-$0.40`.
fn signed_usd(x: f64) -> String {
    let sign = if x < 0.0 { "-" } else { "+" };
    format!("{sign}{}", format::usd(x.abs()))
}

/// The most rows the table prints; JSON has them all.
const TABLE_ROWS: usize = 10;

/// The table's short section: the rows by unattributed spend, largest first, and the
/// unmapped keys.
pub fn write_section(r: &Reconciliation, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "reconciliation (UTC days settled before {}, unattributed over {} per identity per day is a finding):",
        r.settled_before,
        format::usd(r.unattributed_usd)
    )?;
    let mut rows: Vec<&ReconcileRow> = r.rows.iter().collect();
    rows.sort_by(|a, b| b.unattributed_usd.total_cmp(&a.unattributed_usd));
    for row in rows.iter().take(TABLE_ROWS) {
        writeln!(out, "  {}", row_line(row))?;
    }
    if rows.len() > TABLE_ROWS {
        writeln!(out, "  ... {} more in --json", rows.len() - TABLE_ROWS)?;
    }
    if rows.is_empty() {
        writeln!(out, "  no mapped identity has a settled day in the range")?;
    }
    for u in &r.unmapped {
        writeln!(
            out,
            "  unmapped {} key {} ({}): estimated {}",
            u.provider.name(),
            sanitize(u.api_key_id.as_deref().unwrap_or("(none)"), 80),
            sanitize(u.project.as_deref().unwrap_or("(none)"), 80),
            format::usd(u.estimated_usd),
        )?;
    }
    Ok(())
}

/// One row as the table and `check` print it.
pub fn row_line(row: &ReconcileRow) -> String {
    let basis = match row.provider_basis {
        Basis::Billed => "billed",
        Basis::Estimated => "estimated",
    };
    format!(
        "{} {}: provider {} ({basis}), logged {}, unattributed {}{}",
        sanitize(&row.identity, 80),
        row.day,
        format::usd(row.provider_usd),
        format::usd(row.logged_usd),
        signed_usd(row.unattributed_usd),
        if row.over { " OVER" } else { "" },
    )
}
