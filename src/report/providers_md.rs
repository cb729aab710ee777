//! The providers' ledger and the reconciliation in the Markdown form: two tables under the
//! log totals, for a ticket. The ledger is the providers' own, never added to the totals.

use std::io::Write;

use super::Report;
use crate::engine::providers::reconcile::{Basis, Reconciliation};
use crate::format;
use crate::sanitize::sanitize;

/// A cell: sanitized, pipes escaped so a provider's string cannot open a column.
fn cell(text: &str) -> String {
    sanitize(text, 80).replace('\\', "\\\\").replace('|', "\\|")
}

fn row(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

fn basis(b: Basis) -> &'static str {
    match b {
        Basis::Billed => "billed",
        Basis::Estimated => "estimated",
    }
}

/// The providers' table, then the reconciliation's; nothing without a provider.
pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if report.providers.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n**Providers** (their own ledger: a request in a log and on a bill is one request, so these are not added to the totals above)\n"
    )?;
    writeln!(
        out,
        "| provider | input | cache read | cache write | output | requests | billed | estimated | status |"
    )?;
    writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    )?;
    for p in &report.providers {
        let u = &p.usage;
        let status = match &p.health.last_error {
            Some(e) => format!("error: {}", cell(e)),
            None => "ok".to_string(),
        };
        writeln!(
            out,
            "{}",
            row(&[
                p.provider.name().to_string(),
                format::int(u.input),
                format::int(u.cache_read),
                format::int(u.cache_write_5m + u.cache_write_1h),
                format::int(u.output),
                u.requests.map_or("—".to_string(), format::int),
                p.billed_cost_usd.map_or("—".to_string(), format::usd),
                format::usd(p.estimated_cost_usd),
                status,
            ])
        )?;
    }
    if let Some(r) = &report.reconciliation {
        write_reconciliation(r, out)?;
    }
    Ok(())
}

fn write_reconciliation(r: &Reconciliation, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "\n**Reconciliation** (UTC days settled before {}; unattributed over {} per identity per day is a finding)\n",
        r.settled_before,
        format::usd(r.unattributed_usd)
    )?;
    writeln!(
        out,
        "| identity | day | provider | basis | logged | unattributed | finding |"
    )?;
    writeln!(out, "| --- | --- | ---: | --- | ---: | ---: | --- |")?;
    for x in &r.rows {
        let sign = if x.unattributed_usd < 0.0 { "-" } else { "+" };
        writeln!(
            out,
            "{}",
            row(&[
                cell(&x.identity),
                x.day.clone(),
                format::usd(x.provider_usd),
                basis(x.provider_basis).to_string(),
                format::usd(x.logged_usd),
                format!("{sign}{}", format::usd(x.unattributed_usd.abs())),
                if x.over { "**over**" } else { "" }.to_string(),
            ])
        )?;
    }
    for u in &r.unmapped {
        writeln!(
            out,
            "\nUnmapped {} key {} ({}): estimated {}; no `[[identity]]` rule names it.",
            u.provider.name(),
            cell(u.api_key_id.as_deref().unwrap_or("(none)")),
            cell(u.project.as_deref().unwrap_or("(none)")),
            format::usd(u.estimated_usd),
        )?;
    }
    Ok(())
}
