//! `report --entitlements`: the engine's per-identity review of tools against policies,
//! and, with providers on, the API keys that billed nothing in the range. The Admin APIs'
//! key lists are not read: the keys looked at are those the usage and cost reports name in
//! the [`KEY_LOOKBACK_MS`] before the range and in it (`key_source`).

use std::io::Write;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::csv::field;
use super::table::{md, pad};
use crate::engine::Engine;
use crate::engine::entitlements::{IdentityEntitlements, IdleKey, idle_keys};
use crate::engine::mapping::{Mapping, Pattern};
use crate::event::TimeMs;
use crate::parse::provider::ProviderBucket;
use crate::sanitize::sanitize;
use crate::source::provider::{Fetched, ProviderSpec, fetch_blocking};

/// How far before the range keys are looked for.
pub const KEY_LOOKBACK_MS: TimeMs = 30 * 86_400_000;
/// Longest cell shown in the table, in characters (cut with `…`).
const CELL_CHARS: usize = 120;

/// Where the keys reviewed came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The keys the usage and cost reports name before the range and in it.
    SeenBeforeRange,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entitlements {
    pub identities: Vec<IdentityEntitlements>,
    /// `null` when no provider is on (keys were not looked at).
    pub idle_keys: Option<Vec<IdleKey>>,
    pub key_source: Option<KeySource>,
    /// Keys were looked for from here (RFC 3339) to the range's end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_seen_from: Option<String>,
    /// Why a provider's earlier reports could not be read in full (keys it named may be
    /// missing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_errors: Vec<String>,
}

/// What the review reads besides the engine.
pub struct KeyInputs<'a> {
    pub providers: &'a [ProviderSpec],
    /// What the providers gave for the range.
    pub fetched: &'a [Fetched],
    pub provider_range: (TimeMs, TimeMs),
    pub mapping: &'a Mapping,
}

/// The review of the identities `identities` lets through (all when empty) and, with
/// providers on, their keys: the reports before the range are read here, at `now`.
pub fn review(
    engine: &Engine,
    identities: &[Pattern],
    keys: KeyInputs,
    now: TimeMs,
) -> Entitlements {
    let keep = |name: &str| identities.is_empty() || identities.iter().any(|p| p.matches(name));
    let mut out = Entitlements {
        identities: engine.entitlements(&keep),
        idle_keys: None,
        key_source: None,
        keys_seen_from: None,
        key_errors: Vec::new(),
    };
    if keys.providers.is_empty() {
        return out;
    }
    let start = keys.provider_range.0;
    let from = start - KEY_LOOKBACK_MS;
    let before = fetch_blocking(keys.providers, (from, start), now);
    let buckets = |f: &[Fetched]| -> Vec<ProviderBucket> {
        f.iter().flat_map(|f| f.buckets.iter().cloned()).collect()
    };
    let (in_range, earlier) = (buckets(keys.fetched), buckets(&before));
    // A day cut by `--since` is in both readings: it is the range's.
    let earlier: Vec<&ProviderBucket> = earlier.iter().filter(|b| b.end <= start).collect();
    let in_range: Vec<&ProviderBucket> = in_range.iter().collect();
    out.idle_keys = Some(idle_keys(&in_range, &earlier, keys.mapping));
    out.key_source = Some(KeySource::SeenBeforeRange);
    out.keys_seen_from = Some(crate::timefmt::format_rfc3339_ms(from));
    out.key_errors = before
        .into_iter()
        .filter_map(|f| f.health.last_error)
        .collect();
    out
}

/// A list as one cell: `-` when empty.
fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "-".to_string()
    } else {
        sanitize(&items.join(", "), CELL_CHARS)
    }
}

/// One row per identity: who, its policies, what it may call but did not, what it called
/// that no policy names.
fn identity_rows(e: &Entitlements) -> Vec<Vec<String>> {
    e.identities
        .iter()
        .map(|i| {
            vec![
                sanitize(i.display.as_deref().unwrap_or(&i.identity), CELL_CHARS),
                list(i.policies.iter().cloned()),
                list(i.unused_allowed.iter().cloned()),
                list(
                    i.unnamed_tools
                        .iter()
                        .map(|t| format!("{} ({})", t.tool, t.calls)),
                ),
            ]
        })
        .collect()
}

const IDENTITY_HEAD: [&str; 4] = ["IDENTITY", "POLICIES", "UNUSED ALLOWED", "UNNAMED TOOLS"];
const KEY_HEAD: [&str; 5] = ["PROVIDER", "API KEY ID", "IDENTITY", "PROJECT", "LAST SEEN"];

fn key_rows(keys: &[IdleKey]) -> Vec<Vec<String>> {
    let cell = |s: Option<&str>| sanitize(s.unwrap_or("-"), CELL_CHARS);
    keys.iter()
        .map(|k| {
            vec![
                k.provider.name().to_string(),
                cell(Some(&k.api_key_id)),
                cell(k.identity.as_deref()),
                cell(k.project.as_deref()),
                k.last_seen.clone(),
            ]
        })
        .collect()
}

/// What the key rows are, said once under them.
fn key_note(e: &Entitlements) -> Option<String> {
    let from = e.keys_seen_from.as_deref()?;
    let mut note = format!(
        "Keys that billed nothing in the range, among those the usage and cost reports name since {from} (the Admin APIs' key lists are not read)."
    );
    for err in &e.key_errors {
        note.push_str(&format!(" Not read in full: {}.", sanitize(err, 300)));
    }
    Some(note)
}

/// Aligned columns, two spaces apart, like the report's own table.
pub(super) fn aligned(
    head: &[&str],
    rows: &[Vec<String>],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    let mut widths = vec![0; head.len()];
    for row in std::iter::once(&head).chain(rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    for row in std::iter::once(&head).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, &w)| pad(c, w, false))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    if rows.is_empty() {
        writeln!(out, "(none)")?;
    }
    Ok(())
}

/// The table form's section.
pub fn write_table(e: &Entitlements, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "\nEntitlements: tools allowed but not used in the range, tools used that no policy names"
    )?;
    aligned(&IDENTITY_HEAD, &identity_rows(e), out)?;
    if let Some(keys) = &e.idle_keys {
        writeln!(out)?;
        aligned(&KEY_HEAD, &key_rows(keys), out)?;
    }
    if let Some(note) = key_note(e) {
        writeln!(out, "{note}")?;
    }
    Ok(())
}

pub(super) fn md_table(
    head: &[&str],
    rows: &[Vec<String>],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
    writeln!(out, "{}", line(head.iter().map(|h| md(h)).collect()))?;
    writeln!(
        out,
        "{}",
        line(head.iter().map(|_| "---".to_string()).collect())
    )?;
    for row in rows {
        writeln!(out, "{}", line(row.iter().map(|c| md(c)).collect()))?;
    }
    Ok(())
}

/// The Markdown form's section.
pub fn write_markdown(e: &Entitlements, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\n### Entitlements\n")?;
    md_table(&IDENTITY_HEAD, &identity_rows(e), out)?;
    if let Some(keys) = &e.idle_keys {
        writeln!(out)?;
        md_table(&KEY_HEAD, &key_rows(keys), out)?;
    }
    if let Some(note) = key_note(e) {
        writeln!(out, "\n{}", md(&note))?;
    }
    Ok(())
}

/// The CSV form: one row per (identity, kind, name); `kind` is `unused_allowed` (name is
/// the glob), `unnamed_tool` (with its calls) or `idle_key` (name is the key id; identity
/// the one the rules give it, if any).
pub fn write_csv(e: &Entitlements, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "identity,kind,name,calls,provider,last_seen")?;
    let cell = |s: &str| field(&sanitize(s, 10_000));
    for i in &e.identities {
        let who = cell(&i.identity);
        for glob in &i.unused_allowed {
            writeln!(out, "{who},unused_allowed,{},,,", cell(glob))?;
        }
        for t in &i.unnamed_tools {
            writeln!(out, "{who},unnamed_tool,{},{},,", cell(&t.tool), t.calls)?;
        }
    }
    for k in e.idle_keys.iter().flatten() {
        writeln!(
            out,
            "{},idle_key,{},,{},{}",
            cell(k.identity.as_deref().unwrap_or("")),
            cell(&k.api_key_id),
            k.provider.name(),
            k.last_seen
        )?;
    }
    Ok(())
}
