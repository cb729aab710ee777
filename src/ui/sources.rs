//! The sources view (`h`): one block per source with what it read, what it used, what it
//! rejected and why (with an example line), and its last error; each polled provider is a
//! source too, with where it polls and how its requests went. Broken sources come first,
//! in the error style, so a broken feed is found in seconds. Every source has a known
//! number of lines whatever the width (`layout::sources`), so the app can scroll the view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, provider_degraded, provider_name};
use crate::format;
use crate::layout::sources::{
    LABEL, TEXT_CHARS, block_height, error_rows, lines as layout_lines, provider_height, scroll,
};
use crate::sanitize::sanitize;
use crate::source::health::SourceHealth;
use crate::source::provider::ProviderStatus;
use crate::theme::{Level, Theme};
use crate::ui::page;

/// A source as the view lists it: a file source or a polled provider.
#[derive(Clone, Copy)]
enum Source<'a> {
    File(&'a SourceHealth),
    Provider(&'a ProviderStatus),
}

impl Source<'_> {
    fn failing(&self) -> bool {
        match self {
            Source::File(s) => !s.is_ok(),
            Source::Provider(p) => provider_degraded(p),
        }
    }

    fn finished(&self) -> bool {
        matches!(self, Source::File(s) if s.finished)
    }

    fn height(&self, width: usize) -> usize {
        match self {
            Source::File(s) => block_height(s, width),
            Source::Provider(p) => provider_height(p, width),
        }
    }
}

/// The sources in the order shown: failing, then running, then finished; files before
/// providers, otherwise as they reported.
fn ordered(app: &App) -> Vec<Source<'_>> {
    let mut sources: Vec<Source> = app.sources.iter().map(Source::File).collect();
    sources.extend(app.providers.iter().map(Source::Provider));
    sources.sort_by_key(|s| (!s.failing(), s.finished()));
    sources
}

fn state(source: &SourceHealth) -> &'static str {
    match (source.is_ok(), source.finished) {
        (false, _) => "failing",
        (true, true) => "finished",
        (true, false) => "ok",
    }
}

/// A line's label, muted, in the labels column.
pub(super) fn label<'a>(text: &str, theme: &Theme) -> Span<'a> {
    Span::styled(
        format!("  {text:<width$}", width = LABEL - 2),
        theme.muted(),
    )
}

/// The style of a count that is bad news as soon as it is not zero: warn, else `text`.
pub(super) fn count_style(n: u64, text: Style, theme: &Theme) -> Style {
    if n > 0 {
        theme.level(Level::Warn)
    } else {
        text
    }
}

/// `name value` pairs joined by a dot.
pub(super) fn pairs<'a>(items: Vec<(&str, String, Style)>, theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (i, (name, value, style)) in items.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted()));
        }
        spans.push(Span::styled(format!("{name} "), theme.muted()));
        spans.push(Span::styled(value, style));
    }
    spans
}

/// An error wrapped over lines of `width` ([`error_rows`]), the label on the first.
fn error_lines<'a>(error: &str, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let style = theme.level(Level::Critical);
    error_rows(error, width)
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let label = if i == 0 { "error" } else { "" };
            Line::from(vec![
                Span::styled(format!("  {label:<width$}", width = LABEL - 2), style),
                Span::styled(row, style),
            ])
        })
        .collect()
}

/// One source's lines, [`block_height`] of them; examples are cut to `width`.
fn source_lines<'a>(source: &SourceHealth, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let failing = !source.is_ok();
    let (marker, title) = match (failing, source.finished) {
        (true, _) => ("✗", theme.level(Level::Critical)),
        (false, true) => ("■", theme.muted()),
        (false, false) => ("✓", theme.title()),
    };
    let marker_style = if failing || source.finished {
        title
    } else {
        theme.level(Level::Ok)
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{marker} "), marker_style),
        Span::styled(sanitize(&source.path, TEXT_CHARS), title),
        Span::styled(format!("  {}", state(source)), marker_style),
    ])];
    if let Some(error) = &source.last_error {
        lines.extend(error_lines(error, width, theme));
    }
    let text = theme.text();
    let warn = |n: u64| count_style(n, text, theme);
    let mut read = vec![label("read", theme)];
    read.extend(pairs(
        vec![
            ("files", format::int(source.files as u64), text),
            ("bytes", format::bytes(source.bytes), text),
            ("lines", format::si(source.lines as f64), text),
            ("lag", format::bytes(source.lag_bytes), text),
            (
                "restarts",
                format::int(source.restarts),
                warn(source.restarts),
            ),
        ],
        theme,
    ));
    lines.push(Line::from(read));
    let rejected = source.rejected_lines();
    let mut parsed = vec![label("parsed", theme)];
    parsed.extend(pairs(
        vec![
            ("events", format::si(source.events as f64), text),
            (
                "without usage",
                format::si(source.lines_without_usage as f64),
                text,
            ),
            ("rejected", format::si(rejected as f64), warn(rejected)),
        ],
        theme,
    ));
    lines.push(Line::from(parsed));
    let reason_width = source.rejected.keys().map(|r| r.label().len()).max();
    let count_width = source
        .rejected
        .values()
        .map(|r| format::si(r.count as f64).len())
        .max();
    for (i, (reason, r)) in source.rejected.iter().enumerate() {
        let (reason_width, count_width) = (reason_width.unwrap_or(0), count_width.unwrap_or(0));
        let lead = format!(
            "{:<reason_width$} {:>count_width$}  ",
            reason.label(),
            format::si(r.count as f64)
        );
        let room = width
            .saturating_sub(LABEL + lead.chars().count() + 1)
            .max(1);
        lines.push(Line::from(vec![
            label(if i == 0 { "rejected" } else { "" }, theme),
            Span::styled(lead, theme.level(Level::Warn)),
            Span::styled(sanitize(&r.example, room), theme.muted()),
        ]));
    }
    lines.push(Line::raw(""));
    lines
}

/// A polled provider's lines, [`provider_height`] of them: its name, where it polls and
/// its state, its error, and how its requests went.
fn provider_lines<'a>(status: &ProviderStatus, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let (marker, state, style) = match (status.stopped, provider_degraded(status)) {
        (true, _) => ("✗", "stopped", theme.level(Level::Critical)),
        (false, true) => ("✗", "degraded", theme.level(Level::Critical)),
        (false, false) => ("✓", "ok", theme.level(Level::Ok)),
    };
    let name_style = if provider_degraded(status) {
        style
    } else {
        theme.title()
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{marker} "), style),
        Span::styled(provider_name(status), name_style),
        Span::styled(
            format!(" {}", sanitize(&status.health.url, TEXT_CHARS)),
            theme.muted(),
        ),
        Span::styled(format!("  {state}"), style),
    ])];
    if let Some(error) = &status.health.last_error {
        lines.extend(error_lines(error, width, theme));
    }
    let h = &status.health;
    let text = theme.text();
    let mut polled = vec![label("polled", theme)];
    polled.extend(pairs(
        vec![
            ("requests", format::int(h.requests), text),
            ("retries", format::int(h.retries), text),
            ("429s", format::int(h.rate_limited), text),
            ("pages", format::int(h.pages), text),
        ],
        theme,
    ));
    lines.push(Line::from(polled));
    lines.push(Line::raw(""));
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let all = ordered(app);
    let failing = all.iter().filter(|s| s.failing()).count();
    let mut title = page::count_title("sources", all.len(), failing, "failing", theme);
    // What the engine, not a source, set apart: the same for every source.
    let ingest = &app.snapshot.ingest;
    for (n, what) in [
        (ingest.future, "ahead of the clock, counted at it"),
        (ingest.implausible, "implausible at their price, left out"),
    ] {
        if n > 0 {
            let note = format!("│ {} {what} ", format::int(n));
            title.push_span(Span::styled(note, theme.level(Level::Warn)));
        }
    }
    // What counting each request once costs over the retention horizon: the part of
    // memory that grows with traffic rather than staying flat.
    let held = app.snapshot.dedup_held;
    if held.keys > 0 {
        let note = format!(
            "│ dedup {} keys {} ",
            format::si(held.keys as f64),
            format::bytes(held.bytes as u64)
        );
        title.push_span(Span::styled(note, theme.muted()));
    }
    let (max, visible) = scroll(app, area);
    let offset = app.sources_scroll().unwrap_or(0).min(max);
    let width = area.width as usize;
    let at = page::Scrolled {
        offset,
        visible,
        max,
        total: layout_lines(app, width),
    };
    let block = page::frame(title, &at, "h", theme);
    if all.is_empty() {
        let text = vec![Line::raw("No source has reported yet.")];
        page::empty(frame, area, block, text, theme);
        return;
    }
    // Only the blocks on screen are formatted: skip whole blocks above the offset.
    let mut skip = offset;
    let mut shown = Vec::with_capacity(visible);
    for source in all {
        let height = source.height(width);
        if skip >= height {
            skip -= height;
            continue;
        }
        let lines = match source {
            Source::File(s) => source_lines(s, width, theme),
            Source::Provider(p) => provider_lines(p, width, theme),
        };
        shown.extend(lines.into_iter().skip(skip));
        skip = 0;
        if shown.len() >= visible {
            break;
        }
    }
    shown.truncate(visible);
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::RejectReason;

    #[test]
    fn block_height_is_the_lines_drawn() {
        let theme = Theme::builtin();
        let mut source = SourceHealth::new("a");
        assert_eq!(
            source_lines(&source, 80, &theme).len(),
            block_height(&source, 80)
        );
        source.last_error = Some("gone".into());
        source.reject(RejectReason::InvalidJson, b"{");
        source.reject(RejectReason::TooLong, b"xxxx");
        for width in [0, 10, 200] {
            let lines = source_lines(&source, width, &theme).len();
            assert_eq!(lines, block_height(&source, width));
        }
        let mut provider = ProviderStatus::default();
        assert_eq!(
            provider_lines(&provider, 80, &theme).len(),
            provider_height(&provider, 80)
        );
        // A long error wraps, the same in the layout as on screen.
        provider.health.last_error = Some(format!("openai: HTTP 401: {}", "x".repeat(130)));
        for (width, rows) in [(80, 3), (120, 3), (200, 1), (10, 3)] {
            let lines = provider_lines(&provider, width, &theme);
            assert_eq!(lines.len(), provider_height(&provider, width), "{width}");
            assert_eq!(lines.len(), 3 + rows, "{width}");
        }
    }

    #[test]
    fn an_error_wraps_between_words() {
        // 52 columns leave 40 beside the label.
        let rows = error_rows(
            "the key in OPENAI_ADMIN_KEY was refused: use an admin key",
            52,
        );
        assert_eq!(
            rows,
            [
                "the key in OPENAI_ADMIN_KEY was refused:",
                "use an admin key"
            ]
        );
    }

    #[test]
    fn an_error_too_long_for_three_lines_ends_with_an_ellipsis() {
        let rows = error_rows(&"y".repeat(500), 40);
        assert_eq!(rows.len(), 3);
        assert!(rows[2].ends_with('…'));
        assert!(rows.iter().all(|r| r.chars().count() <= 28));
    }
}
