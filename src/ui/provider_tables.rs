//! The providers view's tables: identities by unattributed spend (signed, with a mark
//! for a finding and for a day not settled yet) and the keys no rule maps. Provider
//! strings are untrusted: every one goes through the sanitizer.

use ratatui::text::{Line, Span};

use crate::engine::providers::reconcile::{Basis, ReconcileRow, UnmappedKey};
use crate::format;
use crate::layout::providers::{BASIS, DAY, MARK, SIGNED, USD, identity_width};
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};
use crate::ui::table::cut;

/// Longest identity, key or project formatted (columns cut them further).
const TEXT_CHARS: usize = 300;
/// Width of the provider column of the unmapped keys.
const PROVIDER: usize = 9;

/// `$5.00` with its sign: `+$5.00`, `-$1.20`, `$0`.
pub(super) fn signed_usd(x: f64) -> String {
    let amount = format::usd(x.abs());
    if x > 0.0 {
        format!("+{amount}")
    } else if x < 0.0 {
        format!("-{amount}")
    } else {
        amount
    }
}

pub(super) fn basis(basis: Basis) -> &'static str {
    match basis {
        Basis::Billed => "billed",
        Basis::Estimated => "estimated",
    }
}

/// The mark of a row of identities: a finding, or a day not settled yet.
pub(super) fn mark(row: &ReconcileRow) -> &'static str {
    match (row.over, row.settled) {
        (true, _) => "OVER",
        (false, false) => "pending",
        (false, true) => "",
    }
}

/// `text` in `width` characters, cut visibly or padded.
pub(super) fn column(text: String, width: usize, right: bool) -> String {
    let text = cut(text, width);
    if right {
        format!("{text:>width$}")
    } else {
        format!("{text:<width$}")
    }
}

pub(super) fn identity_header<'a>(width: usize, theme: &Theme) -> Line<'a> {
    let id = identity_width(width);
    Line::styled(
        format!(
            "  {:<id$} {:<DAY$} {:>USD$} {:<BASIS$} {:>USD$} {:>SIGNED$} {:<MARK$}",
            "IDENTITY", "DAY", "PROVIDER $", "BASIS", "LOGGED $", "UNATTRIBUTED", ""
        ),
        theme.table_header(),
    )
}

pub(super) fn identity_row<'a>(row: &ReconcileRow, width: usize, theme: &Theme) -> Line<'a> {
    let text = theme.text();
    let finding = theme.level(Level::Critical);
    let (signed_style, mark_style) = match (row.over, row.settled) {
        (true, _) => (finding, finding),
        (false, false) => (text, theme.muted()),
        (false, true) => (text, text),
    };
    let cells = [
        (
            column(
                sanitize(&row.identity, TEXT_CHARS),
                identity_width(width),
                false,
            ),
            theme.title(),
        ),
        (column(sanitize(&row.day, DAY), DAY, false), text),
        (
            column(
                format::usd_lower_bound(row.provider_usd, row.unpriced_rows),
                USD,
                true,
            ),
            text,
        ),
        (
            column(basis(row.provider_basis).into(), BASIS, false),
            theme.muted(),
        ),
        (column(format::usd(row.logged_usd), USD, true), text),
        (
            column(signed_usd(row.unattributed_usd), SIGNED, true),
            signed_style,
        ),
        (column(mark(row).into(), MARK, false), mark_style),
    ];
    let mut spans = vec![Span::raw("  ")];
    for (i, (cell, style)) in cells.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(cell, style));
    }
    Line::from(spans)
}

/// Widths of the key and project columns of the unmapped keys: what the provider and
/// the amount leave, shared.
pub(super) fn key_widths(width: usize) -> usize {
    (width.saturating_sub(2 + PROVIDER + 1 + 1 + 1 + USD) / 2).clamp(8, 40)
}

pub(super) fn unmapped_header<'a>(width: usize, theme: &Theme) -> Line<'a> {
    let w = key_widths(width);
    Line::styled(
        format!(
            "  {:<PROVIDER$} {:<w$} {:<w$} {:>USD$}",
            "PROVIDER", "KEY", "PROJECT", "EST $"
        ),
        theme.table_header(),
    )
}

pub(super) fn unmapped_row<'a>(key: &UnmappedKey, width: usize, theme: &Theme) -> Line<'a> {
    let w = key_widths(width);
    let text = theme.text();
    let shown = |s: &Option<String>| s.as_deref().map_or("—".into(), |s| sanitize(s, TEXT_CHARS));
    Line::from(vec![
        Span::raw("  "),
        Span::styled(column(key.provider.name().into(), PROVIDER, false), text),
        Span::raw(" "),
        Span::styled(column(shown(&key.api_key_id), w, false), theme.title()),
        Span::raw(" "),
        Span::styled(column(shown(&key.project), w, false), text),
        Span::raw(" "),
        Span::styled(
            column(
                format::usd_lower_bound(key.estimated_usd, key.unpriced_rows),
                USD,
                true,
            ),
            text,
        ),
    ])
}
