//! The providers view's lines: a block per provider, then today's spend, the identities by
//! unattributed spend and the keys no rule maps. Every part has a known number of lines
//! whatever the width, so the view can be scrolled by line.

use ratatui::layout::Rect;

use super::ruled;
use crate::app::App;
use crate::engine::providers::ProviderToday;
use crate::source::provider::ProviderStatus;

/// One provider as the view shows it: its poller's report and its day so far, each once
/// heard of.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub status: Option<&'a ProviderStatus>,
    pub today: Option<&'a ProviderToday>,
}

/// The providers in the order they reported, each with its day; a provider with usage
/// but no report yet comes after them.
pub fn entries(app: &App) -> Vec<Entry<'_>> {
    let today: &[ProviderToday] = app
        .snapshot
        .providers
        .as_ref()
        .map_or(&[], |v| v.today.as_slice());
    let mut out: Vec<Entry> = app
        .providers
        .iter()
        .map(|status| Entry {
            status: Some(status),
            today: today.iter().find(|t| status.provider == Some(t.provider)),
        })
        .collect();
    for t in today {
        if !app.providers.iter().any(|s| s.provider == Some(t.provider)) {
            out.push(Entry {
                status: None,
                today: Some(t),
            });
        }
    }
    out
}

/// Whether there is nothing to show: no provider is polled.
pub fn is_empty(app: &App) -> bool {
    app.providers.is_empty() && app.snapshot.providers.is_none()
}

/// Lines one provider takes at `width`: its title, its error if any (wrapped), two of polling when it
/// reported, one or two of today, and a blank line.
pub fn block_height(entry: &Entry, width: usize) -> usize {
    let error = entry
        .status
        .and_then(|s| s.health.last_error.as_deref())
        .map_or(0, |e| super::sources::error_rows(e, width).len());
    let polled = if entry.status.is_some() { 2 } else { 0 };
    let today = if entry.today.is_some() { 2 } else { 1 };
    2 + error + polled + today
}

/// Lines a table of `rows` takes under its heading: the column titles and the rows, or
/// one line saying there are none.
pub fn table_height(rows: usize) -> usize {
    1 + if rows == 0 { 1 } else { 1 + rows }
}

/// Lines after the blocks: today's spend, the identities and the unmapped keys (with a
/// blank line between), or one line while nothing has been read.
pub fn summary_height(app: &App) -> usize {
    match &app.snapshot.providers {
        None => 1,
        Some(v) => 2 + table_height(v.rows.len()) + 1 + table_height(v.unmapped.len()),
    }
}

/// Every line of the view at `width`.
pub fn lines(app: &App, width: usize) -> usize {
    if is_empty(app) {
        return 0;
    }
    let blocks: usize = entries(app).iter().map(|e| block_height(e, width)).sum();
    blocks + summary_height(app)
}

/// The view's lines beyond what fits in `body`, and how many fit: the most it may
/// scroll, and a page.
pub fn scroll(app: &App, body: Rect) -> (usize, usize) {
    let inner = ruled().inner(body);
    let visible = inner.height as usize;
    let lines = lines(app, inner.width as usize);
    (lines.saturating_sub(visible), visible.max(1))
}

/// Characters of the identity column in a view `width` wide: what the other columns
/// leave, within bounds.
pub fn identity_width(width: usize) -> usize {
    width.saturating_sub(ROW_FIXED).clamp(8, 40)
}

/// Characters a row of identities takes besides the identity: the indent and the other
/// columns with their gaps.
pub const ROW_FIXED: usize = 2 + 1 + DAY + 1 + USD + 1 + BASIS + 1 + USD + 1 + SIGNED + 1 + MARK;
pub const DAY: usize = 10;
pub const USD: usize = 10;
pub const BASIS: usize = 9;
pub const SIGNED: usize = 12;
pub const MARK: usize = 7;
