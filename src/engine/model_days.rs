//! Spend by model per calendar day, for the days of the longest totals range: the side
//! panel's shares by model over the overview's range (the global sums by model are over
//! everything read).

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::Map;
use super::identity::Sign;

#[derive(Clone, Debug, Default)]
pub struct ModelDays(BTreeMap<Date, Map<String, f64>>);

impl ModelDays {
    /// Counts (or takes back) the cost of one contribution.
    pub fn apply(&mut self, sign: Sign, day: Date, model: &str, cost_usd: f64) {
        let models = self.0.entry(day).or_default();
        let spent = match models.get_mut(model) {
            Some(spent) => spent,
            None => models.entry(model.to_string()).or_default(),
        };
        match sign {
            Sign::Add => *spent += cost_usd,
            Sign::Sub => *spent -= cost_usd,
        }
    }

    /// Lets the days before `first` go.
    pub fn forget_before(&mut self, first: Date) {
        self.0 = self.0.split_off(&first);
    }

    /// Spend by model over the days from `first` through `last`.
    pub fn over(&self, first: Date, last: Date) -> Map<String, f64> {
        let mut sum: Map<String, f64> = Map::default();
        for models in self.0.range(first..=last).map(|(_, m)| m) {
            for (model, cost) in models {
                *sum.entry(model.clone()).or_default() += cost;
            }
        }
        sum
    }
}
