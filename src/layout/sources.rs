//! The sources view's lines: every source (a polled provider too) has a known number of
//! them at a given width (an error wraps), so the view can be scrolled by line.

use ratatui::layout::Rect;

use super::ruled;
use crate::app::App;
use crate::sanitize::sanitize;
use crate::source::health::SourceHealth;
use crate::source::provider::ProviderStatus;

/// Width of the labels column, indent included.
pub const LABEL: usize = 12;
/// Longest path or error drawn.
pub const TEXT_CHARS: usize = 300;
/// An error wraps over at most this many lines: what went wrong and what to do.
pub const ERROR_ROWS: usize = 3;

/// The pieces an error is drawn in at `width`, one per line, the last one cut with `…`
/// when even [`ERROR_ROWS`] lines are too few.
pub fn error_rows(error: &str, width: usize) -> Vec<String> {
    let room = width.saturating_sub(LABEL).max(20);
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    // Words, broken at spaces; a word longer than a line is broken where it must be.
    for word in sanitize(error, TEXT_CHARS).split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let used = row.chars().count();
        if used > 0 && used + 1 + word.len() <= room {
            row.push(' ');
        } else if used > 0 {
            rows.push(std::mem::take(&mut row));
        }
        while word.len() > room {
            let rest = word.split_off(room);
            rows.push(word.into_iter().collect());
            word = rest;
        }
        row.extend(word);
    }
    rows.push(row);
    if rows.len() > ERROR_ROWS {
        rows.truncate(ERROR_ROWS);
        if let Some(last) = rows.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    rows
}

fn error_height(error: Option<&String>, width: usize) -> usize {
    error.map_or(0, |e| error_rows(e, width).len())
}

/// Lines one source takes at `width`: its title, the error if any, two of counts, one per
/// reject reason, and a blank line.
pub fn block_height(source: &SourceHealth, width: usize) -> usize {
    4 + error_height(source.last_error.as_ref(), width) + source.rejected.len()
}

/// Lines one polled provider takes at `width`: its title, the error if any, one of counts
/// and a blank line.
pub fn provider_height(status: &ProviderStatus, width: usize) -> usize {
    3 + error_height(status.health.last_error.as_ref(), width)
}

/// Every line of the view at `width`: the sources' and the providers'.
pub fn lines(app: &App, width: usize) -> usize {
    let sources: usize = app.sources.iter().map(|s| block_height(s, width)).sum();
    let providers: usize = app
        .providers
        .iter()
        .map(|p| provider_height(p, width))
        .sum();
    sources + providers
}

/// The view's lines beyond what fits in `body`, and how many fit: the most it may
/// scroll, and a page.
pub fn scroll(app: &App, body: Rect) -> (usize, usize) {
    let inner = ruled().inner(body);
    let visible = inner.height as usize;
    let lines = lines(app, inner.width as usize);
    (lines.saturating_sub(visible), visible.max(1))
}
