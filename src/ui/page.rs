//! The frame the scrolling pages share (the sources view, the Providers view): a title
//! that counts the entries and the troubled ones, where the view stands and which key
//! closes it, and what an empty page says.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Paragraph};

use crate::layout::ruled;
use crate::theme::{Level, Theme};

/// ` sources: 4 ` or ` sources: 4, 1 failing `, the trouble in the critical colour.
pub fn count_title<'a>(
    what: &str,
    count: usize,
    troubled: usize,
    trouble: &str,
    theme: &Theme,
) -> Line<'a> {
    match troubled {
        0 => Line::styled(format!(" {what}: {count} "), theme.title()),
        n => Line::from(vec![
            Span::styled(format!(" {what}: {count}, "), theme.title()),
            Span::styled(format!("{n} {trouble} "), theme.level(Level::Critical)),
        ]),
    }
}

/// Where a page's view stands among its lines.
pub struct Scrolled {
    pub offset: usize,
    pub visible: usize,
    /// The most it may scroll: 0 when every line fits.
    pub max: usize,
    pub total: usize,
}

/// The page's ruled frame: `title` on top; at the bottom the lines shown when it scrolls
/// and `key` (the page's own key) or Esc to close it.
pub fn frame<'a>(title: Line<'a>, at: &Scrolled, key: &str, theme: &Theme) -> Block<'a> {
    let position = if at.max > 0 {
        format!(
            " lines {}-{} of {} │ {key} or Esc closes ",
            at.offset + 1,
            (at.offset + at.visible).min(at.total),
            at.total
        )
    } else {
        format!(" {key} or Esc closes ")
    };
    ruled()
        .border_style(theme.border())
        .title(title)
        .title_bottom(Line::styled(position, theme.muted()).right_aligned())
}

/// A page with nothing to list: `text` centred under a blank line, muted.
pub fn empty(frame: &mut Frame, area: Rect, block: Block, text: Vec<Line>, theme: &Theme) {
    let mut lines = vec![Line::raw("")];
    lines.extend(text);
    let none = Paragraph::new(Text::from(lines))
        .alignment(Alignment::Center)
        .style(theme.muted())
        .block(block);
    frame.render_widget(none, area);
}
