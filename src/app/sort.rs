//! What the identity table is sorted by, how two rows compare by it, and the table's order
//! as a pure function of the snapshot (and, for `attention`, of the ranking kept from a
//! moment ago): the engine thread works it out with every snapshot it publishes, so that
//! sorting 10,000 rows stays off the UI loop.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::Filter;
use super::attention::{Ranking, open_severities};
use crate::engine::Snapshot;
use crate::engine::budget::BudgetLevel;
use crate::engine::snapshot::IdentityRow;
use crate::event::TimeMs;

/// Which rows the table shows and in what order: everything the order depends on besides
/// the snapshot itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableOrder {
    pub sort: SortKey,
    /// Inverted: the key's other way round.
    pub reverse: bool,
    pub filter: Filter,
    /// The alerts the viewer acknowledged: they no longer put a row first under
    /// `attention`. A copy of the app's, handed to the engine thread with the rest.
    pub acknowledged: BTreeSet<u64>,
}

impl TableOrder {
    /// Whether the table shows the highest (or Z) first, for the ▼/▲ marker.
    pub fn descending(&self) -> bool {
        self.sort.descending() != self.reverse
    }

    /// Indices into `snapshot.identities` of the rows that pass the filter, in display
    /// order (ties by name). Under `attention`, `kept` is the ranking of a moment ago: it
    /// holds for [`super::attention::RERANK_MS`], then the rows are ranked again.
    pub fn arrange(&self, snapshot: &Snapshot, kept: Option<&Ranking>) -> Arranged {
        let rows = &snapshot.identities;
        let mut order: Vec<usize> = (0..rows.len())
            .filter(|&i| self.filter.matches(&rows[i]))
            .collect();
        let ranking = if self.sort == SortKey::Attention {
            let open = open_severities(snapshot, &self.acknowledged);
            let ranking = match kept {
                Some(r) if r.holds(snapshot.now, &self.acknowledged) => {
                    let mut kept = r.clone();
                    kept.place_new(rows, &open);
                    kept
                }
                _ => Ranking::new(snapshot, &self.acknowledged, &open),
            };
            ranking.sort(&mut order, rows);
            Some(ranking)
        } else {
            order.sort_by(|&a, &b| {
                self.sort
                    .compare(&rows[a], &rows[b])
                    .then(rows[a].name.cmp(&rows[b].name))
            });
            None
        };
        if self.reverse {
            order.reverse();
        }
        Arranged {
            by: self.clone(),
            order,
            ranking,
        }
    }
}

fn shown_name(row: &IdentityRow) -> &str {
    row.display.as_deref().unwrap_or(&row.name)
}

/// A table order worked out for one snapshot, and what it was worked out by, so that the
/// app can tell whether it still holds after the user changed the sort or the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arranged {
    pub by: TableOrder,
    pub order: Vec<usize>,
    /// Under `attention`, the ranking the order keeps to until it is due again.
    pub ranking: Option<Ranking>,
}

/// What the identity table is sorted by: `attention` (the default), then one key per
/// column, in column order. Text sorts A to Z and numbers highest first unless inverted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Unacknowledged alerts first (critical, then warn), then by spend rate; re-ranked
    /// at most every 5 s (see `attention`).
    #[default]
    Attention,
    Name,
    Kind,
    Requests,
    Input,
    Output,
    /// p90 of input tokens per request over the rate window; identities with no request
    /// in it last.
    InputP90,
    /// Cache hit rate over the rate window; identities with no input last.
    Cache,
    /// Current $/h (then tokens/min).
    Rate,
    /// Spend over the totals range (today by default; `t`).
    Spend,
    /// Findings over the totals range: the worst severity, then how many.
    Risk,
    /// Share used of the tightest budget; identities with none last.
    Budget,
    /// When the tightest budget runs out, soonest (and over) first; none last.
    Eta,
    Tools,
    /// Tokens over the sparkline's 30 minutes.
    Trend,
}

impl SortKey {
    /// `attention`, then every key in column order: `s` / `S` step through it.
    pub const ALL: [SortKey; 15] = [
        SortKey::Attention,
        SortKey::Name,
        SortKey::Kind,
        SortKey::Requests,
        SortKey::Input,
        SortKey::Output,
        SortKey::InputP90,
        SortKey::Cache,
        SortKey::Rate,
        SortKey::Spend,
        SortKey::Risk,
        SortKey::Budget,
        SortKey::Eta,
        SortKey::Tools,
        SortKey::Trend,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Attention => "attention",
            SortKey::Name => "name",
            SortKey::Kind => "kind",
            SortKey::Requests => "req/min",
            SortKey::Input => "in/min",
            SortKey::Output => "out/min",
            SortKey::InputP90 => "p90 in/req",
            SortKey::Cache => "cache%",
            SortKey::Rate => "$/h",
            SortKey::Spend => "spend",
            SortKey::Risk => "risk",
            SortKey::Budget => "budget",
            SortKey::Eta => "eta",
            SortKey::Tools => "tools/min",
            SortKey::Trend => "30-min tokens",
        }
    }

    /// Whether the uninverted order is highest first (numbers) rather than A to Z (text)
    /// or soonest first (ETA).
    fn descending(self) -> bool {
        !matches!(self, SortKey::Name | SortKey::Kind | SortKey::Eta)
    }

    /// The key `step` away, wrapping around, skipping the columns not `shown`.
    pub(super) fn step(self, step: isize, shown: impl Fn(SortKey) -> bool) -> SortKey {
        let n = Self::ALL.len() as isize;
        let mut at = Self::ALL.iter().position(|&k| k == self).unwrap_or(0) as isize;
        loop {
            at = (at + step).rem_euclid(n);
            let key = Self::ALL[at as usize];
            if shown(key) || key == self {
                return key;
            }
        }
    }

    /// The uninverted order of two rows by this key alone.
    fn compare(self, a: &IdentityRow, b: &IdentityRow) -> Ordering {
        let (ra, rb) = (&a.rates, &b.rates);
        match self {
            // Ranked apart (`attention`), with the alerts; by rate when asked alone.
            SortKey::Attention => SortKey::Rate.compare(a, b),
            // By what the table shows (a project's path).
            SortKey::Name => shown_name(a).cmp(shown_name(b)),
            SortKey::Kind => a.kind.label().cmp(b.kind.label()),
            SortKey::Requests => rb.requests_per_min.total_cmp(&ra.requests_per_min),
            SortKey::Input => rb.input_per_min.total_cmp(&ra.input_per_min),
            SortKey::Output => rb.output_per_min.total_cmp(&ra.output_per_min),
            SortKey::InputP90 => b.p90_input.cmp(&a.p90_input),
            SortKey::Cache => {
                let rate = |r: &IdentityRow| r.rates.cache_hit_rate.unwrap_or(-1.0);
                rate(b).total_cmp(&rate(a))
            }
            SortKey::Rate => rb
                .cost_per_hour
                .total_cmp(&ra.cost_per_hour)
                .then(rb.tokens_per_min().total_cmp(&ra.tokens_per_min())),
            SortKey::Spend => b.in_range.cost_usd.total_cmp(&a.in_range.cost_usd),
            SortKey::Risk => {
                let risk = |r: &IdentityRow| (r.risk.worst, r.risk.findings);
                risk(b).cmp(&risk(a))
            }
            SortKey::Budget => {
                let share = |r: &IdentityRow| r.budget.as_ref().map_or(-1.0, |b| b.percent);
                share(b).total_cmp(&share(a))
            }
            SortKey::Eta => {
                let eta = |r: &IdentityRow| match &r.budget {
                    Some(b) if b.level == BudgetLevel::Over => TimeMs::MIN,
                    Some(b) => b.exhausted_at.unwrap_or(TimeMs::MAX),
                    None => TimeMs::MAX,
                };
                eta(a).cmp(&eta(b))
            }
            SortKey::Tools => rb.tool_calls_per_min.total_cmp(&ra.tool_calls_per_min),
            SortKey::Trend => {
                let sum = |r: &IdentityRow| r.trend.iter().sum::<u64>();
                sum(b).cmp(&sum(a))
            }
        }
    }
}
