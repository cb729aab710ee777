//! The overview's side panel: the spend over the totals range by model, team and kind of
//! identity, as bars with percentages (the shares are the snapshot's). With the keys (Tab),
//! the share under the cursor is highlighted; Enter filters the table to it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::{App, Dimension};
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::Theme;

/// Columns of a share's label and of its bar.
const LABEL: usize = 13;
const BAR: usize = 10;

/// A bar of `share` (0 to 1) in `width` cells, in eighths.
fn bar(share: f64, width: usize) -> String {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (share.clamp(0.0, 1.0) * (width * 8) as f64).round() as usize;
    let mut out = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        out.push(EIGHTHS[eighths % 8]);
    }
    format!("{out:<width$}")
}

/// `text` in `width` characters, cut with `…`.
fn fit(text: &str, width: usize) -> String {
    let text = sanitize(text, 80);
    if text.chars().count() <= width {
        return format!("{text:<width$}");
    }
    let cut: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let range = app.snapshot.range.label();
    let block = Block::default()
        .borders(Borders::TOP | Borders::BOTTOM | Borders::LEFT)
        .border_style(theme.border())
        .title(Span::styled(
            format!(" spend {range} "),
            theme.table_header(),
        ));
    let cursor = app.panel_cursor();
    let mut lines = Vec::new();
    let mut position = 0;
    for dimension in Dimension::ALL {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(dimension.title(), theme.muted()));
        let shares = app.shares(dimension);
        if shares.is_empty() {
            lines.push(Line::styled("  nothing spent", theme.muted()));
        }
        for share in shares {
            let selected = cursor == Some(position);
            position += 1;
            let style = theme.row(selected);
            let text_style = if share.key.is_some() {
                style
            } else {
                style.patch(theme.muted())
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{} ", fit(&share.label, LABEL)), text_style),
                Span::styled(bar(share.share, BAR), style.patch(theme.trend())),
                Span::styled(format!(" {:>4}", format::percent(share.share)), style),
            ]));
        }
    }
    let hint = match cursor {
        Some(_) => "↑↓ move  Enter filter  Tab back",
        None => "Tab: choose a share to filter by",
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let body = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines), body);
    if inner.height > 1 {
        let foot = Rect {
            y: inner.bottom() - 1,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(Span::styled(hint, theme.muted())), foot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_in_eighths_and_keep_their_width() {
        assert_eq!(bar(0.0, 4), "    ");
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.5, 4), "██  ");
        assert_eq!(bar(0.5 + 1.0 / 32.0, 4), "██▏ ");
        assert_eq!(fit("claude-sonnet-4-5-20250929", 10), "claude-so…");
    }
}
