//! `report --findings`: what was found about each identity beside its spend, each with
//! when and where it was read. Calls outside a policy and tools new to an identity are the
//! engine's alerts (a headless engine keeps every one); secrets come from its exposures,
//! once per identity and secret, by type, place and fingerprint, never the value; spend no
//! log explains comes from the providers' reconciliation.

use std::collections::HashMap;
use std::io::Write;

use jiff::tz::TimeZone;
use serde::Serialize;

use super::csv::field;
use super::entitlements::{aligned, md_table};
use super::rows::ReportRow;
use crate::engine::Engine;
use crate::engine::alerts::{AlertKind, Severity};
use crate::engine::episodes::RecordAt;
use crate::engine::providers::reconcile::Reconciliation;
use crate::engine::tally::Dimension;
use crate::event::TimeMs;
use crate::format;
use crate::sanitize::sanitize;
use crate::source::origin::Origins;
use crate::timefmt::format_rfc3339_ms;

/// Longest cell shown in the table, in characters (cut with `…`).
const CELL_CHARS: usize = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Policy,
    NewTool,
    Secret,
    Unattributed,
}

impl FindingKind {
    fn name(self) -> &'static str {
        match self {
            FindingKind::Policy => "policy",
            FindingKind::NewTool => "new_tool",
            FindingKind::Secret => "secret",
            FindingKind::Unattributed => "unattributed",
        }
    }
}

/// What a finding was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    File,
    /// Standard input or a named pipe: its line number only.
    Stdin,
    /// Received over OTLP: no file, no line.
    Otlp,
    /// A provider's usage or cost report.
    Provider,
}

impl SourceKind {
    fn name(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Stdin => "stdin",
            SourceKind::Otlp => "otlp",
            SourceKind::Provider => "provider",
        }
    }
}

/// Where a finding's record is: a file's path, the byte offset and the 1-based number of
/// its line; a stream's line number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindingSource {
    pub kind: SourceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl FindingSource {
    /// The source of a record read at `at`; `origins` names its file.
    fn of(at: RecordAt, origins: &Origins) -> FindingSource {
        let (kind, file, offset) = match at.origin {
            Some(o) => (SourceKind::File, origins.name(o.source), Some(o.offset)),
            None if at.line.is_some() => (SourceKind::Stdin, None, None),
            None => (SourceKind::Otlp, None, None),
        };
        FindingSource {
            kind,
            file,
            offset,
            line: at.line,
        }
    }

    /// One cell: `path:line` (`path@offset` without a line), `stdin:line`, `otlp`,
    /// `provider`.
    fn cell(&self) -> String {
        let place = match (self.kind, &self.file, self.line, self.offset) {
            (SourceKind::File, Some(file), Some(line), _) => format!("{file}:{line}"),
            (SourceKind::File, Some(file), None, Some(offset)) => format!("{file}@{offset}"),
            (SourceKind::Stdin, _, Some(line), _) => format!("stdin:{line}"),
            (kind, ..) => kind.name().to_string(),
        };
        sanitize(&place, CELL_CHARS)
    }
}

/// One finding; never a secret's value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub identity: String,
    /// The `[[policy]]` the calls are outside of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The tool called outside a policy, or new to the identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Policy and new-tool findings: the calls in the episode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_type: Option<&'static str>,
    /// The JSON path of the string that held the secret (empty when the record was not
    /// JSON).
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// The secret's keyed fingerprint, as `[secrets] ignore` takes it (this run's key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Provider spend no log explains, on `day` (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// The first call or sighting (RFC 3339, ms); an unattributed day's start.
    pub ts: String,
    #[serde(skip)]
    pub time: TimeMs,
    pub source: FindingSource,
}

impl Finding {
    fn new(
        kind: FindingKind,
        severity: Severity,
        identity: &str,
        time: TimeMs,
        source: FindingSource,
    ) -> Finding {
        Finding {
            kind,
            severity,
            identity: identity.to_string(),
            policy: None,
            tool: None,
            calls: None,
            secret_type: None,
            place: None,
            fingerprint: None,
            usd: None,
            day: None,
            ts: format_rfc3339_ms(time),
            time,
            source,
        }
    }

    /// What was found, in a few words, for the table.
    fn what(&self) -> String {
        let calls = format::count(self.calls.unwrap_or(0), "call", "calls");
        let text = match self.kind {
            FindingKind::Policy => format!(
                "{} outside {:?} ({calls})",
                self.tool.as_deref().unwrap_or(""),
                self.policy.as_deref().unwrap_or("")
            ),
            FindingKind::NewTool => format!("{} ({calls})", self.tool.as_deref().unwrap_or("")),
            FindingKind::Secret => match self.place.as_deref() {
                Some("") | None => self.secret_type.unwrap_or("").to_string(),
                Some(place) => format!("{} in {place}", self.secret_type.unwrap_or("")),
            },
            FindingKind::Unattributed => {
                format!("{} no log explains", format::usd(self.usd.unwrap_or(0.0)))
            }
        };
        sanitize(&text, CELL_CHARS)
    }

    /// When, for the table: the time in `tz`, or an unattributed finding's UTC day.
    fn when(&self, tz: &TimeZone) -> String {
        if let Some(day) = &self.day {
            return format!("{day} UTC");
        }
        jiff::Timestamp::from_millisecond(self.time)
            .map(|t| {
                t.to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|_| self.ts.clone())
    }
}

/// Every finding about the identities `keep` lets through, oldest first: the engine's
/// policy and new-tool alerts, its secrets, and the reconciliation's rows over the
/// threshold. `origins` names the files records were read from.
pub fn collect(
    engine: &Engine,
    origins: &Origins,
    reconciliation: Option<&Reconciliation>,
    keep: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for alert in engine.findings() {
        let kind = match alert.kind {
            AlertKind::Policy => FindingKind::Policy,
            AlertKind::NewTool => FindingKind::NewTool,
            // Secrets once each from the exposures; spend from the reconciliation.
            _ => continue,
        };
        for identity in alert.identities.iter().filter(|i| keep(i)) {
            let source = FindingSource::of(alert.at.unwrap_or_default(), origins);
            let mut f = Finding::new(kind, alert.severity, identity, alert.started_at, source);
            f.policy.clone_from(&alert.policy);
            f.tool.clone_from(&alert.tool);
            f.calls = Some(alert.value as u64);
            out.push(f);
        }
    }
    for (identity, print, sighting) in engine.exposures() {
        if !keep(identity) {
            continue;
        }
        let source = FindingSource::of(sighting.at, origins);
        let (kind, time) = (FindingKind::Secret, sighting.time);
        let mut f = Finding::new(kind, Severity::Critical, identity, time, source);
        f.secret_type = Some(sighting.secret_type);
        f.place = Some(sighting.path.clone());
        f.fingerprint = Some(print.to_string());
        out.push(f);
    }
    for row in reconciliation.iter().flat_map(|r| r.findings()) {
        if !keep(&row.identity) {
            continue;
        }
        let start = crate::timefmt::parse_rfc3339_ms(&format!("{}T00:00:00Z", row.day));
        let source = FindingSource {
            kind: SourceKind::Provider,
            file: None,
            offset: None,
            line: None,
        };
        let (kind, time) = (FindingKind::Unattributed, start.unwrap_or_default());
        let mut f = Finding::new(kind, Severity::Critical, &row.identity, time, source);
        f.usd = Some(format::micro_usd(row.unattributed_usd));
        f.day = Some(row.day.clone());
        out.push(f);
    }
    out.sort_by(|a, b| order(a).cmp(&order(b)));
    out
}

/// How findings are listed: oldest first, then by kind, identity and what was found (a
/// secret by its type and place: its fingerprint is keyed per run).
type Order<'a> = (TimeMs, FindingKind, &'a str, [Option<&'a str>; 4]);

fn order(f: &Finding) -> Order<'_> {
    let what = [
        f.tool.as_deref(),
        f.policy.as_deref(),
        f.secret_type,
        f.place.as_deref(),
    ];
    (f.time, f.kind, &f.identity, what)
}

/// Findings of each kind about one identity, on its `--by identity` row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    pub policy: u32,
    pub new_tool: u32,
    pub secret: u32,
    pub unattributed: u32,
}

/// Gives each row keyed by identity its counts (zeros when it has none).
pub fn attach(rows: &mut [ReportRow], findings: &[Finding]) {
    let counts = counts(findings);
    for row in rows {
        let who = row.keys.value(Dimension::Identity);
        let found = who.and_then(|w| counts.get(w)).copied();
        row.findings = Some(found.unwrap_or_default());
    }
}

/// The counts by identity.
fn counts(findings: &[Finding]) -> HashMap<&str, FindingCounts> {
    let mut out: HashMap<&str, FindingCounts> = HashMap::new();
    for f in findings {
        let c = out.entry(f.identity.as_str()).or_default();
        match f.kind {
            FindingKind::Policy => c.policy += 1,
            FindingKind::NewTool => c.new_tool += 1,
            FindingKind::Secret => c.secret += 1,
            FindingKind::Unattributed => c.unattributed += 1,
        }
    }
    out
}

const HEAD: [&str; 6] = ["KIND", "SEVERITY", "IDENTITY", "WHAT", "WHEN", "SOURCE"];

fn rows(findings: &[Finding], tz: &TimeZone) -> Vec<Vec<String>> {
    findings
        .iter()
        .map(|f| {
            vec![
                f.kind.name().to_string(),
                f.severity.label().to_string(),
                sanitize(&f.identity, CELL_CHARS),
                f.what(),
                f.when(tz),
                f.source.cell(),
            ]
        })
        .collect()
}

/// The table form's section; times in `tz`.
pub fn write_table(
    findings: &[Finding],
    tz: &TimeZone,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "\nFindings: calls outside a policy, new tools, secrets (never their values), spend no log explains"
    )?;
    aligned(&HEAD, &rows(findings, tz), out)
}

/// The Markdown form's section.
pub fn write_markdown(
    findings: &[Finding],
    tz: &TimeZone,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "\n### Findings\n")?;
    md_table(&HEAD, &rows(findings, tz), out)?;
    if findings.is_empty() {
        writeln!(out, "\n(none)")?;
    }
    Ok(())
}

/// The CSV form: one row per finding, the JSON's fields as columns.
pub fn write_csv(findings: &[Finding], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "kind,severity,identity,policy,tool,calls,secret_type,where,fingerprint,usd,day,ts,source_kind,file,offset,line"
    )?;
    let cell = |s: Option<&str>| field(&sanitize(s.unwrap_or(""), 10_000));
    let num = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    for f in findings {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            f.kind.name(),
            f.severity.label(),
            cell(Some(&f.identity)),
            cell(f.policy.as_deref()),
            cell(f.tool.as_deref()),
            num(f.calls),
            cell(f.secret_type),
            cell(f.place.as_deref()),
            cell(f.fingerprint.as_deref()),
            f.usd.map(|u| u.to_string()).unwrap_or_default(),
            cell(f.day.as_deref()),
            f.ts,
            f.source.kind.name(),
            cell(f.source.file.as_deref()),
            num(f.source.offset),
            num(f.source.line),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;

    #[test]
    fn a_record_is_a_file_with_its_line_a_stream_line_or_otlp() {
        let origins = Origins::default();
        let id = origins.register_file(std::path::Path::new("/logs/a.jsonl"));
        let origin = Some(Origin::new(id, 120, b"{}"));
        let cells: Vec<(SourceKind, String)> = [
            RecordAt {
                origin,
                line: Some(3),
            },
            RecordAt { origin, line: None },
            RecordAt {
                origin: None,
                line: Some(7),
            },
            RecordAt::default(),
        ]
        .into_iter()
        .map(|at| {
            let source = FindingSource::of(at, &origins);
            (source.kind, source.cell())
        })
        .collect();
        assert_eq!(
            cells,
            [
                (SourceKind::File, "/logs/a.jsonl:3".to_string()),
                (SourceKind::File, "/logs/a.jsonl@120".to_string()),
                (SourceKind::Stdin, "stdin:7".to_string()),
                (SourceKind::Otlp, "otlp".to_string()),
            ]
        );
    }
}
