//! Table arithmetic shared by every table on screen: which columns fit a width, and how
//! many rows fit a height beside the header and the "… N more" line.

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

/// How many of `count` rows are drawn in `height` lines: the header takes one, and the
/// "… N more" line one when not all fit (and there is room for it besides one row).
pub fn shown(count: usize, height: u16) -> usize {
    let body = height.saturating_sub(1) as usize;
    if count > body && body >= 2 {
        body - 1
    } else {
        count.min(body)
    }
}

/// The first row drawn when `shown` rows fit and row `selected` must be one of them.
pub fn first_row(shown: usize, selected: usize) -> usize {
    (selected + 1).saturating_sub(shown.max(1))
}
