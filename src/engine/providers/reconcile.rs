//! Reconciliation: per mapped identity and UTC day, what the providers say was spent
//! against what the logs explain. Provider buckets are named by the same `[[identity]]`
//! rules as log events, so a key, a log project and an OTel user can be one identity. The
//! signed difference is unattributed spend: usage billed to a key that no log explains is
//! how a leaked or misused key shows itself.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::config::reconcile::ReconcileSettings;
use crate::engine::mapping::{IdentityRule, Mapping, RawField};
use crate::engine::tally::Tally;
use crate::event::TimeMs;
use crate::format::micro_usd;
use crate::parse::provider::{Provider, ProviderBucket, Report};
use crate::pricing::PriceTable;
use crate::timefmt::utc_day;

const DAY_MS: TimeMs = 86_400_000;

/// Where a row's provider spend comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The providers' cost reports, where they give the dimension the identity is mapped by.
    Billed,
    /// Usage x price from the offline table (in part, when some provider billed the day).
    Estimated,
}

/// One mapped identity on one UTC day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReconcileRow {
    pub identity: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub provider_usd: f64,
    pub provider_basis: Basis,
    /// The logs' cost for this identity on this UTC day.
    pub logged_usd: f64,
    /// `provider_usd - logged_usd`: positive is spend no log explains.
    pub unattributed_usd: f64,
    /// Unattributed above `[reconcile] unattributed_usd`, on a settled day.
    pub over: bool,
    /// The day ended `settle` ago: only then can it be a finding (reports hold no other).
    #[serde(skip_serializing_if = "is_true")]
    pub settled: bool,
    /// Usage rows whose model has no price: not in an estimated `provider_usd`.
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_rows: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A key (with its project or workspace) whose usage no `[[identity]]` rule maps: listed,
/// never a finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnmappedKey {
    pub provider: Provider,
    pub api_key_id: Option<String>,
    /// OpenAI project, Anthropic workspace.
    pub project: Option<String>,
    /// Usage x price over the counted days.
    pub estimated_usd: f64,
    #[serde(skip_serializing_if = "is_zero")]
    pub unpriced_rows: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reconciliation {
    /// The threshold: unattributed spend above it, per identity per day, is a finding.
    pub unattributed_usd: f64,
    pub settle: String,
    /// Days that ended before this (RFC 3339) and lie wholly inside the range read count.
    pub settled_before: String,
    pub rows: Vec<ReconcileRow>,
    pub unmapped: Vec<UnmappedKey>,
}

impl Reconciliation {
    /// The rows over the threshold.
    pub fn findings(&self) -> impl Iterator<Item = &ReconcileRow> {
        self.rows.iter().filter(|r| r.over)
    }
}

/// What reconciliation reads.
pub struct Inputs<'a> {
    /// Every provider's buckets, each span of time once.
    pub buckets: &'a [&'a ProviderBucket],
    /// The logs' sums by identity and UTC day ([`crate::engine::Engine::keep_utc_days`]).
    pub logged: Option<&'a Tally>,
    pub rules: &'a [IdentityRule],
    pub prices: &'a PriceTable,
    pub settings: &'a ReconcileSettings,
    /// What both the logs and the providers were read for: only whole UTC days inside count.
    pub window: (TimeMs, TimeMs),
    /// The wall clock, for `settle`.
    pub now: TimeMs,
    /// Also rows for days of the window not settled yet, never findings (the live view's
    /// today); reports leave them out.
    pub pending: bool,
}

/// The fields of a provider bucket that a rule can match: OpenAI's project is a project,
/// Anthropic's is a workspace; no bucket has a log's session, agent or parser identity.
fn field(b: &ProviderBucket, f: RawField) -> Option<&str> {
    match (f, b.provider) {
        (RawField::ApiKeyId, _) => b.api_key_id.as_deref(),
        (RawField::User, _) => b.user.as_deref(),
        (RawField::Project, Provider::OpenAi) | (RawField::Workspace, Provider::Anthropic) => {
            b.project.as_deref()
        }
        _ => None,
    }
}

/// The first rule that matches a bucket.
pub(super) fn rule_of<'m>(mapping: &'m Mapping, b: &ProviderBucket) -> Option<&'m IdentityRule> {
    mapping.rule(mapping.rule_for_fields(|f| field(b, f))?)
}

/// The identity `rule` names for a bucket (a rule without a name keeps the key id, else
/// the project or workspace).
pub(super) fn name_of(rule: Option<&IdentityRule>, b: &ProviderBucket) -> String {
    let raw = || {
        let raw = b
            .api_key_id
            .as_ref()
            .or(b.project.as_ref())
            .or(b.user.as_ref());
        raw.cloned().unwrap_or_else(|| "(none)".to_string())
    };
    rule.and_then(|r| r.name.clone()).unwrap_or_else(raw)
}

/// The identity a bucket's first matching rule names; `None` when no rule matches.
pub(crate) fn identity_of(mapping: &Mapping, b: &ProviderBucket) -> Option<String> {
    let rule = rule_of(mapping, b)?;
    Some(name_of(Some(rule), b))
}

/// One provider's part of an identity's day.
#[derive(Default)]
struct Part {
    billed: Option<f64>,
    estimated: f64,
    unpriced: u64,
}

/// Whose a bucket is, as the rules read it: provider, key, project or workspace, user.
type Who<'a> = (Provider, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Reconciles the providers' buckets with the logs' sums.
pub fn reconcile(i: Inputs) -> Reconciliation {
    let mapping = Mapping::new(i.rules.to_vec());
    let settled_before = i.now.saturating_sub(i.settings.settle_ms);
    let settled = |day_start: TimeMs| day_start + DAY_MS <= settled_before;
    let counts = |day_start: TimeMs| {
        let inside = day_start >= i.window.0 && day_start + DAY_MS <= i.window.1;
        inside && (i.pending || settled(day_start))
    };
    // Summed by identity and day start first: a month of buckets is tens of thousands of
    // rows over a few hundred keys, so each key is named once and each day written once.
    let mut names: crate::engine::Map<Who, Option<usize>> = Default::default();
    let mut idents: Vec<String> = Vec::new();
    let mut by_day: BTreeMap<(usize, TimeMs), BTreeMap<Provider, Part>> = BTreeMap::new();
    let mut unmapped: BTreeMap<(Provider, Option<String>, Option<String>), UnmappedKey> =
        BTreeMap::new();
    for &b in i.buckets {
        // Claude Code's rows count again, by user, what the messages report counts by key.
        if b.report == Report::ClaudeCode {
            continue;
        }
        let day_start = b.start - b.start.rem_euclid(DAY_MS);
        let estimate = match b.report {
            Report::Usage => b.model.as_deref().and_then(|m| i.prices.cost(m, &b.tokens)),
            _ => None,
        };
        let who = (
            b.provider,
            b.api_key_id.as_deref(),
            b.project.as_deref(),
            b.user.as_deref(),
        );
        let identity = *names.entry(who).or_insert_with(|| {
            let name = identity_of(&mapping, b)?;
            Some(match idents.iter().position(|n| *n == name) {
                Some(at) => at,
                None => {
                    idents.push(name);
                    idents.len() - 1
                }
            })
        });
        let Some(identity) = identity else {
            if b.report == Report::Usage && counts(day_start) {
                let key = (b.provider, b.api_key_id.clone(), b.project.clone());
                let entry = unmapped.entry(key).or_insert_with(|| UnmappedKey {
                    provider: b.provider,
                    api_key_id: b.api_key_id.clone(),
                    project: b.project.clone(),
                    estimated_usd: 0.0,
                    unpriced_rows: 0,
                });
                entry.estimated_usd += estimate.unwrap_or(0.0);
                entry.unpriced_rows += u64::from(estimate.is_none());
            }
            continue;
        };
        if !counts(day_start) {
            continue;
        }
        let part = by_day
            .entry((identity, day_start))
            .or_default()
            .entry(b.provider)
            .or_default();
        match b.report {
            Report::Cost => *part.billed.get_or_insert(0.0) += b.billed_usd.unwrap_or(0.0),
            _ => match estimate {
                Some(usd) => part.estimated += usd,
                None => part.unpriced += 1,
            },
        }
    }
    let mut cells: BTreeMap<(String, String), BTreeMap<Provider, Part>> = by_day
        .into_iter()
        .map(|((who, day), parts)| ((idents[who].clone(), utc_day(day)), parts))
        .collect();
    let mapped: BTreeSet<String> = idents.into_iter().collect();
    let mut logged: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (values, sum) in i.logged.into_iter().flat_map(|t| t.rows()) {
        let [identity, day] = values[..] else {
            continue;
        };
        let start = day_start_ms(day);
        if mapped.contains(identity) && start.is_some_and(counts) {
            *logged
                .entry((identity.to_string(), day.to_string()))
                .or_default() += sum.cost_usd();
            cells
                .entry((identity.to_string(), day.to_string()))
                .or_default();
        }
    }
    let rows = cells
        .into_iter()
        .map(|(key, parts)| {
            let provider_usd: f64 = parts
                .values()
                .map(|p| p.billed.unwrap_or(p.estimated))
                .sum();
            let billed = !parts.is_empty() && parts.values().all(|p| p.billed.is_some());
            let logged_usd = logged.get(&key).copied().unwrap_or(0.0);
            let unattributed = micro_usd(provider_usd) - micro_usd(logged_usd);
            let settled = day_start_ms(&key.1).is_some_and(settled);
            ReconcileRow {
                identity: key.0,
                day: key.1,
                provider_usd: micro_usd(provider_usd),
                provider_basis: if billed {
                    Basis::Billed
                } else {
                    Basis::Estimated
                },
                logged_usd: micro_usd(logged_usd),
                unattributed_usd: micro_usd(unattributed),
                over: settled && micro_usd(unattributed) > i.settings.unattributed_usd,
                settled,
                unpriced_rows: parts
                    .values()
                    .filter(|p| p.billed.is_none())
                    .map(|p| p.unpriced)
                    .sum(),
            }
        })
        .collect();
    Reconciliation {
        unattributed_usd: i.settings.unattributed_usd,
        settle: i.settings.settle.clone(),
        settled_before: crate::timefmt::format_rfc3339_ms(settled_before),
        rows,
        unmapped: unmapped
            .into_values()
            .map(|mut u| {
                u.estimated_usd = micro_usd(u.estimated_usd);
                u
            })
            .collect(),
    }
}

/// Midnight UTC of a `YYYY-MM-DD` day, in milliseconds.
fn day_start_ms(day: &str) -> Option<TimeMs> {
    let date: jiff::civil::Date = day.parse().ok()?;
    let zoned = date.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_millisecond())
}
