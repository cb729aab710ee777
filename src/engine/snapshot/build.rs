//! Taking the snapshot: the engine's windows, totals and budgets read into the plain rows of
//! [`super`], only as much as the view asks for.

use super::sizes::Source;
use super::{
    Filled, GroupRow, IdentityBudget, IdentityDetail, IdentityRow, KindRow, MINUTE_MS,
    MinuteChange, ModelPricing, ModelRow, RangeDetail, Rates, RequestSummary, Snapshot, Timeline,
    TimelinePoint, TimelineSpan, ToolRow, TotalsRange, Trend, View,
};
use crate::engine::snapshot::{Finding, Risk};
use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;

use crate::engine::budget::BudgetState;
use crate::engine::usage::Usage;
use crate::engine::window::{Bucket, TieredWindow};
use crate::engine::{Engine, Map, OTHER_MODEL};
use crate::event::{Kind, TimeMs, Tokens};
use crate::pricing::ClassCost;

/// The sum of `by_day` over `range`'s days up to `today`.
fn over_range(
    by_day: &BTreeMap<Date, Usage>,
    totals: &Usage,
    range: TotalsRange,
    today: Date,
) -> Usage {
    let Some(days) = range.days() else {
        return *totals;
    };
    let first = today
        .checked_sub(jiff::Span::new().days(days - 1))
        .unwrap_or(Date::MIN);
    let mut sum = Usage::default();
    by_day.range(first..=today).for_each(|(_, u)| sum.add(u));
    sum
}

/// `path` with `home` written `~` (only this machine's home: another's stays whole).
pub(in crate::engine) fn tilde(path: &str, home: Option<&str>) -> String {
    let home = home.map(|h| h.trim_end_matches('/'));
    match home.and_then(|h| path.strip_prefix(h)) {
        Some("") => "~".to_string(),
        Some(rest) if rest.starts_with('/') => format!("~{rest}"),
        _ => path.to_string(),
    }
}

fn trend(window: &TieredWindow<Usage>, now: TimeMs) -> Trend {
    window.per_minute_of(now, Usage::total_tokens)
}

fn group_rows<'a>(groups: impl Iterator<Item = (String, &'a Usage)>) -> Vec<GroupRow> {
    let mut rows: Vec<GroupRow> = groups
        .map(|(key, usage)| GroupRow {
            key,
            usage: *usage,
            pricing: None,
            cost_usd_by_class: None,
        })
        .collect();
    GroupRow::sort_by_cost(&mut rows);
    rows
}

impl Engine {
    /// The table entry that prices `model`, or why none does, for its report row.
    fn model_pricing(&self, model: &str) -> ModelPricing {
        if model == OTHER_MODEL {
            return ModelPricing {
                price_key: None,
                unpriced_reason: None,
            };
        }
        let matched = match self.price_memo.get(model) {
            Some(Ok((key, _))) => Ok(key.to_string()),
            Some(Err(reason)) => Err(*reason),
            None => self.prices.resolve(model).map(|(key, _)| key.to_string()),
        };
        match matched {
            Ok(key) => ModelPricing {
                price_key: Some(key),
                unpriced_reason: None,
            },
            Err(reason) => ModelPricing {
                price_key: None,
                unpriced_reason: Some(reason),
            },
        }
    }

    /// The priced cost of `usage`, all of one model, split by token class.
    fn class_cost(&self, model: &str, usage: &Usage) -> ClassCost {
        let price = match self.price_memo.get(model) {
            Some(Ok((_, price))) => Some(price),
            Some(Err(_)) => None,
            None if model == OTHER_MODEL => None,
            None => self.prices.resolve(model).ok().map(|(_, price)| price),
        };
        let tokens = Tokens {
            input: usage.input,
            cache_read: usage.cache_read,
            cache_write_5m: usage.cache_write_5m,
            cache_write_1h: usage.cache_write_1h,
            output: usage.output,
            reasoning: usage.reasoning,
        };
        ClassCost::split(usage.cost_usd, &tokens, price)
    }

    /// The cost split by class over the models of an identity (or of the fleet).
    fn models_class_cost(&self, by_model: &Map<String, Usage>) -> ClassCost {
        let mut sum = ClassCost::default();
        for (model, usage) in by_model {
            sum.add(&self.class_cost(model, usage));
        }
        sum
    }

    fn now_zoned(&self) -> jiff::ZonedDateTime {
        jiff::Timestamp::from_millisecond(self.now)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.days.tz.clone())
    }

    /// When the totals range begins (`None`: everything read).
    fn range_start(&self, range: TotalsRange) -> Option<TimeMs> {
        range.start(self.now, &self.days.tz)
    }

    fn today(&self) -> jiff::civil::Date {
        self.now_zoned().date()
    }

    fn row(
        &self,
        who: usize,
        today: jiff::civil::Date,
        budgets: &[BudgetState],
        view: &View,
    ) -> IdentityRow {
        let id = &self.identities[who];
        let rule = id.rule.and_then(|r| self.mapping.rule(r));
        IdentityRow {
            name: id.name.clone(),
            display: id.display(self.home.as_deref()),
            kind: id.kind,
            format: id.format,
            rates: Rates::of(&id.window, self.now, view.window),
            today: id.by_day.get(&today).copied().unwrap_or_default(),
            in_range: over_range(&id.by_day, &id.totals, view.range, today),
            totals: id.totals,
            first_seen: id.first_seen,
            last_seen: id.last_seen,
            trend: trend(&id.window, self.now),
            p90_input: Source {
                dists: &id.dists,
                window: &id.window,
            }
            .p90_input(self.now, view.window),
            models: id.models.clone(),
            team: rule
                .and_then(|r| r.team.clone())
                .or_else(|| id.attrs.team.clone()),
            labels: id.labels(rule.map_or(&[][..], |r| r.labels.as_slice())),
            budget: self.budgets.tightest(who, &id.name, budgets),
            risk: Risk::default(),
            whole_range: self.whole_range.then(|| RangeDetail {
                per_request: RequestSummary::whole_range(&id.dists),
                cost_usd_by_class: self.models_class_cost(&id.by_model),
            }),
        }
    }

    /// Everything the views and reports need at the engine's `now`, with the detail of
    /// `focus` and the overview's default window.
    pub fn snapshot(&self, focus: Option<&str>) -> Snapshot {
        self.snapshot_with(&View {
            focus,
            ..View::default()
        })
    }

    /// Everything the views need at the engine's `now`, for what they show: only the
    /// identity in focus is worked out in depth.
    pub fn snapshot_with(&self, view: &View) -> Snapshot {
        let now = self.now_zoned();
        let today = now.date();
        let mut by_day: Vec<GroupRow> = self
            .global
            .by_day
            .iter()
            .map(|(day, usage)| GroupRow {
                key: day.to_string(),
                usage: *usage,
                pricing: None,
                cost_usd_by_class: None,
            })
            .collect();
        by_day.sort_by(|a, b| a.key.cmp(&b.key));
        let budgets = self.budgets();
        let mut by_model = group_rows(self.global.by_model.iter().map(|(m, u)| (m.clone(), u)));
        for row in &mut by_model {
            row.pricing = Some(self.model_pricing(&row.key));
            row.cost_usd_by_class = Some(self.class_cost(&row.key, &row.usage));
        }
        let mut identities: Vec<IdentityRow> = (0..self.identities.len())
            .map(|who| self.row(who, today, &budgets, view))
            .collect();
        let alerts = self.shown_alerts();
        let risks = Risk::by_identity(&alerts, self.range_start(view.range));
        for row in &mut identities {
            row.risk = risks.get(row.name.as_str()).copied().unwrap_or_default();
        }
        let rates = Rates::of(&self.global.window, self.now, view.window);
        let minute_ago = Rates::of(&self.global.window, self.now - MINUTE_MS, view.window);
        let last_minute = self.global.window.sum(self.now, MINUTE_MS);
        Snapshot {
            now: self.now,
            time_zone: self.days.tz.iana_name().unwrap_or("UTC").to_string(),
            today: today.to_string(),
            clock: now.strftime("%H:%M:%S %Z").to_string(),
            window: view.window,
            range: view.range,
            totals: self.global.totals,
            today_usage: self.global.by_day.get(&today).copied().unwrap_or_default(),
            range_usage: over_range(&self.global.by_day, &self.global.totals, view.range, today),
            rates,
            last_minute: MinuteChange {
                cost_usd: last_minute.cost_usd,
                requests: last_minute.requests,
                cost_per_hour: rates.cost_per_hour - minute_ago.cost_per_hour,
            },
            ingest_per_sec: self.ingest_rate(),
            dedup_held: self.copies.held(),
            ingest: self.stats,
            filled: Filled::of(&identities),
            shares: self.shares(&identities, view.range, today),
            identities,
            by_model,
            by_day,
            trend: trend(&self.global.window, self.now),
            whole_range: self.whole_range.then(|| RangeDetail {
                per_request: RequestSummary::whole_range(&self.global.dists),
                cost_usd_by_class: self.models_class_cost(&self.global.by_model),
            }),
            sizes: Source {
                dists: &self.global.dists,
                window: &self.global.window,
            }
            .sizes(self.now, view.window.ms()),
            detail: view
                .focus
                .and_then(|name| self.detail_with(name, &budgets, view, &risks)),
            budgets,
            alerts,
            active_alerts: self.alerts.counts(),
            providers: (!self.providers.is_empty()).then(|| self.providers.view()),
        }
    }

    fn shown_alerts(&self) -> Vec<crate::engine::alerts::Alert> {
        self.with_paths(self.alerts.list())
    }

    /// `alerts` with their reasons naming a Claude Code project by its path as the table
    /// does (`~/dev/payments-api: …`); the alerts' `identities` keep the names rules know.
    pub(in crate::engine) fn with_paths(
        &self,
        mut alerts: Vec<crate::engine::alerts::Alert>,
    ) -> Vec<crate::engine::alerts::Alert> {
        for alert in &mut alerts {
            let Some(name) = alert.identities.first() else {
                continue;
            };
            let path = self
                .index
                .get(name)
                .and_then(|&i| self.identities[i].path.as_deref());
            if let (Some(path), Some(rest)) = (path, alert.reason.strip_prefix(name.as_str()))
                && rest.starts_with(':')
            {
                alert.reason = format!("{}{rest}", tilde(path, self.home.as_deref()));
            }
        }
        alerts
    }

    pub fn detail(&self, name: &str) -> Option<IdentityDetail> {
        let view = View {
            focus: Some(name),
            ..View::default()
        };
        let alerts = self.alerts.list();
        let risks = Risk::by_identity(&alerts, self.range_start(view.range));
        self.detail_with(name, &self.budgets(), &view, &risks)
    }

    fn detail_with(
        &self,
        name: &str,
        budgets: &[BudgetState],
        view: &View,
        risks: &HashMap<&str, Risk>,
    ) -> Option<IdentityDetail> {
        let who = *self.index.get(name)?;
        let id = &self.identities[who];
        let total_cost = id.totals.cost_usd;
        let share = |cost: f64| (total_cost > 0.0).then(|| (cost / total_cost).min(1.0));
        let mut tools: Vec<ToolRow> = id
            .tools
            .iter()
            .map(|(name, t)| ToolRow {
                name: name.clone(),
                mcp_server: t.mcp_server.clone(),
                calls: t.calls,
                calls_last_min: t.window.sum(self.now, MINUTE_MS).into(),
                first_seen: t.first_seen,
                last_seen: t.last_seen,
                cost_usd: t.cost_usd,
                cost_share: share(t.cost_usd),
            })
            .collect();
        tools.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name)));
        let by_model = group_rows(id.by_model.iter().map(|(m, u)| (m.clone(), u)))
            .into_iter()
            // A copy that moved to another identity leaves an all-zero model behind.
            .filter(|g| g.usage != Usage::default())
            .map(|g| ModelRow {
                cost_by_class: self.class_cost(&g.key, &g.usage),
                model: g.key,
                cost_share: (total_cost > 0.0 && g.usage.unpriced_requests < g.usage.requests)
                    .then(|| g.usage.cost_usd / total_cost),
                usage: g.usage,
            })
            .collect();
        let by_kind = Kind::ALL
            .iter()
            .zip(&id.by_kind)
            // A tool event counts no request, but the own schema's may carry tokens.
            .filter(|(_, usage)| usage.requests > 0 || usage.total_tokens() > 0)
            .map(|(&kind, &usage)| KindRow { kind, usage })
            .collect();
        let covering: Vec<IdentityBudget> = {
            let mut at: Vec<usize> = self.budgets.covering(who, &id.name, budgets).collect();
            at.extend((0..budgets.len()).filter(|&b| !budgets[b].matched));
            at.sort_unstable();
            at.dedup();
            at.into_iter()
                .filter_map(|b| {
                    let state = budgets.get(b)?;
                    // A budget that matches nothing paces no one.
                    let pace = state
                        .matched
                        .then(|| self.budgets.pace_per_min(b, self.now));
                    Some(IdentityBudget {
                        state: state.clone(),
                        pace_per_min: pace.flatten(),
                    })
                })
                .collect()
        };
        let mut row = self.row(who, self.today(), budgets, view);
        row.risk = risks.get(name).copied().unwrap_or_default();
        let alerts = self.alerts.list();
        let providers = (!self.providers.is_empty()).then(|| self.providers.view());
        Some(IdentityDetail {
            row,
            by_model,
            tools,
            cache_hit_rate_total: id.totals.cache_hit_rate(),
            cost_by_class: self.models_class_cost(&id.by_model),
            sizes: Source {
                dists: &id.dists,
                window: &id.window,
            }
            .windows(self.now, view.span),
            recent: id.recent.newest_first(),
            by_kind,
            timeline: self.timeline(who, view.span),
            budgets: covering,
            findings: Finding::of_identity(&alerts, &id.name, providers.as_deref()),
            alerts: alerts
                .into_iter()
                .filter(|a| a.concerns(&id.name) && !Risk::KINDS.contains(&a.kind))
                .collect(),
        })
    }

    fn timeline(&self, who: usize, span: TimelineSpan) -> Timeline {
        let (bucket_ms, count) = span.buckets();
        let window = &self.identities[who].window;
        let buckets = window
            .series(self.now, bucket_ms, count)
            .unwrap_or_default();
        let last_start = self.now.div_euclid(bucket_ms) * bucket_ms;
        // The current bucket is still filling: its rate is over the time it has had (at
        // least a tenth of a bucket, so its first seconds do not read as a spike).
        let filled = (self.now - last_start).clamp(bucket_ms / 10, bucket_ms);
        let last = buckets.len().saturating_sub(1);
        Timeline {
            span,
            start: last_start - (count as i64 - 1) * bucket_ms,
            bucket_ms,
            unpriced_requests: buckets.iter().map(|b| b.unpriced_requests).sum(),
            points: buckets
                .into_iter()
                .enumerate()
                .map(|(i, b)| {
                    let over = if i == last { filled } else { bucket_ms };
                    TimelinePoint::of(b, over)
                })
                .collect(),
        }
    }
}
