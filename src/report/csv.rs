//! The CSV form, for spreadsheets and scripts: a header row, one column per `--by`
//! dimension named after it, then the token classes and `cost_usd`, numbers unformatted.
//! Only the rows: a totals line would be summed with them.

use std::io::Write;

use super::Report;
use super::rows::ReportRow;
use super::sizes;
use crate::sanitize::sanitize;

const FIGURES: [&str; 11] = [
    "requests",
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "reasoning",
    "total_tokens",
    "tool_calls",
    "unpriced_requests",
    "cost_usd",
];

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
pub(super) fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Nano-dollars as a plain decimal rounded to the micro-dollar: `15.762749`, `0.5`, `0`.
pub fn usd_plain(nanos: u64) -> String {
    let micros = nanos.saturating_add(500) / 1_000;
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn figures(r: &ReportRow) -> [String; 11] {
    let u = &r.usage;
    [
        u.requests.to_string(),
        u.input.to_string(),
        u.cache_read.to_string(),
        u.cache_write_5m.to_string(),
        u.cache_write_1h.to_string(),
        u.output.to_string(),
        u.reasoning.to_string(),
        r.total_tokens.to_string(),
        u.tool_calls.to_string(),
        u.unpriced_requests.to_string(),
        usd_plain(r.cost_nanos),
    ]
}

/// `percentiles` adds the sizes per request (`in_p50`, …, `ms_max`).
pub fn write_csv(report: &Report, percentiles: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let mut header: Vec<String> = report.by.0.iter().map(|d| d.name().to_string()).collect();
    header.extend(FIGURES.map(String::from));
    if percentiles {
        header.extend(sizes::HEADS.map(|h| h.to_lowercase().replace(' ', "_")));
    }
    writeln!(out, "{}", header.join(","))?;
    for r in &report.rows {
        let mut cells: Vec<String> = r
            .keys
            .0
            .iter()
            .map(|(_, v)| field(&sanitize(v, 10_000)))
            .collect();
        cells.extend(figures(r));
        if percentiles {
            cells.extend(sizes::cells(r, |n| n.to_string()));
        }
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_dollars_have_at_most_six_decimals() {
        assert_eq!(usd_plain(15_762_749_600), "15.76275");
        assert_eq!(usd_plain(15_762_749_400), "15.762749");
        assert_eq!(usd_plain(500_000_000), "0.5");
        assert_eq!(usd_plain(0), "0");
        assert_eq!(usd_plain(499), "0");
        assert_eq!(usd_plain(3_000_000_000), "3");
    }

    #[test]
    fn fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(field("web (prod)"), "web (prod)");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
