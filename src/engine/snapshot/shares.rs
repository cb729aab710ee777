//! Who and what the spend over the totals range went to, by model, team and kind of
//! identity: the side panel's bars, worked out here so the view only draws them.

use serde::Serialize;

use super::{IdentityRow, TotalsRange};
use crate::engine::Engine;

/// Slices of each list beyond these are folded into one ("N more").
pub const MAX_SHARES: usize = 6;

/// One slice of the spend.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Share {
    /// As shown: a model, a team, a kind (`svc-acct`), `(no team)` or `3 more`.
    pub label: String,
    /// What the table's filter selects it by (a model, team or kind); `None` for the
    /// slices that name no one value.
    pub key: Option<String>,
    pub cost_usd: f64,
    /// Of the range's priced spend, 0 to 1.
    pub share: f64,
}

/// Spend over the snapshot's totals range, most first.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Shares {
    pub model: Vec<Share>,
    pub team: Vec<Share>,
    pub kind: Vec<Share>,
}

/// Sorts `(label, key, cost)` by cost (then label), works out the shares of `total` and
/// folds what is past [`MAX_SHARES`].
fn slices(mut parts: Vec<(String, Option<String>, f64)>, total: f64) -> Vec<Share> {
    parts.retain(|(_, _, cost)| *cost > 0.0);
    parts.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    let share = |cost: f64| if total > 0.0 { cost / total } else { 0.0 };
    let mut out: Vec<Share> = parts
        .iter()
        .take(MAX_SHARES)
        .map(|(label, key, cost)| Share {
            label: label.clone(),
            key: key.clone(),
            cost_usd: *cost,
            share: share(*cost),
        })
        .collect();
    if parts.len() > MAX_SHARES {
        let rest: f64 = parts[MAX_SHARES..].iter().map(|p| p.2).sum();
        out.push(Share {
            label: format!("{} more", parts.len() - MAX_SHARES),
            key: None,
            cost_usd: rest,
            share: share(rest),
        });
    }
    out
}

impl Engine {
    /// The shares over `range` up to `today`, from the rows already taken.
    pub(super) fn shares(
        &self,
        rows: &[IdentityRow],
        range: TotalsRange,
        today: jiff::civil::Date,
    ) -> Shares {
        let total: f64 = rows.iter().map(|r| r.in_range.cost_usd).sum();
        let models: Vec<(String, f64)> = match range.days() {
            Some(days) => {
                let first = today
                    .checked_sub(jiff::Span::new().days(days - 1))
                    .unwrap_or(today);
                self.global
                    .model_days
                    .over(first, today)
                    .into_iter()
                    .collect()
            }
            None => (self.global.by_model.iter())
                .map(|(m, u)| (m.clone(), u.cost_usd))
                .collect(),
        };
        let model = models
            .into_iter()
            .map(|(m, cost)| (m.clone(), Some(m), cost))
            .collect();
        let mut teams: Vec<(String, Option<String>, f64)> = Vec::new();
        let mut kinds: Vec<(String, Option<String>, f64)> = Vec::new();
        for r in rows {
            let cost = r.in_range.cost_usd;
            let (label, key) = match &r.team {
                Some(team) => (team.clone(), Some(team.clone())),
                None => ("(no team)".to_string(), None),
            };
            add(&mut teams, label, key, cost);
            let kind = r.kind.short_label();
            add(&mut kinds, kind.to_string(), Some(kind.to_string()), cost);
        }
        Shares {
            model: slices(model, total),
            team: slices(teams, total),
            kind: slices(kinds, total),
        }
    }
}

/// Adds `cost` to the part labelled `label` (few parts: teams and kinds).
fn add(
    parts: &mut Vec<(String, Option<String>, f64)>,
    label: String,
    key: Option<String>,
    cost: f64,
) {
    match parts.iter_mut().find(|p| p.0 == label) {
        Some(part) => part.2 += cost,
        None => parts.push((label, key, cost)),
    }
}
