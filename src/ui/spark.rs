//! Sparklines as one line of block characters, scaled to the series' own peak: in a table
//! every row shows its own shape, which is what spotting a burst needs.

/// Eight heights; a minute with nothing is a blank, so idle and "a little" differ.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character per value, oldest first.
pub fn bars(values: &[u64]) -> String {
    let peak = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || peak == 0 {
                ' '
            } else {
                // Rounded up, so the smallest non-zero value still shows as ▁.
                let level = (u128::from(v) * 8).div_ceil(u128::from(peak));
                BARS[(level.clamp(1, 8) - 1) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_to_the_peak_and_blank_when_idle() {
        assert_eq!(bars(&[0, 1, 4, 8, 0]), " ▁▄█ ");
        assert_eq!(bars(&[0, 0]), "  ");
        assert_eq!(bars(&[]), "");
        assert_eq!(bars(&[1, u64::MAX]), "▁█");
    }
}
