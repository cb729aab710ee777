//! One budget's running sums, and its state at a given moment (see the parent module for
//! what the numbers mean).

use jiff::tz::TimeZone;

use super::{BURN_WINDOW_MS, BudgetLevel, BudgetSpec, BudgetState};
use crate::engine::Map;
use crate::engine::identity::Sign;
use crate::engine::period::{self, Calendar, Period};
use crate::engine::window::{Bucket, Ring};
use crate::event::TimeMs;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: f64 = 3_600_000.0;
/// Calendar periods summed at once: the current one, and the neighbours that late or
/// early (skewed) events fall in, so one event stamped tomorrow cannot blank today.
const KEPT_PERIODS: usize = 3;

impl Bucket for f64 {
    fn add(&mut self, other: &Self) {
        *self += other;
    }
    fn sub(&mut self, other: &Self) {
        // Sums of floats taken back out can leave a hair below zero.
        *self = (*self - other).max(0.0);
    }
}

/// What a budget sums over its period: the amount, and (USD budgets) the requests in scope
/// that no price covers, so their cost is not in the amount.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Spend {
    pub(super) amount: f64,
    pub(super) unpriced: u64,
}

impl Bucket for Spend {
    fn add(&mut self, other: &Self) {
        self.amount.add(&other.amount);
        self.unpriced = self.unpriced.saturating_add(other.unpriced);
    }
    fn sub(&mut self, other: &Self) {
        self.amount.sub(&other.amount);
        self.unpriced = self.unpriced.saturating_sub(other.unpriced);
    }
}

#[derive(Clone, Debug)]
struct PeriodSum {
    start: TimeMs,
    end: TimeMs,
    used: Spend,
}

#[derive(Clone, Debug)]
enum Sums {
    /// At most [`KEPT_PERIODS`], oldest first.
    Calendar(Calendar, Vec<PeriodSum>),
    Rolling(i64, Ring<Spend>),
}

#[derive(Clone, Debug)]
pub(super) struct Tracker {
    pub(super) spec: BudgetSpec,
    sums: Sums,
    recent: Ring<f64>,
    /// Identities in scope by name, team or label, by engine index.
    pub(super) members: Vec<usize>,
    /// Model scopes: who used a matching model, and when last.
    pub(super) users: Map<usize, TimeMs>,
    /// Provider-ledger budgets: the mapped identities whose keys it counted, by name.
    pub(super) named: Vec<String>,
}

impl Tracker {
    pub(super) fn new(spec: BudgetSpec) -> Self {
        let sums = match spec.period {
            Period::Calendar(c) => Sums::Calendar(c, Vec::with_capacity(KEPT_PERIODS)),
            Period::Rolling { ms, .. } => {
                let (width, slots) = period::rolling_ring(ms);
                Sums::Rolling(ms, Ring::new(width, slots))
            }
        };
        Tracker {
            spec,
            sums,
            recent: Ring::new(MINUTE_MS, (BURN_WINDOW_MS / MINUTE_MS) as usize),
            members: Vec::new(),
            users: Map::default(),
            named: Vec::new(),
        }
    }

    pub(super) fn apply(&mut self, sign: Sign, time: TimeMs, spend: Spend, tz: &TimeZone) {
        match sign {
            Sign::Add => self.recent.add(time, &spend.amount),
            Sign::Sub => self.recent.sub(time, &spend.amount),
        }
        match &mut self.sums {
            Sums::Rolling(_, ring) => match sign {
                Sign::Add => ring.add(time, &spend),
                Sign::Sub => ring.sub(time, &spend),
            },
            Sums::Calendar(calendar, kept) => {
                if let Some(p) = kept.iter_mut().find(|p| (p.start..p.end).contains(&time)) {
                    match sign {
                        Sign::Add => p.used.add(&spend),
                        Sign::Sub => p.used.sub(&spend),
                    }
                    return;
                }
                // Older than every period kept: no longer anyone's current period. This
                // test comes first so that a backfill of old logs computes no bounds.
                let full = kept.len() >= KEPT_PERIODS;
                if sign == Sign::Sub || (full && kept.first().is_some_and(|p| time < p.start)) {
                    return;
                }
                let Some((start, end)) = period::bounds(*calendar, time, tz) else {
                    return;
                };
                let at = kept.partition_point(|p| p.start < start);
                kept.insert(
                    at,
                    PeriodSum {
                        start,
                        end,
                        used: spend,
                    },
                );
                if kept.len() > KEPT_PERIODS {
                    kept.remove(0);
                }
            }
        }
    }

    /// The start and end of the period `now` is in; a rolling window has no end.
    fn period_at(&self, now: TimeMs, tz: &TimeZone) -> (TimeMs, Option<TimeMs>) {
        match &self.sums {
            Sums::Calendar(calendar, _) => match period::bounds(*calendar, now, tz) {
                Some((start, end)) => (start, Some(end)),
                None => (now, None),
            },
            Sums::Rolling(ms, _) => (now - ms, None),
        }
    }

    fn used(&self, now: TimeMs) -> Spend {
        match &self.sums {
            Sums::Calendar(_, kept) => kept
                .iter()
                .find(|p| (p.start..p.end).contains(&now))
                .map_or_else(Spend::default, |p| p.used),
            Sums::Rolling(ms, ring) => ring.sum(now, *ms),
        }
    }

    /// When `used` reaches `limit` at `per_hour`, with a rolling window's old buckets
    /// dropping out as it slides: between two bucket boundaries the sum grows linearly,
    /// at a boundary the oldest bucket leaves. Past one window length every bucket is new
    /// spend and the estimate stops.
    fn rolling_exhaustion(&self, now: TimeMs, used: f64, per_hour: f64) -> Option<TimeMs> {
        let Sums::Rolling(ms, ring) = &self.sums else {
            return None;
        };
        let width = ring.width_ms();
        let count = (ms / width).max(1);
        let last = now.div_euclid(width);
        let per_ms = per_hour / HOUR_MS;
        let mut base = used;
        for k in 0..=count {
            let segment_end = (last + k + 1) * width;
            let at = now.saturating_add(((self.spec.limit - base) / per_ms).ceil() as i64);
            if at < segment_end {
                return Some(at);
            }
            // At `segment_end` the oldest bucket still in the window leaves it.
            base -= ring.bucket(last - count + k + 1).map_or(0.0, |b| b.amount);
        }
        None
    }

    pub(super) fn state(
        &self,
        now: TimeMs,
        tz: &TimeZone,
        names: &dyn Fn(usize) -> String,
    ) -> BudgetState {
        let spec = &self.spec;
        let Spend {
            amount: used,
            unpriced,
        } = self.used(now);
        let percent = used / spec.limit * 100.0;
        let level = if used >= spec.limit {
            BudgetLevel::Over
        } else if spec.warn_at.iter().any(|&w| used >= w * spec.limit) {
            BudgetLevel::Warn
        } else {
            BudgetLevel::Ok
        };
        let burn = self.recent.sum(now, BURN_WINDOW_MS) * (HOUR_MS / BURN_WINDOW_MS as f64);
        let (start, end) = self.period_at(now, tz);
        let burning = burn > 0.0 && level != BudgetLevel::Over;
        let (exhausted_at, projected) = match (&self.sums, end) {
            (Sums::Calendar(..), Some(end)) => {
                let hours_left = (end - now) as f64 / HOUR_MS;
                let to_limit_ms = (spec.limit - used) / burn * HOUR_MS;
                let before_reset = burning && to_limit_ms < (end - now) as f64;
                let at = before_reset.then(|| now + to_limit_ms.ceil() as i64);
                (at, used + burn * hours_left)
            }
            (Sums::Rolling(ms, _), _) => (
                burning
                    .then(|| self.rolling_exhaustion(now, used, burn))
                    .flatten(),
                burn * *ms as f64 / HOUR_MS,
            ),
            (Sums::Calendar(..), None) => (None, used),
        };
        let mut members: Vec<String> = self
            .members
            .iter()
            .copied()
            .chain(
                self.users
                    .iter()
                    .filter(|&(_, &last)| last >= start)
                    .map(|(&who, _)| who),
            )
            .map(names)
            .chain(self.named.iter().cloned())
            .collect();
        members.sort();
        BudgetState {
            name: spec.name.clone(),
            scope: spec.scope.label(),
            period: spec.period.label(),
            unit: spec.unit,
            ledger: spec.ledger,
            used,
            unpriced_requests: unpriced,
            limit: spec.limit,
            percent,
            level,
            burn_per_hour: burn,
            exhausted_at,
            projected,
            members,
            matched: !self.members.is_empty() || !self.users.is_empty() || !self.named.is_empty(),
            fleet: matches!(spec.scope, super::Scope::All),
        }
    }
}
