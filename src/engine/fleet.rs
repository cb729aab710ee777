//! Global bursts: every identity together.
//!
//! All identities together are compared with what *they* usually do together: the sum,
//! over the identities active in the last minute, of each one's usual rate (per unit,
//! times its units now). Each identity's leeway (its threshold − its usual rate) adds in
//! quadrature, and an identity counts for at most its own threshold (beyond it, the excess
//! is its own burst, with its own alert). So one identity never makes a global burst alone,
//! and identities that start or stop work at their own pace never do, however different
//! their sizes (a baseline of the totals would alarm each time a big identity starts).
//! What can: many identities near their own bounds at once (together at least `min_ratio`
//! times their usual), and identities that are new, still warming up though their work
//! began after the first identity with a usual rate had warmed up (a new key with a flood
//! of traffic is a global burst before it can be a burst of its own), whose rates count in
//! full. A global burst needs a global baseline: some identity at work now with a usual
//! rate of that signal. Until then (no one warm yet, or a new identity at work alone while
//! the warm ones are quiet: "usually none") there are no global bursts.
//! Other identities without a baseline (too few active minutes yet, or still warming up
//! after a fresh start) count as their own usual.

use super::burst::{Burst, BurstSettings, Signal};

/// Every active identity together, against the sum of their usual rates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fleet {
    now: [f64; 4],
    expected: [f64; 4],
    /// Sum of the squared leeways (threshold − usual rate).
    leeway: [f64; 4],
    identities: u32,
    /// Identities at work now with a usual rate: the global baseline is theirs.
    known: u32,
}

/// What one active identity's current rates are held against in the global sum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Usual {
    /// Warm: its usual rates and thresholds for its units now (see [`Detector::usual`]).
    Known([f64; 4], [f64; 4]),
    /// Known for a while but without a baseline: its own rates now.
    AsItIs,
    /// New while the engine is warm: nothing is usual, all of it counts.
    New,
}

impl Fleet {
    /// Adds one identity active in the last minute, with its rates now.
    pub fn add(&mut self, now: [f64; 4], usual: Usual) {
        self.identities += 1;
        self.known += u32::from(matches!(usual, Usual::Known(..)));
        for i in 0..4 {
            match usual {
                Usual::Known(level, threshold) => {
                    self.now[i] += now[i].min(threshold[i]);
                    self.expected[i] += level[i];
                    self.leeway[i] += (threshold[i] - level[i]).powi(2);
                }
                Usual::AsItIs => {
                    self.now[i] += now[i];
                    self.expected[i] += now[i];
                }
                Usual::New => self.now[i] += now[i],
            }
        }
    }

    /// The rate furthest past its threshold, if any is.
    pub fn check(&self, settings: &BurstSettings) -> Option<Burst> {
        Signal::ALL
            .iter()
            .filter_map(|&signal| {
                let i = signal.index();
                let (value, level) = (self.now[i], self.expected[i]);
                if self.known == 0 || level <= 0.0 {
                    return None;
                }
                let threshold = (level + self.leeway[i].sqrt()).max(settings.min_ratio * level);
                let burst = Burst {
                    signal,
                    value,
                    per_unit: value,
                    units: self.identities,
                    level,
                    threshold,
                };
                (value >= settings.min_volume.of(signal) && value > threshold).then_some(burst)
            })
            .max_by(|a, b| a.margin().total_cmp(&b.margin()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::burst::{Detector, Minute};

    fn rates(requests: f64) -> [f64; 4] {
        [requests * 1000.0, requests * 0.01, requests, 0.0]
    }

    fn steady(requests: f64, n: usize) -> Vec<Minute> {
        let minute = |i: usize| Minute {
            values: rates(requests + (i % 5) as f64 - 2.0),
            units: 1,
        };
        (0..n).map(minute).collect()
    }

    #[test]
    fn the_fleet_is_held_against_the_sum_of_its_usual_rates() {
        let settings = BurstSettings::default();
        let mut d = Detector::default();
        d.refresh(6_000_000, &steady(30.0, 60));
        let (level, threshold) = d.usual(&settings, true, 1).expect("warm");
        assert_eq!(d.usual(&settings, false, 1), None);
        // Neither a big identity starting at its own pace, nor one bursting alone, is a
        // global burst.
        let mut fleet = Fleet::default();
        fleet.add(rates(30.0), Usual::Known(level, threshold));
        fleet.add(rates(3000.0), Usual::Known(level, threshold));
        fleet.add(rates(900.0), Usual::AsItIs);
        assert_eq!(fleet.check(&settings), None);
        let mut fleet = Fleet::default();
        fleet.add(rates(30.0), Usual::Known(level, threshold));
        fleet.add(rates(900.0), Usual::AsItIs);
        assert_eq!(fleet.check(&settings), None);
        // A new one at work alone has nothing usual to burst over.
        let mut alone = Fleet::default();
        alone.add(rates(3000.0), Usual::New);
        alone.add(rates(900.0), Usual::AsItIs);
        assert_eq!(alone.check(&settings), None);
        // A new one with a flood of traffic beside warm ones is.
        fleet.add(rates(3000.0), Usual::New);
        let burst = fleet.check(&settings).expect("global burst");
        assert_eq!(burst.units, 3);
        let ratio = burst.ratio().expect("a usual rate");
        assert!((ratio - 3930.0 / 930.0).abs() < 0.01, "{ratio}");
    }
}
