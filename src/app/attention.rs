//! The `attention` order: identities with unacknowledged active alerts first (critical, then
//! warn), then by spend rate. It is ranked at most every [`RERANK_MS`] of snapshot time and
//! kept in between (a [`Ranking`]), so rows do not shuffle under the reader as rates move;
//! acknowledging re-ranks at once. The engine thread and the app hand the ranking to each
//! other with the table's order, so both keep the same one.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::engine::Snapshot;
use crate::engine::alerts::Severity;
use crate::engine::snapshot::IdentityRow;
use crate::event::TimeMs;

/// The attention order is worked out again at most this often (snapshot time).
pub const RERANK_MS: TimeMs = 5_000;

/// Every identity's place in the attention order at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
    /// The snapshot time it was ranked at.
    pub at: TimeMs,
    /// The acknowledged alerts it was ranked with: acknowledging re-ranks.
    acknowledged: BTreeSet<u64>,
    /// Position by identity name; shared, as the ranking travels with every snapshot.
    places: Arc<HashMap<String, usize>>,
    /// Some row had an open alert or a rate to rank by: a ranking of rows all tied at
    /// nothing (the first snapshots of a backfill, whose events are older than the rate
    /// window) ranks them by name only, and does not hold.
    settled: bool,
}

impl Ranking {
    /// Ranks every row of `snapshot` as of now.
    pub fn new(snapshot: &Snapshot, acknowledged: &BTreeSet<u64>, open: &Open) -> Ranking {
        let rows = &snapshot.identities;
        let places = ranked(rows.iter(), open)
            .enumerate()
            .map(|(place, row)| (row.name.clone(), place))
            .collect();
        let settled = !open.is_empty() || rows.iter().any(|r| r.rates.tokens_per_min() > 0.0);
        Ranking {
            at: snapshot.now,
            acknowledged: acknowledged.clone(),
            places: Arc::new(places),
            settled,
        }
    }

    /// Places the rows it has not ranked yet after those it has, in attention order as of
    /// now, where they stay until the next ranking (a backfill's new identities must not
    /// move with every snapshot either).
    pub fn place_new(&mut self, rows: &[IdentityRow], open: &Open) {
        let new: Vec<&IdentityRow> = rows
            .iter()
            .filter(|r| !self.places.contains_key(&r.name))
            .collect();
        if new.is_empty() {
            return;
        }
        let places = Arc::make_mut(&mut self.places);
        let next = places.len();
        for (i, row) in ranked(new.into_iter(), open).enumerate() {
            places.insert(row.name.clone(), next + i);
        }
    }

    /// Whether it still holds at `now` for these acknowledgements.
    pub fn holds(&self, now: TimeMs, acknowledged: &BTreeSet<u64>) -> bool {
        self.settled
            && (self.at..self.at + RERANK_MS).contains(&now)
            && self.acknowledged == *acknowledged
    }

    /// Sorts `order` (indices into `rows`, all placed) by the rows' places.
    pub fn sort(&self, order: &mut [usize], rows: &[IdentityRow]) {
        let place = |i: usize| {
            self.places
                .get(&rows[i].name)
                .copied()
                .unwrap_or(usize::MAX)
        };
        order.sort_by_cached_key(|&i| place(i));
    }
}

/// `rows` in attention order, each row's severity looked up once.
fn ranked<'a>(
    rows: impl Iterator<Item = &'a IdentityRow>,
    open: &Open,
) -> impl Iterator<Item = &'a IdentityRow> {
    let mut keyed: Vec<(Option<Severity>, &IdentityRow)> = rows
        .map(|r| (open.get(r.name.as_str()).copied(), r))
        .collect();
    keyed.sort_by(|(sa, a), (sb, b)| sb.cmp(sa).then_with(|| compare(a, b)));
    keyed.into_iter().map(|(_, r)| r)
}

/// The highest severity of each identity's active alerts nobody acknowledged, by name.
pub type Open<'a> = HashMap<&'a str, Severity>;

pub fn open_severities<'a>(snapshot: &'a Snapshot, acknowledged: &BTreeSet<u64>) -> Open<'a> {
    let mut open: HashMap<&str, Severity> = HashMap::new();
    let alerts = snapshot.alerts.iter().filter(|a| a.active());
    for alert in alerts.filter(|a| !acknowledged.contains(&a.id)) {
        for name in &alert.identities {
            let worst = open.entry(name.as_str()).or_insert(alert.severity);
            *worst = (*worst).max(alert.severity);
        }
    }
    open
}

/// After the alerts: the highest spend rate, then the most tokens per minute, then the
/// most spent over the totals range (old logs have no rates), then by name.
fn compare(a: &IdentityRow, b: &IdentityRow) -> Ordering {
    b.rates
        .cost_per_hour
        .total_cmp(&a.rates.cost_per_hour)
        .then(
            b.rates
                .tokens_per_min()
                .total_cmp(&a.rates.tokens_per_min()),
        )
        .then(b.in_range.cost_usd.total_cmp(&a.in_range.cost_usd))
        .then(a.name.cmp(&b.name))
}
