//! Sessions whose log carries a running total (Codex rollouts): each session is counted
//! against the largest total seen for it in any file, so a rollout copied from the middle
//! of a session (a resume, a backup) adds only what grew past that maximum, in whichever
//! order the copies are read.

use super::Map;
use crate::event::Tokens;

/// The largest running total seen per session, class by class.
#[derive(Clone, Debug, Default)]
pub struct RunningTotals {
    max: Map<String, Tokens>,
}

impl RunningTotals {
    /// What `total` adds to `session` over its running maximum (zero in every class for
    /// a copy of a count already seen); the maximum then takes it in.
    pub fn growth(&mut self, session: &str, total: &Tokens) -> Tokens {
        let max = match self.max.get_mut(session) {
            Some(max) => max,
            None => self.max.entry(session.to_string()).or_default(),
        };
        let mut grew = Tokens::default();
        for (grew, max, total) in [
            (&mut grew.input, &mut max.input, total.input),
            (&mut grew.cache_read, &mut max.cache_read, total.cache_read),
            (
                &mut grew.cache_write_5m,
                &mut max.cache_write_5m,
                total.cache_write_5m,
            ),
            (
                &mut grew.cache_write_1h,
                &mut max.cache_write_1h,
                total.cache_write_1h,
            ),
            (&mut grew.output, &mut max.output, total.output),
            (&mut grew.reasoning, &mut max.reasoning, total.reasoning),
        ] {
            *grew = total.saturating_sub(*max);
            *max = (*max).max(total);
        }
        // Reasoning is part of output, also in what grew.
        grew.reasoning = grew.reasoning.min(grew.output);
        grew
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(input: u64, output: u64) -> Tokens {
        Tokens {
            input,
            output,
            ..Tokens::default()
        }
    }

    #[test]
    fn copies_in_any_order_add_up_to_the_largest_total() {
        let original = [total(100, 10), total(200, 20), total(300, 30)];
        let copy = [total(200, 20), total(300, 30), total(350, 31)];
        for (first, second) in [(&original, &copy), (&copy, &original)] {
            let mut totals = RunningTotals::default();
            let sum = first
                .iter()
                .chain(second)
                .fold(Tokens::default(), |sum, t| {
                    let g = totals.growth("s", t);
                    total(sum.input + g.input, sum.output + g.output)
                });
            assert_eq!(sum, total(350, 31));
        }
        let mut totals = RunningTotals::default();
        totals.growth("s", &total(300, 30));
        assert_eq!(totals.growth("other", &total(5, 1)), total(5, 1));
    }
}
