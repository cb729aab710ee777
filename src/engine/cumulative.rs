//! Sessions whose log carries a running total (Codex rollouts): each session is counted
//! against the largest total seen for it in any file, so a rollout copied from the middle
//! of a session (a resume, a backup) adds only what grew past that maximum, in whichever
//! order the copies are read. A count never adds more than its growth in its own file:
//! earlier counts left out (`--since`) do not make the next one count them again.

use super::Map;
use crate::event::Tokens;

/// The largest running total seen per session, class by class.
#[derive(Clone, Debug, Default)]
pub struct RunningTotals {
    max: Map<String, Tokens>,
}

impl RunningTotals {
    /// What `total` adds to `session` over its running maximum, at most `in_file` (its
    /// growth since the previous count of its file), class by class: zero for a copy of a
    /// count already seen. The maximum moves only by [`RunningTotals::take_in`], once the
    /// count is kept.
    pub fn growth(&self, session: &str, total: &Tokens, in_file: &Tokens) -> Tokens {
        let max = self.max.get(session).copied().unwrap_or_default();
        let step = |max: u64, total: u64, in_file: u64| total.saturating_sub(max).min(in_file);
        let output = step(max.output, total.output, in_file.output);
        Tokens {
            input: step(max.input, total.input, in_file.input),
            cache_read: step(max.cache_read, total.cache_read, in_file.cache_read),
            cache_write_5m: step(
                max.cache_write_5m,
                total.cache_write_5m,
                in_file.cache_write_5m,
            ),
            cache_write_1h: step(
                max.cache_write_1h,
                total.cache_write_1h,
                in_file.cache_write_1h,
            ),
            output,
            // Reasoning is part of output, also in what grew.
            reasoning: step(max.reasoning, total.reasoning, in_file.reasoning).min(output),
        }
    }

    /// Takes a kept count's `total` into the running maximum of `session`.
    pub fn take_in(&mut self, session: &str, total: &Tokens) {
        let max = match self.max.get_mut(session) {
            Some(max) => max,
            None => self.max.entry(session.to_string()).or_default(),
        };
        max.input = max.input.max(total.input);
        max.cache_read = max.cache_read.max(total.cache_read);
        max.cache_write_5m = max.cache_write_5m.max(total.cache_write_5m);
        max.cache_write_1h = max.cache_write_1h.max(total.cache_write_1h);
        max.output = max.output.max(total.output);
        max.reasoning = max.reasoning.max(total.reasoning);
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

    /// Each count with its growth in its own file (the first counts whole).
    fn file(counts: &[Tokens]) -> Vec<(Tokens, Tokens)> {
        let mut prev = Tokens::default();
        counts
            .iter()
            .map(|&t| {
                let grew = total(t.input - prev.input, t.output - prev.output);
                prev = t;
                (t, grew)
            })
            .collect()
    }

    #[test]
    fn copies_in_any_order_add_up_to_the_largest_total() {
        let original = file(&[total(100, 10), total(200, 20), total(300, 30)]);
        let copy = file(&[total(200, 20), total(300, 30), total(350, 31)]);
        for (first, second) in [(&original, &copy), (&copy, &original)] {
            let mut totals = RunningTotals::default();
            let sum = first
                .iter()
                .chain(second)
                .fold(Tokens::default(), |sum, (t, f)| {
                    let g = totals.growth("s", t, f);
                    totals.take_in("s", t);
                    total(sum.input + g.input, sum.output + g.output)
                });
            assert_eq!(sum, total(350, 31));
        }
        let mut totals = RunningTotals::default();
        totals.take_in("s", &total(300, 30));
        let other = total(5, 1);
        assert_eq!(totals.growth("other", &other, &other), other);
    }

    #[test]
    fn a_count_adds_at_most_its_growth_in_its_file() {
        // The earlier counts of the file were left out (`--since`).
        let totals = RunningTotals::default();
        let grew = totals.growth("s", &total(300, 30), &total(100, 10));
        assert_eq!(grew, total(100, 10));
    }
}
