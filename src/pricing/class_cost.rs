//! A cost split by the class of token it pays for: to tell real demand (output, uncached
//! input) from what a prompt's cache costs. Reasoning is billed as output: no entry in the
//! table prices it apart.

use serde::Serialize;

use super::ModelPrice;
use crate::event::Tokens;

/// USD by token class; `cache_write` holds both cache lifetimes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ClassCost {
    pub uncached_input: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    pub output: f64,
}

impl ClassCost {
    pub fn total(&self) -> f64 {
        self.uncached_input + self.cache_read + self.cache_write + self.output
    }

    pub fn add(&mut self, other: &ClassCost) {
        self.uncached_input += other.uncached_input;
        self.cache_read += other.cache_read;
        self.cache_write += other.cache_write;
        self.output += other.output;
    }

    /// Token counts weighed 1 each: the split of a cost with no price to weigh them by.
    fn by_count(tokens: &Tokens) -> ClassCost {
        ClassCost {
            uncached_input: tokens.input as f64,
            cache_read: tokens.cache_read as f64,
            cache_write: tokens.cache_write_5m.saturating_add(tokens.cache_write_1h) as f64,
            output: tokens.output as f64,
        }
    }

    /// `cost` split in the proportions of `self`; with no proportions (no tokens), all of
    /// it as uncached input.
    fn spread(&self, cost: f64) -> ClassCost {
        let weight = self.total();
        if weight <= 0.0 {
            return ClassCost {
                uncached_input: cost,
                ..ClassCost::default()
            };
        }
        let share = |w: f64| cost * w / weight;
        ClassCost {
            uncached_input: share(self.uncached_input),
            cache_read: share(self.cache_read),
            cache_write: share(self.cache_write),
            output: share(self.output),
        }
    }

    /// `cost`, paid for the summed `tokens` of one model, split by class: in the
    /// proportions of the entry's ordinary prices when there is one (exact for costs from
    /// the table below the 200k tier; a sum of requests would cross the tier's threshold
    /// by itself), else of the token counts (a record's own cost for a model the table
    /// does not know).
    pub fn split(cost: f64, tokens: &Tokens, price: Option<&ModelPrice>) -> ClassCost {
        let weights = match price {
            Some(p) => p.ordinary_by_class(tokens),
            None => ClassCost::by_count(tokens),
        };
        match weights.total() > 0.0 {
            true => weights.spread(cost),
            false => ClassCost::by_count(tokens).spread(cost),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price() -> ModelPrice {
        ModelPrice {
            input: 3e-6,
            output: 15e-6,
            cache_read: Some(0.3e-6),
            cache_write_5m: Some(3.75e-6),
            ..ModelPrice::default()
        }
    }

    #[test]
    fn a_table_cost_splits_exactly_by_its_prices() {
        let tokens = Tokens {
            input: 1_000,
            cache_read: 10_000,
            cache_write_5m: 2_000,
            cache_write_1h: 1_000,
            output: 500,
            reasoning: 200,
        };
        let p = price();
        let split = ClassCost::split(p.cost(&tokens), &tokens, Some(&p));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(split.uncached_input, 0.003), "{split:?}");
        assert!(close(split.cache_read, 0.003));
        // The 1 h write defaults to twice the input price.
        assert!(close(split.cache_write, 0.0075 + 0.006));
        assert!(close(split.output, 0.0075), "reasoning is in output");
        assert!(close(split.total(), p.cost(&tokens)));
    }

    #[test]
    fn a_cost_with_no_price_splits_by_tokens_and_always_adds_up() {
        let tokens = Tokens {
            input: 300,
            output: 100,
            ..Tokens::default()
        };
        let split = ClassCost::split(2.0, &tokens, None);
        assert_eq!((split.uncached_input, split.output), (1.5, 0.5));
        let none = ClassCost::split(0.7, &Tokens::default(), Some(&price()));
        assert_eq!(none.total(), 0.7);
    }
}
