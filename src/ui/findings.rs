//! The identity view's findings: one line each (severity, kind, what, how often, when,
//! acknowledged), the selected one highlighted once `f` moved the keys there, and Enter's
//! popup of one finding over the record behind it (a secret's first sighting, the first
//! call of a policy or new-tool run), redacted as the event popup's is.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::App;
use crate::engine::alerts::AlertKind;
use crate::engine::snapshot::{Finding, IdentityDetail};
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::Theme;
use crate::ui::detail::Draw;
use crate::ui::event_popup::{draw_popup, field, record_header, timestamp};
use crate::ui::table::{self, Cells, Col};

/// When it ended (or that it is still open) and whether it was acknowledged give way
/// last, after its kind.
const COLS: [Col; 7] = [
    Col::text("SEV", 4, 10),
    Col::text("FINDING", 12, 9),
    Col::flex("WHAT", 14),
    Col::num("COUNT", 5, 5),
    Col::num("SINCE", 7, 6),
    Col::num("UNTIL", 7, 8),
    Col::text("ACK", 3, 7),
];

/// What the finding is about, never a secret's value: `Bash outside "no shell"`,
/// `github_token in message.content[0].content`, `$12.40 unattributed on 2026-01-02`.
pub fn what(f: &Finding) -> String {
    let tool = || sanitize(f.tool.as_deref().unwrap_or("a tool"), 80);
    match f.kind {
        AlertKind::Policy => format!(
            "{} outside {:?}",
            tool(),
            sanitize(f.policy.as_deref().unwrap_or_default(), 80)
        ),
        AlertKind::Secret => match &f.secret {
            Some(s) if !s.place.is_empty() => {
                format!("{} in {}", s.secret_type, sanitize(&s.place, 120))
            }
            Some(s) => format!("{} in the record", s.secret_type),
            None => "a secret".to_string(),
        },
        AlertKind::Unattributed => {
            let usd = format::usd(f.usd.unwrap_or_default());
            match &f.day {
                Some(day) => format!("{usd} unattributed on {}", sanitize(day, 20)),
                None => format!("{usd} unattributed"),
            }
        }
        _ => tool(),
    }
}

/// The identity's findings, newest first.
pub fn section<'a>(app: &'a App, d: &'a IdentityDetail, theme: &'a Theme) -> Draw<'a> {
    let now = app.snapshot.now;
    Box::new(move |frame, area| {
        let row = |i: usize| -> Cells {
            let f = &d.findings[i];
            let loud = theme.alert(f.severity);
            let (until, until_style) = match f.ended_at {
                None => ("open".to_string(), loud),
                Some(t) => (format::ago(now - t), theme.muted()),
            };
            let acked = app.finding_acknowledged(f);
            let sev = if acked { theme.acknowledged() } else { loud };
            vec![
                (f.severity.label().to_string(), sev),
                (f.kind.label().to_string(), theme.text()),
                (what(f), theme.text()),
                match f.count {
                    Some(n) => (format::int(n), theme.text()),
                    None => ("·".into(), theme.muted()),
                },
                (format::ago(now - f.started_at), theme.muted()),
                (until, until_style),
                (
                    if acked { "ack" } else { "" }.to_string(),
                    theme.acknowledged(),
                ),
            ]
        };
        let selected = app.in_findings().then(|| app.finding_cursor());
        let count = d.findings.len();
        table::render_selected(frame, area, &COLS, count, selected, row, theme);
    })
}

/// How often, in the finding's own terms.
fn count(f: &Finding) -> String {
    match (f.kind, f.count) {
        (AlertKind::Secret, Some(n)) => format!("seen {}", format::count(n, "time", "times")),
        (_, Some(n)) => format::count(n, "call", "calls"),
        (_, None) => "·".to_string(),
    }
}

/// Why a finding has no record to show.
fn missing(f: &Finding) -> &'static str {
    match f.kind {
        AlertKind::Unattributed => "none: provider spend has no log line (P shows the ledger)",
        _ => "not kept: stdin and OTLP records cannot be read back",
    }
}

/// Draws the popup of the selected finding, centred over the identity view.
pub fn popup(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (Some(f), Some(detail)) = (app.finding_popup(), app.detail()) else {
        return;
    };
    let now = app.snapshot.now;
    let when = |t: i64| format!("{} ({})", timestamp(t), format::ago(now - t));
    let mut body = vec![
        field(
            "finding",
            format!("{} {}", f.severity.label(), f.kind.label()),
            theme,
        ),
        field("what", what(f), theme),
        field("identity", sanitize(&detail.row.name, 80), theme),
        field("count", count(f), theme),
        field("started", when(f.started_at), theme),
        field("ended", f.ended_at.map_or("open".into(), when), theme),
        field(
            "fingerprint",
            f.secret
                .as_ref()
                .map_or("·".into(), |s| s.fingerprint.clone()),
            theme,
        ),
        field(
            "acknowledged",
            if app.finding_acknowledged(f) {
                "yes"
            } else {
                "no (x in the list)"
            }
            .into(),
            theme,
        ),
    ];
    debug_assert_eq!(
        body.len(),
        usize::from(crate::layout::event_popup::FINDING_LINES)
    );
    let origin = f.record.and_then(|r| r.origin);
    body.push(record_header(app, origin, missing(f), theme));
    let title = format!(
        " finding {} of {} ",
        app.finding_cursor() + 1,
        detail.findings.len()
    );
    let title = (title, theme.alert(f.severity));
    draw_popup(frame, area, app, title, body, "other findings", theme);
}
