//! Making lines fit: they give up their least important parts first when the terminal is
//! small, instead of being cut off at the right edge (tables: `layout::table::columns`).

use ratatui::text::{Line, Span};

use crate::theme::Theme;

/// A piece of a line: dropped, lowest priority first, when the line is too long.
pub struct Segment<'a> {
    pub priority: u8,
    pub spans: Vec<Span<'a>>,
}

impl Segment<'_> {
    pub fn width(&self) -> usize {
        self.spans.iter().map(|s| s.content.chars().count()).sum()
    }
}

/// Joins the segments that fit in `width` (in their original order) with separators.
pub fn line<'a>(mut segments: Vec<Segment<'a>>, width: usize, theme: &Theme) -> Line<'a> {
    const SEP: &str = " │ ";
    let total = |segs: &[Segment]| -> usize {
        segs.iter().map(Segment::width).sum::<usize>()
            + SEP.chars().count() * segs.len().saturating_sub(1)
    };
    while total(&segments) > width && segments.len() > 1 {
        let lowest = (0..segments.len())
            .min_by_key(|&i| segments[i].priority)
            .unwrap_or(0);
        segments.remove(lowest);
    }
    let mut spans = Vec::new();
    for (i, segment) in segments.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(SEP, theme.muted()));
        }
        spans.extend(segment.spans);
    }
    Line::from(spans)
}
