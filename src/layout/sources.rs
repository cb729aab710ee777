//! The sources view's lines: every source has a known number of them whatever the width,
//! so the view can be scrolled by line.

use ratatui::layout::Rect;

use super::ruled;
use crate::app::App;
use crate::source::health::SourceHealth;

/// Lines one source takes: its title, the error if any, two of counts, one per reject
/// reason, and a blank line.
pub fn block_height(source: &SourceHealth) -> usize {
    4 + usize::from(source.last_error.is_some()) + source.rejected.len()
}

/// The view's lines beyond what fits in `body`, and how many fit: the most it may
/// scroll, and a page.
pub fn scroll(app: &App, body: Rect) -> (usize, usize) {
    let visible = ruled().inner(body).height as usize;
    let lines: usize = app.sources.iter().map(block_height).sum();
    (lines.saturating_sub(visible), visible.max(1))
}
