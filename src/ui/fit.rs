//! Making things fit: lines and tables give up their least important parts first when the
//! terminal is small, instead of being cut off at the right edge.

use ratatui::text::{Line, Span};

use crate::theme::Theme;

/// A piece of a line: dropped, lowest priority first, when the line is too long.
pub struct Segment<'a> {
    pub priority: u8,
    pub spans: Vec<Span<'a>>,
}

impl Segment<'_> {
    fn width(&self) -> usize {
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

/// The indices of the columns that fit in `width` beside a first column of at least
/// `first_min`, highest priority first, in their original order. Columns are one space
/// apart.
pub fn columns<T>(
    all: &[T],
    width: u16,
    first_min: u16,
    column_width: impl Fn(&T) -> u16,
    priority: impl Fn(&T) -> u8,
) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..all.len()).collect();
    by_priority.sort_by_key(|&i| std::cmp::Reverse(priority(&all[i])));
    let mut used = first_min;
    let mut keep = vec![false; all.len()];
    for i in by_priority {
        let w = column_width(&all[i]);
        if used.saturating_add(w) < width {
            used += w + 1;
            keep[i] = true;
        }
    }
    (0..all.len()).filter(|&i| keep[i]).collect()
}
