//! The Gemini API's `usageMetadata` counts, as Gemini CLI (`tokens`) and Qwen Code
//! (`usageMetadata`) record them, split into the disjoint classes of [`Tokens`].
//!
//! Two things are not said by the counts themselves: whether the prompt count includes the
//! cached part, and whether the thoughts are inside the candidates or beside them. The
//! Gemini API documents both (the prompt includes the cache; thoughts are their own count,
//! billed as output), but a Qwen Code record may come from an OpenAI-compatible server
//! converted to these names, and peers disagree on it. The total tells when it adds up
//! under one reading only, so each record is read the way its own total adds up; a record
//! whose total cannot tell is read the documented way and said to be a guess.

use super::RejectReason;
use crate::event::Tokens;

/// One record's counts; a missing count is 0, a missing or zero total tells nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub prompt: u64,
    pub cached: u64,
    pub candidates: u64,
    pub thoughts: u64,
    /// Prompt tokens of tool results (`toolUsePromptTokenCount`): input beside the prompt.
    pub tool: u64,
    pub total: u64,
}

/// The split, and whether the record's own total decided every question that mattered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Split {
    pub tokens: Tokens,
    pub told: bool,
}

/// A reading of the counts: cache inside the prompt or beside it, thoughts beside the
/// candidates or inside them.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Reading {
    cache_inside: bool,
    thoughts_beside: bool,
}

/// The documented reading, taken when the total cannot tell.
const DOCUMENTED: Reading = Reading {
    cache_inside: true,
    thoughts_beside: true,
};

impl Counts {
    /// Whether the reading is possible at all (a part is never larger than its whole).
    fn allows(&self, r: Reading) -> bool {
        (!r.cache_inside || self.cached <= self.prompt)
            && (r.thoughts_beside || self.thoughts <= self.candidates)
    }

    /// The total this reading would give.
    fn total_of(&self, r: Reading) -> Option<u64> {
        let mut sum = self.prompt.checked_add(self.candidates)?;
        sum = sum.checked_add(self.tool)?;
        if !r.cache_inside {
            sum = sum.checked_add(self.cached)?;
        }
        if r.thoughts_beside {
            sum = sum.checked_add(self.thoughts)?;
        }
        Some(sum)
    }

    /// Splits the counts by the reading their total supports (see the module docs).
    pub(super) fn split(&self) -> Result<Split, RejectReason> {
        let readings = [true, false].into_iter().flat_map(|cache_inside| {
            [true, false].map(|thoughts_beside| Reading {
                cache_inside,
                thoughts_beside,
            })
        });
        let possible: Vec<Reading> = readings.filter(|r| self.allows(*r)).collect();
        if possible.is_empty() {
            return Err(RejectReason::InvalidField);
        }
        let matching: Vec<Reading> = possible
            .iter()
            .copied()
            .filter(|r| self.total > 0 && self.total_of(*r) == Some(self.total))
            .collect();
        // A question is settled when the counts make it moot or every reading still in
        // play (those the total matches, else those possible) answers it alike.
        let in_play = if matching.is_empty() {
            &possible
        } else {
            &matching
        };
        let settle = |moot: bool, answer: fn(&Reading) -> bool, documented: bool| {
            let first = answer(&in_play[0]);
            if moot {
                (documented, true)
            } else if in_play.iter().all(|r| answer(r) == first) {
                (first, !matching.is_empty() || possible.len() < 4)
            } else {
                (documented, false)
            }
        };
        let (cache_inside, cache_told) = settle(
            self.cached == 0,
            |r| r.cache_inside,
            DOCUMENTED.cache_inside,
        );
        let (thoughts_beside, thoughts_told) = settle(
            self.thoughts == 0,
            |r| r.thoughts_beside,
            DOCUMENTED.thoughts_beside,
        );
        let reading = Reading {
            cache_inside,
            thoughts_beside,
        };
        let uncached = if reading.cache_inside {
            self.prompt - self.cached
        } else {
            self.prompt
        };
        let output = if reading.thoughts_beside {
            self.candidates.checked_add(self.thoughts)
        } else {
            Some(self.candidates)
        };
        let tokens = Tokens {
            input: uncached
                .checked_add(self.tool)
                .ok_or(RejectReason::Implausible)?,
            cache_read: self.cached,
            output: output.ok_or(RejectReason::Implausible)?,
            reasoning: self.thoughts,
            ..Tokens::default()
        };
        Ok(Split {
            tokens,
            told: cache_told && thoughts_told,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(prompt: u64, cached: u64, candidates: u64, thoughts: u64, total: u64) -> Counts {
        Counts {
            prompt,
            cached,
            candidates,
            thoughts,
            tool: 0,
            total,
        }
    }

    fn split(c: Counts) -> (u64, u64, u64, u64, bool) {
        let s = c.split().expect("possible counts");
        let t = s.tokens;
        (t.input, t.cache_read, t.output, t.reasoning, s.told)
    }

    #[test]
    fn the_total_tells_where_the_cache_and_thoughts_are() {
        // Gemini's own sum: prompt (cache inside) + candidates + thoughts.
        assert_eq!(
            split(counts(15327, 11526, 23, 919, 16269)),
            (3801, 11526, 942, 919, true)
        );
        // The cache beside the prompt: the total adds it.
        assert_eq!(
            split(counts(1508, 4864, 60, 0, 6432)),
            (1508, 4864, 60, 0, true)
        );
        // Thoughts inside the candidates (OpenAI's completion count).
        assert_eq!(
            split(counts(1000, 400, 100, 30, 1100)),
            (600, 400, 100, 30, true)
        );
        // Tool-use prompt tokens are input beside the prompt.
        let with_tool = Counts {
            tool: 7,
            ..counts(100, 0, 10, 0, 117)
        };
        assert_eq!(split(with_tool), (107, 0, 10, 0, true));
    }

    #[test]
    fn a_total_that_cannot_tell_takes_the_documented_reading_as_a_guess() {
        // No total: the cache is taken as inside the prompt, and that is a guess.
        assert_eq!(
            split(counts(1000, 400, 100, 0, 0)),
            (600, 400, 100, 0, false)
        );
        // A total that matches no reading.
        assert_eq!(
            split(counts(1000, 400, 100, 0, 5)),
            (600, 400, 100, 0, false)
        );
        // Nothing cached: nothing to tell, however the total reads.
        assert_eq!(split(counts(1000, 0, 100, 0, 0)), (1000, 0, 100, 0, true));
        // A cache larger than the prompt can only be beside it.
        assert_eq!(split(counts(10, 40, 5, 0, 0)), (10, 40, 5, 0, true));
    }

    #[test]
    fn impossible_and_overflowing_counts_are_rejected() {
        let huge = counts(u64::MAX, 0, 1, u64::MAX, 0);
        assert!(huge.split().is_err());
    }
}
