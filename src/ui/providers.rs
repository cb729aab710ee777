//! The providers view (`P`): a block per polled provider with its health (state, last
//! success, next poll, requests, retries, 429s, buckets restored from the store) and its
//! UTC day so far (tokens by class, requests, spend and its basis, keys); then the logs'
//! spend today beside each provider's, the identities by unattributed spend, and the keys
//! no rule maps. Provider strings are untrusted: all go through the sanitizer. Every part
//! has a known number of lines (`layout::providers`), so the app can scroll the view.

use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, ProviderState, provider_degraded, provider_name};
use crate::engine::providers::ProviderToday;
use crate::event::TimeMs;
use crate::format;
use crate::layout::providers::{Entry, entries, is_empty, lines, scroll};
use crate::layout::sources::error_rows;
use crate::sanitize::sanitize;
use crate::source::provider::ProviderStatus;
use crate::theme::{Level, Theme};
use crate::timefmt::parse_rfc3339_ms;
use crate::ui::page;
use crate::ui::provider_tables::{
    basis, identity_header, identity_row, unmapped_header, unmapped_row,
};
use crate::ui::sources::{count_style, label, pairs};

/// Longest error, URL or name drawn (lines are cut at the edge anyway).
const TEXT_CHARS: usize = 300;

/// What the view says when no provider is polled: how to turn one on.
const TURN_ON: [&str; 6] = [
    "No provider is polled.",
    "",
    "Turn one on with --openai or --anthropic,",
    "or [providers.openai] / [providers.anthropic] in the config.",
    "Each reads an organization admin key from",
    "OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_KEY.",
];

/// The lines on screen: those from `skip` on, at most `room` of them. Lines are counted
/// as they come but only those shown are formatted.
struct Shown<'a> {
    skip: usize,
    room: usize,
    counted: usize,
    lines: Vec<Line<'a>>,
}

impl<'a> Shown<'a> {
    fn new(skip: usize, room: usize) -> Self {
        Shown {
            skip,
            room,
            counted: 0,
            lines: Vec::new(),
        }
    }

    /// The next line, formatted only when it is on screen.
    fn push(&mut self, line: impl FnOnce() -> Line<'a>) {
        if self.counted >= self.skip && self.lines.len() < self.room {
            self.lines.push(line());
        }
        self.counted += 1;
    }

    /// Lines already formatted together: pushed one by one.
    fn extend(&mut self, lines: Vec<Line<'a>>) {
        for line in lines {
            self.push(|| line);
        }
    }

    /// Whether `n` lines from here are all above the screen.
    fn above(&self, n: usize) -> bool {
        self.counted + n <= self.skip
    }
}

/// A time as a wall clock in the engine's time zone: `14:05:09`.
fn wall(ms: TimeMs, zone: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned_datetime(zone.clone())
            .strftime("%H:%M:%S")
            .to_string(),
        Err(_) => ms.to_string(),
    }
}

/// A block's title: marker, name, state and where it polls.
fn title<'a>(entry: &Entry, app: &App, theme: &Theme) -> Line<'a> {
    let name = match (entry.status, entry.today) {
        (Some(s), _) => provider_name(s),
        (None, Some(t)) => t.provider.name(),
        (None, None) => "provider",
    };
    let (marker, state, style) = match entry.status {
        None => (
            "·",
            "no report from its poller yet".to_string(),
            theme.muted(),
        ),
        Some(s) => match ProviderState::of(s, app.snapshot.now) {
            ProviderState::Stopped => ("✗", "stopped".into(), theme.level(Level::Critical)),
            ProviderState::RateLimited(until) => (
                "!",
                format!("rate limited until {}", wall(until, app.time_zone())),
                theme.level(Level::Warn),
            ),
            ProviderState::Degraded => ("✗", "degraded".into(), theme.level(Level::Critical)),
            ProviderState::Starting => ("·", "starting".into(), theme.muted()),
            ProviderState::Ok => ("✓", "ok".into(), theme.level(Level::Ok)),
        },
    };
    let mut spans = vec![
        Span::styled(format!("{marker} "), style),
        Span::styled(name, theme.title()),
        Span::styled(format!("  {state}"), style),
    ];
    if let Some(s) = entry.status {
        spans.push(Span::styled(
            format!("  {}", sanitize(&s.health.url, TEXT_CHARS)),
            theme.muted(),
        ));
    }
    Line::from(spans)
}

/// The error's lines, wrapped as the sources view wraps them; none without an error.
fn error<'a>(status: &ProviderStatus, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let Some(error) = status.health.last_error.as_deref() else {
        return Vec::new();
    };
    let style = theme.level(Level::Critical);
    error_rows(error, width)
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let label = if i == 0 { "error" } else { "" };
            Line::from(vec![
                Span::styled(format!("  {label:<10}"), style),
                Span::styled(row, style),
            ])
        })
        .collect()
}

/// When it last read everything and when it polls next; how its requests went.
fn polling<'a>(status: &ProviderStatus, app: &App, theme: &Theme) -> [Line<'a>; 2] {
    let (text, now, zone) = (theme.text(), app.snapshot.now, app.time_zone());
    let last = match status.health.last_success.as_deref() {
        None => "never".to_string(),
        Some(stamp) => match parse_rfc3339_ms(stamp) {
            Some(t) => format!("{} ({})", wall(t, zone), format::ago(now - t)),
            None => sanitize(stamp, 40),
        },
    };
    let next = match status.next_poll {
        _ if status.stopped => "none: stopped".to_string(),
        None => "—".to_string(),
        Some(t) if t > now => format!("{} (in {})", wall(t, zone), format::span(t - now)),
        Some(t) => format!("{} (due)", wall(t, zone)),
    };
    let mut first = vec![label("polled", theme)];
    first.extend(pairs(
        vec![("last ok", last, text), ("next poll", next, text)],
        theme,
    ));
    let h = &status.health;
    let warn = |n: u64| count_style(n, text, theme);
    let mut second = vec![label("http", theme)];
    second.extend(pairs(
        vec![
            ("requests", format::int(h.requests), text),
            ("retries", format::int(h.retries), warn(h.retries)),
            ("429s", format::int(h.rate_limited), warn(h.rate_limited)),
            ("pages", format::int(h.pages), text),
            (
                "restored",
                format::count(status.restored_buckets, "bucket", "buckets"),
                text,
            ),
        ],
        theme,
    ));
    [Line::from(first), Line::from(second)]
}

/// The provider's UTC day so far: tokens by class, then spend, requests and keys.
fn today<'a>(today: &ProviderToday, theme: &Theme) -> [Line<'a>; 2] {
    let text = theme.text();
    let si = |n: u64| format::si(n as f64);
    let t = &today.tokens;
    let mut tokens = vec![label("today", theme)];
    tokens.extend(pairs(
        vec![
            ("input", si(t.input), text),
            ("cache read", si(t.cache_read), text),
            ("cache write 5m", si(t.cache_write_5m), text),
            ("1h", si(t.cache_write_1h), text),
            ("output", si(t.output), text),
        ],
        theme,
    ));
    let requests = today.requests.map_or("—".to_string(), format::int);
    let mut spend = vec![
        label("spend", theme),
        Span::styled(format::usd(today.usd), theme.accent()),
        Span::styled(format!(" {} · ", basis(today.basis)), theme.muted()),
    ];
    let mut items = vec![
        ("requests", requests, text),
        ("keys", format::int(today.keys as u64), text),
    ];
    if today.unpriced_rows > 0 {
        let rows = format::count(today.unpriced_rows, "row", "rows");
        items.push(("unpriced", rows, theme.unpriced()));
    }
    spend.extend(pairs(items, theme));
    [Line::from(tokens), Line::from(spend)]
}

/// One provider's lines, `layout::providers::block_height` of them.
fn block<'a>(entry: &Entry, app: &App, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![title(entry, app, theme)];
    if let Some(status) = entry.status {
        lines.extend(error(status, width, theme));
        lines.extend(polling(status, app, theme));
    }
    match entry.today {
        Some(t) => lines.extend(today(t, theme)),
        None => lines.push(Line::from(vec![
            label("today", theme),
            Span::styled("nothing read for today yet", theme.muted()),
        ])),
    }
    lines.push(Line::raw(""));
    lines
}

/// The logs' spend today beside each provider's (each with its basis: a bill and an
/// estimate are not added up).
fn logged_vs_providers<'a>(app: &App, theme: &Theme) -> Line<'a> {
    let Some(view) = &app.snapshot.providers else {
        return Line::raw("");
    };
    let mut spans = vec![
        Span::styled("today (UTC)  logged ", theme.table_header()),
        Span::styled(format::usd(view.logged_today_usd), theme.accent()),
    ];
    for t in &view.today {
        spans.push(Span::styled(
            format!(" │ {} ", t.provider.name()),
            theme.muted(),
        ));
        spans.push(Span::styled(format::usd(t.usd), theme.accent()));
        spans.push(Span::styled(format!(" {}", basis(t.basis)), theme.muted()));
    }
    Line::from(spans)
}

/// A table under its heading: column titles and rows, or a line saying there are none
/// (`layout::providers::table_height` lines).
fn table<'a, T>(
    shown: &mut Shown<'a>,
    heading: Line<'a>,
    header: impl FnOnce() -> Line<'a>,
    rows: &[T],
    row: impl Fn(&T) -> Line<'a>,
    none: &'static str,
    theme: &Theme,
) {
    shown.push(|| heading);
    if rows.is_empty() {
        let style = theme.muted();
        shown.push(|| Line::styled(format!("  {none}"), style));
        return;
    }
    shown.push(header);
    for r in rows {
        shown.push(|| row(r));
    }
}

/// Every line of the view, into `shown`; `width` is the view's.
fn view_lines<'a>(shown: &mut Shown<'a>, app: &App, width: usize, theme: &Theme) {
    for entry in entries(app) {
        let height = crate::layout::providers::block_height(&entry, width);
        if shown.above(height) {
            shown.counted += height;
        } else {
            shown.extend(block(&entry, app, width, theme));
        }
    }
    let Some(view) = &app.snapshot.providers else {
        let style = theme.muted();
        shown.push(|| {
            Line::styled(
                "Nothing read from the providers yet: today's spend and the identities show after the first poll.",
                style,
            )
        });
        return;
    };
    shown.push(|| logged_vs_providers(app, theme));
    shown.push(|| Line::raw(""));
    let heading = Line::from(vec![
        Span::styled("identities by unattributed spend", theme.table_header()),
        Span::styled(
            format!(
                "  over {} once settled ({}) is a finding",
                format::usd(view.threshold_usd),
                sanitize(&view.settle, 20)
            ),
            theme.muted(),
        ),
    ]);
    table(
        shown,
        heading,
        || identity_header(width, theme),
        &view.rows,
        |r| identity_row(r, width, theme),
        "no provider key maps to an identity yet: [[identity]] rules name keys",
        theme,
    );
    shown.push(|| Line::raw(""));
    let heading = Line::from(vec![
        Span::styled("keys no [[identity]] rule maps", theme.table_header()),
        Span::styled("  listed, never a finding", theme.muted()),
    ]);
    table(
        shown,
        heading,
        || unmapped_header(width, theme),
        &view.unmapped,
        |k| unmapped_row(k, width, theme),
        "none: every key maps to an identity",
        theme,
    );
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let degraded = app
        .providers
        .iter()
        .filter(|p| provider_degraded(p))
        .count();
    let title = page::count_title("providers", entries(app).len(), degraded, "degraded", theme);
    let (max, visible) = scroll(app, area);
    let offset = app.providers_scroll().unwrap_or(0).min(max);
    let at = page::Scrolled {
        offset,
        visible,
        max,
        total: lines(app, area.width as usize),
    };
    let block = page::frame(title, &at, "P", theme);
    if is_empty(app) {
        let text = TURN_ON.iter().map(|&l| Line::raw(l)).collect();
        page::empty(frame, area, block, text, theme);
        return;
    }
    let mut shown = Shown::new(offset, visible);
    view_lines(&mut shown, app, area.width as usize, theme);
    frame.render_widget(Paragraph::new(shown.lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::app::Msg;
    use crate::engine::Engine;
    use crate::engine::providers::ProvidersView;
    use crate::engine::providers::reconcile::{Basis, ReconcileRow, UnmappedKey};
    use crate::event::Tokens;
    use crate::parse::provider::Provider;
    use crate::pricing::PriceTable;
    use crate::ui::provider_tables::{mark, signed_usd};

    fn row(identity: &str, settled: bool) -> ReconcileRow {
        ReconcileRow {
            identity: identity.into(),
            day: "2026-01-01".into(),
            provider_usd: 2.0,
            provider_basis: Basis::Estimated,
            logged_usd: 1.0,
            unattributed_usd: 1.0,
            over: false,
            settled,
            unpriced_rows: 0,
        }
    }

    /// Lines counted and drawn for `app` agree with the layout's count, from the top and
    /// scrolled.
    fn assert_counts(app: &App) {
        let theme = Theme::builtin();
        let mut all = Shown::new(0, usize::MAX);
        view_lines(&mut all, app, 100, &theme);
        assert_eq!(all.counted, lines(app, 100));
        assert_eq!(all.lines.len(), lines(app, 100));
        let mut tail = Shown::new(3, usize::MAX);
        view_lines(&mut tail, app, 100, &theme);
        assert_eq!(tail.lines.len(), lines(app, 100) - 3);
    }

    #[test]
    fn the_lines_drawn_are_the_lines_the_layout_counts() {
        let e = Engine::new(Arc::new(PriceTable::builtin().clone()), TimeZone::UTC);
        let mut app = App::new("t".into(), e.snapshot(None));
        let mut status = ProviderStatus {
            provider: Some(Provider::OpenAi),
            ..ProviderStatus::default()
        };
        app.update(Msg::ProviderStatus(status.clone()));
        assert_counts(&app);
        status.health.last_error = Some("openai: HTTP 500".into());
        app.update(Msg::ProviderStatus(status.clone()));
        assert_counts(&app);
        // An error longer than a line wraps, counted as drawn.
        status.health.last_error = Some(format!("openai: {}", "refused ".repeat(30)));
        app.update(Msg::ProviderStatus(status));
        assert_counts(&app);
        let mut snapshot = (*app.snapshot).clone();
        let today = |provider| ProviderToday {
            provider,
            day: "2026-01-01".into(),
            tokens: Tokens::default(),
            requests: None,
            usd: 1.0,
            basis: Basis::Estimated,
            unpriced_rows: 0,
            keys: 1,
        };
        let mut view = ProvidersView {
            today: vec![today(Provider::OpenAi), today(Provider::Anthropic)],
            ..ProvidersView::default()
        };
        snapshot.providers = Some(Arc::new(view.clone()));
        app.update(Msg::Snapshot(Arc::new(snapshot.clone())));
        assert_counts(&app);
        view.rows = vec![row("a", true), row("b", false)];
        view.unmapped = vec![UnmappedKey {
            provider: Provider::Anthropic,
            api_key_id: None,
            project: Some("wrkspc".into()),
            estimated_usd: 0.5,
            unpriced_rows: 0,
        }];
        snapshot.providers = Some(Arc::new(view));
        app.update(Msg::Snapshot(Arc::new(snapshot)));
        assert_counts(&app);
    }

    #[test]
    fn signed_amounts_and_marks() {
        assert_eq!(signed_usd(5.0), "+$5.00");
        assert_eq!(signed_usd(-1.2), "-$1.20");
        assert_eq!(signed_usd(0.0), "$0");
        let mut r = row("a", false);
        assert_eq!(mark(&r), "pending");
        r.settled = true;
        assert_eq!(mark(&r), "");
        r.over = true;
        assert_eq!(mark(&r), "OVER");
    }
}
