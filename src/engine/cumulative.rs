//! Sessions whose log carries a running total (Codex rollouts, Goose databases): each
//! session (its [`Running::series`](crate::event::Running)) is counted against the
//! largest total seen for it in any file, so a rollout copied from the middle
//! of a session (a resume, a backup) adds only what grew past that maximum, in whichever
//! order the copies are read. A count never adds more than its growth in its own file:
//! earlier counts left out (`--since`) do not make the next one count them again.

use super::Map;
use super::dedup::RETENTION_MS;
use crate::event::{DedupKey, TimeMs, Tokens};

/// The largest running total seen per session, class by class, and when (engine time) a
/// count of the session was last read.
///
/// A session is let go once no count of it has been read for the retention horizon
/// ([`RETENTION_MS`]), as a response's fingerprint is: a copy of a rollout read within the
/// horizon of its session's last count still counts once, and one read later counts again,
/// as a copied response does. Memory is then bounded by the sessions read within the
/// horizon. A cap on sessions would not keep counting right: a burst of short sessions
/// would push out one read minutes ago, and a copy of it would count twice. Letting a
/// session go costs its own file nothing: a count adds at most its growth in its file.
#[derive(Clone, Debug, Default)]
pub struct RunningTotals {
    max: Map<DedupKey, (Tokens, TimeMs)>,
    /// The earliest last read among the sessions kept (`None`: none kept).
    oldest: Option<TimeMs>,
}

impl RunningTotals {
    /// What `total` adds to `session` over its running maximum, at most `in_file` (its
    /// growth since the previous count of its file), class by class: zero for a copy of a
    /// count already seen. The maximum moves only by [`RunningTotals::take_in`], once the
    /// count is kept.
    pub fn growth(&self, session: DedupKey, total: &Tokens, in_file: &Tokens) -> Tokens {
        let max = self
            .max
            .get(&session)
            .map(|(max, _)| *max)
            .unwrap_or_default();
        let grew = total
            .zip_with(&max, u64::saturating_sub)
            .zip_with(in_file, u64::min);
        Tokens {
            // Reasoning is part of output, also in what grew.
            reasoning: grew.reasoning.min(grew.output),
            ..grew
        }
    }

    /// Takes a kept count's `total`, read at `now`, into the running maximum of `session`.
    pub fn take_in(&mut self, session: DedupKey, total: &Tokens, now: TimeMs) {
        let (max, read) = self.max.entry(session).or_insert((Tokens::default(), now));
        *read = (*read).max(now);
        self.oldest = Some(self.oldest.map_or(now, |oldest| oldest.min(now)));
        *max = max.zip_with(total, u64::max);
    }

    /// Lets go the sessions with no count read within the horizon before `now`.
    pub fn forget_idle(&mut self, now: TimeMs) {
        let cutoff = now.saturating_sub(RETENTION_MS);
        if self.oldest.is_none_or(|oldest| oldest >= cutoff) {
            return;
        }
        self.max.retain(|_, (_, read)| *read >= cutoff);
        self.oldest = self.max.values().map(|(_, read)| *read).min();
    }

    /// Sessions kept.
    pub fn sessions(&self) -> usize {
        self.max.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(session: &str) -> DedupKey {
        DedupKey::from(session)
    }

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
                    let g = totals.growth(key("s"), t, f);
                    totals.take_in(key("s"), t, 0);
                    total(sum.input + g.input, sum.output + g.output)
                });
            assert_eq!(sum, total(350, 31));
        }
        let mut totals = RunningTotals::default();
        totals.take_in(key("s"), &total(300, 30), 0);
        let other = total(5, 1);
        assert_eq!(totals.growth(key("other"), &other, &other), other);
    }

    #[test]
    fn a_count_adds_at_most_its_growth_in_its_file() {
        // The earlier counts of the file were left out (`--since`).
        let totals = RunningTotals::default();
        let grew = totals.growth(key("s"), &total(300, 30), &total(100, 10));
        assert_eq!(grew, total(100, 10));
    }
}
