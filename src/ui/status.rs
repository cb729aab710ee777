//! The bottom line: the sort in effect (or which panel or list is open) and the keys,
//! generated from the keymap table: `?` and `q` first, then the table's order. Keys that do
//! not fit drop out from the end. A notice (what `E` did) takes the line until the next key.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, provider_degraded};
use crate::keymap::{Action, Binding, KEYMAP, Screen};
use crate::replay::controls::{CONTROLS, Control};
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(text) = app.prompt() {
        prompt(frame, area, " / ", text, "  Enter keep  Esc clear", theme);
        return;
    }
    let replay = app.replay();
    if let Some(text) = replay.and_then(|r| r.input.as_deref()) {
        let hint = match replay.and_then(|r| r.note.as_deref()) {
            Some(why) => format!("  {why}"),
            None => "  HH:MM, YYYY-MM-DD HH:MM or RFC 3339  Enter go  Esc cancel".into(),
        };
        prompt(frame, area, " go to ", text, &hint, theme);
        return;
    }
    if let Some(notice) = app.notice() {
        let style = match notice.error {
            true => theme.level(Level::Warn),
            false => theme.accent(),
        };
        let text = format!(" {}", sanitize(&notice.text, 1_000));
        frame.render_widget(Paragraph::new(Line::styled(text, style)), area);
        return;
    }
    let screen = app.screen();
    let lead = match screen {
        Screen::Alerts => " alerts ".to_string(),
        Screen::Detail => " identity ".to_string(),
        Screen::Event => " event ".to_string(),
        Screen::Sources => " sources ".to_string(),
        Screen::Providers => " providers ".to_string(),
        Screen::Table => {
            let arrow = if app.sort_descending() { "▼" } else { "▲" };
            format!(" sort: {} {arrow} ", app.sort().label())
        }
    };
    // The filter comes first: a filtered table must never pass for the whole.
    let filter = app.filter();
    let lead = if filter.is_empty() {
        lead
    } else {
        let (shown, all) = (app.order.len(), app.snapshot.identities.len());
        format!(
            " filter {}: {shown} of {all} │{lead}",
            sanitize(filter.text(), 30)
        )
    };
    // In replay, why the last key did nothing comes first.
    let lead = match replay.and_then(|r| r.note.as_deref()) {
        Some(note) => format!(" {} │{lead}", sanitize(note, 60)),
        None => lead,
    };
    let mut used = lead.chars().count();
    let mut spans = vec![Span::styled(lead, theme.accent())];
    let room = area.width as usize;
    // While a source fails (the header says so), the key to its details comes first.
    let failing = screen != Screen::Sources
        && (app.sources.iter().any(|s| !s.is_ok()) || app.providers.iter().any(provider_degraded));
    let promoted = |b: &&Binding| failing && b.action == Action::ToggleSources;
    let first = KEYMAP.iter().filter(promoted);
    // Replay plays and pauses with its own keys: live's pause is not listed there.
    let mut rest: Vec<&Binding> = KEYMAP
        .iter()
        .filter(|b| b.status.contains(&screen) && !promoted(b))
        .filter(|b| replay.is_none() || b.action != Action::Pause)
        .collect();
    // Help and quit come first, so that no width hides how to learn the rest or leave.
    rest.sort_by_key(|b| match b.action {
        Action::Help => 0,
        Action::Quit => 1,
        _ => 2,
    });
    let keys = first.map(|b| (b.label, b.help, true));
    let mut rest = rest.into_iter().map(|b| (b.label, b.help, false));
    // Then replay's keys, before the screen's own.
    let lead_keys: Vec<_> = keys.chain(rest.by_ref().take(2)).collect();
    let replay_keys = replay
        .into_iter()
        .flat_map(|_| CONTROLS.iter())
        // In an event popup `[` `]` are the popup's, listed with its keys.
        .filter(|b| !(screen == Screen::Event && b.control == Control::PreviousAlert))
        .filter_map(|b| b.status)
        .map(|(label, help)| (label, help, false));
    for (label, help, promoted) in lead_keys.into_iter().chain(replay_keys).chain(rest) {
        let key = format!(" {label}");
        let help = format!(" {help}");
        let width = key.chars().count() + help.chars().count();
        if used + width > room {
            break;
        }
        used += width;
        let help_style = if promoted {
            theme.level(Level::Critical)
        } else {
            theme.muted()
        };
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(help, help_style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A line being typed (the filter, a replay's time), with how to finish it; the end of
/// a long text stays visible.
fn prompt(frame: &mut Frame, area: Rect, lead: &str, text: &str, hint: &str, theme: &Theme) {
    let used = lead.chars().count() + hint.chars().count() + 1;
    let room = (area.width as usize).saturating_sub(used);
    let text = sanitize(text, 200);
    let skip = text.chars().count().saturating_sub(room);
    let shown: String = text.chars().skip(skip).collect();
    let line = Line::from(vec![
        Span::styled(lead.to_string(), theme.key()),
        Span::styled(format!("{shown}▏"), theme.text()),
        Span::styled(sanitize(hint, 200), theme.muted()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
