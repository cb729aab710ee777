//! The sources view's lines: every source (a polled provider too) has a known number of them whatever the width,
//! so the view can be scrolled by line.

use ratatui::layout::Rect;

use super::ruled;
use crate::app::App;
use crate::source::health::SourceHealth;
use crate::source::provider::ProviderStatus;

/// Lines one source takes: its title, the error if any, two of counts, one per reject
/// reason, and a blank line.
pub fn block_height(source: &SourceHealth) -> usize {
    4 + usize::from(source.last_error.is_some()) + source.rejected.len()
}

/// Lines one polled provider takes: its title, the error if any, one of counts and a
/// blank line.
pub fn provider_height(status: &ProviderStatus) -> usize {
    3 + usize::from(status.health.last_error.is_some())
}

/// Every line of the view: the sources' and the providers'.
pub fn lines(app: &App) -> usize {
    let sources: usize = app.sources.iter().map(block_height).sum();
    let providers: usize = app.providers.iter().map(provider_height).sum();
    sources + providers
}

/// The view's lines beyond what fits in `body`, and how many fit: the most it may
/// scroll, and a page.
pub fn scroll(app: &App, body: Rect) -> (usize, usize) {
    let visible = ruled().inner(body).height as usize;
    (lines(app).saturating_sub(visible), visible.max(1))
}
