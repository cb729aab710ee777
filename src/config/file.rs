//! The config file's shape as TOML, and its checks. Values keep their spans so that a
//! check made after parsing (two limits, no scope) still points at the right line.

use crate::engine::burst::BurstSettings;
use serde::Deserialize;
use toml::Spanned;

use super::{Config, PriceName};
use crate::engine::budget::{BudgetLedger, BudgetSpec, BudgetUnit, Scope};
use crate::engine::mapping::{IdentityRule, Pattern, RawField};
use crate::engine::period::{self, Calendar, Period};
use crate::event::IdentityKind;

/// The warn threshold when a budget gives none.
const DEFAULT_WARN_AT: f64 = 0.8;

/// A message and the byte offset it is about.
pub struct Located {
    pub offset: usize,
    pub message: String,
}

fn at<T>(spanned: &Spanned<T>, message: String) -> Located {
    Located {
        offset: spanned.span().start,
        message,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    time_zone: Option<Spanned<String>>,
    #[serde(default)]
    identity: Vec<Spanned<IdentityShape>>,
    #[serde(default)]
    budget: Vec<Spanned<BudgetShape>>,
    #[serde(default)]
    policy: Vec<Spanned<super::policy::PolicyShape>>,
    bursts: Option<Spanned<BurstSettings>>,
    /// `[prices]`: model id -> the price table entry that prices it.
    #[serde(default)]
    prices: std::collections::BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    providers: super::providers::ProvidersShape,
    #[serde(default)]
    reconcile: super::reconcile::ReconcileShape,
    #[serde(default)]
    serve: ServeShape,
    #[serde(default)]
    otlp: OtlpShape,
    #[serde(default)]
    secrets: super::secrets::SecretsShape,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServeShape {
    max_label_values: Option<Spanned<i64>>,
}

/// `[serve]`, checked: a label bound of at least one.
fn serve_settings(shape: ServeShape) -> Result<super::ServeSettings, Located> {
    let mut settings = super::ServeSettings::default();
    if let Some(n) = shape.max_label_values {
        settings.max_label_values = usize::try_from(*n.get_ref())
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| Located {
                offset: n.span().start,
                message: "[serve] max_label_values must be a whole number, 1 or more".into(),
            })?;
    }
    Ok(settings)
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OtlpShape {
    identity: Option<Spanned<Vec<String>>>,
    metric_interval_secs: Option<Spanned<i64>>,
}

/// The longest metric export interval taken, in seconds (an hour).
const MAX_METRIC_INTERVAL_SECS: i64 = 3600;

/// `[otlp]`, checked: at least one identity attribute, none empty; an interval within an
/// hour.
fn otlp_settings(shape: OtlpShape) -> Result<super::OtlpSettings, Located> {
    let mut settings = super::OtlpSettings::default();
    if let Some(keys) = shape.identity {
        let offset = keys.span().start;
        let keys = keys.into_inner();
        if keys.is_empty() || keys.iter().any(|k| k.trim().is_empty()) {
            return Err(Located {
                offset,
                message: "[otlp] identity must list attribute names, e.g. \
                          [\"enduser.id\", \"service.name\"]"
                    .into(),
            });
        }
        settings.identity = keys;
    }
    if let Some(secs) = shape.metric_interval_secs {
        let n = *secs.get_ref();
        if !(0..=MAX_METRIC_INTERVAL_SECS).contains(&n) {
            return Err(Located {
                offset: secs.span().start,
                message: format!(
                    "[otlp] metric_interval_secs must be 0 to {MAX_METRIC_INTERVAL_SECS} \
                     (your agents' OTEL_METRIC_EXPORT_INTERVAL in seconds)"
                ),
            });
        }
        settings.metric_interval_ms = n * 1000;
    }
    Ok(settings)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityShape {
    #[serde(rename = "match")]
    matches: Spanned<MatchShape>,
    name: Option<String>,
    kind: Option<IdentityKind>,
    team: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchShape {
    api_key_id: Option<String>,
    user: Option<String>,
    project: Option<String>,
    session: Option<String>,
    agent: Option<String>,
    workspace: Option<String>,
    identity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BudgetShape {
    name: Spanned<String>,
    identity: Option<Spanned<String>>,
    team: Option<Spanned<String>>,
    label: Option<Spanned<String>>,
    model: Option<Spanned<String>>,
    all: Option<Spanned<bool>>,
    period: Option<Spanned<String>>,
    rolling: Option<Spanned<String>>,
    limit_usd: Option<Spanned<f64>>,
    limit_tokens: Option<Spanned<f64>>,
    warn_at: Option<Spanned<Vec<f64>>>,
    ledger: Option<Spanned<String>>,
}

/// Parses and checks a whole file.
pub fn parse(text: &str) -> Result<Config, Located> {
    let shape: FileShape = toml::from_str(text).map_err(|e| serde_error(text, &e))?;
    let time_zone = shape
        .time_zone
        .as_ref()
        .map(|name| {
            jiff::tz::TimeZone::get(name.get_ref()).map_err(|_| {
                at(
                    name,
                    format!(
                        "time_zone = {:?} is not a known IANA time zone; use a name such as UTC, Europe/Berlin or America/New_York",
                        name.get_ref()
                    ),
                )
            })
        })
        .transpose()?;
    let identities = identity_rules(&shape.identity)?;
    let mut budgets: Vec<BudgetSpec> = Vec::with_capacity(shape.budget.len());
    for (i, b) in shape.budget.iter().enumerate() {
        let spec = budget(b)?;
        if let Some(first) = shape.budget[..i]
            .iter()
            .find(|o| o.get_ref().name.get_ref() == &spec.name)
        {
            let (line, _) = super::position(text, first.span().start);
            return Err(at(
                &b.get_ref().name,
                format!(
                    "budget {:?}: another budget (line {line}) has this name; names must be unique",
                    spec.name
                ),
            ));
        }
        budgets.push(spec);
    }
    let bursts = match shape.bursts {
        Some(b) if b.get_ref().sensitivity.is_nan() || b.get_ref().sensitivity <= 0.0 => {
            return Err(at(
                &b,
                "bursts: sensitivity must be above 0 (default 4; higher alarms less)".into(),
            ));
        }
        Some(b) if b.get_ref().min_ratio.is_nan() || b.get_ref().min_ratio < 1.0 => {
            return Err(at(
                &b,
                "bursts: min_ratio must be at least 1 (default 3)".into(),
            ));
        }
        Some(b) => b.into_inner(),
        None => BurstSettings::default(),
    };
    let prices = shape
        .prices
        .into_iter()
        .map(|(model, entry)| PriceName {
            model,
            line: super::position(text, entry.span().start).0,
            entry: entry.into_inner(),
        })
        .collect();
    Ok(Config {
        path: None,
        time_zone,
        identities,
        budgets,
        policies: super::policy::policies(shape.policy)?,
        bursts,
        prices,
        providers: super::providers::specs(shape.providers)?,
        reconcile: super::reconcile::settings(shape.reconcile)?,
        serve: serve_settings(shape.serve)?,
        otlp: otlp_settings(shape.otlp)?,
        secrets: super::secrets::settings(shape.secrets)?,
    })
}

/// A serde error with the key it is about: toml names unknown and missing keys itself;
/// otherwise the key is the span itself (a duplicate key) or the one whose `=` comes
/// before the span on its line (a bad value, also inside an inline table or an array).
fn serde_error(text: &str, e: &toml::de::Error) -> Located {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim_end().to_string();
    let message = match key_of(text, span.clone()) {
        Some(key) if !message.contains(&format!("`{key}`")) => format!("{key}: {message}"),
        _ => message,
    };
    Located {
        offset: span.start,
        message,
    }
}

fn bare_key(text: &str) -> Option<&str> {
    let key = text.trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    bare.then_some(key)
}

fn key_of(text: &str, span: std::ops::Range<usize>) -> Option<&str> {
    let after = text.get(span.end..)?;
    if after.trim_start_matches([' ', '\t']).starts_with('=') {
        return bare_key(text.get(span.clone())?);
    }
    let before = text.get(..span.start)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let key = line[..line.rfind('=')?].trim_end();
    // Past the last character that is no key's, whatever its width (a byte order mark).
    let start = key
        .char_indices()
        .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    bare_key(&key[start..])
}

fn identity_rules(rules: &[Spanned<IdentityShape>]) -> Result<Vec<IdentityRule>, Located> {
    let mut out: Vec<IdentityRule> = Vec::with_capacity(rules.len());
    for spanned in rules {
        let r = spanned.get_ref();
        let m = r.matches.get_ref();
        let fields = [
            (RawField::ApiKeyId, &m.api_key_id),
            (RawField::User, &m.user),
            (RawField::Project, &m.project),
            (RawField::Session, &m.session),
            (RawField::Agent, &m.agent),
            (RawField::Workspace, &m.workspace),
            (RawField::Identity, &m.identity),
        ];
        let conditions: Vec<(RawField, Pattern)> = fields
            .into_iter()
            .filter_map(|(f, v)| v.as_ref().map(|v| (f, Pattern::new(v.clone()))))
            .collect();
        if conditions.is_empty() {
            return Err(at(
                &r.matches,
                "[[identity]] match is empty: give at least one of api_key_id, user, project, session, agent, workspace or identity".into(),
            ));
        }
        let rule = IdentityRule {
            conditions,
            name: r.name.clone(),
            kind: r.kind,
            team: r.team.clone(),
            labels: r.labels.clone(),
        };
        // Rows are keyed by name: two rules naming one row must agree on what it is.
        let differs = |o: &IdentityRule| {
            o.name.is_some()
                && o.name == rule.name
                && (o.kind != rule.kind || o.team != rule.team || o.labels != rule.labels)
        };
        if out.iter().any(differs) {
            return Err(at(
                spanned,
                format!(
                    "[[identity]] name {:?} is also given by an earlier rule with another kind, team or labels; rules that name the same row must agree",
                    rule.name.as_deref().unwrap_or_default()
                ),
            ));
        }
        out.push(rule);
    }
    Ok(out)
}

fn budget(spanned: &Spanned<BudgetShape>) -> Result<BudgetSpec, Located> {
    let b = spanned.get_ref();
    let name = b.name.get_ref().clone();
    let fail = |offset: usize, what: String| Located {
        offset,
        message: format!("budget {name:?}: {what}"),
    };
    let table = spanned.span().start;
    if name.trim().is_empty() {
        return Err(fail(b.name.span().start, "the name is empty".into()));
    }

    let pattern = |s: &Spanned<String>| Pattern::new(s.get_ref().clone());
    let scopes: Vec<(&str, usize, Scope)> = [
        b.identity
            .as_ref()
            .map(|s| ("identity", s, Scope::Identity(pattern(s)))),
        b.team
            .as_ref()
            .map(|s| ("team", s, Scope::Team(pattern(s)))),
        b.label
            .as_ref()
            .map(|s| ("label", s, Scope::Label(pattern(s)))),
        b.model
            .as_ref()
            .map(|s| ("model", s, Scope::Model(pattern(s)))),
    ]
    .into_iter()
    .flatten()
    .map(|(key, s, scope)| (key, s.span().start, scope))
    .chain(b.all.as_ref().map(|a| ("all", a.span().start, Scope::All)))
    .collect();
    if let Some(all) = &b.all
        && !all.get_ref()
    {
        let what = "all = false covers nothing; write all = true, or another scope";
        return Err(fail(all.span().start, what.into()));
    }
    let scope = match scopes.as_slice() {
        [] => {
            let what = "no scope: set one of identity, team, label, model or all = true";
            return Err(fail(table, what.into()));
        }
        [(_, _, scope)] => scope.clone(),
        [(first, _, _), (second, offset, _), ..] => {
            let what = format!("{first} and {second} are both set: a budget has one scope");
            return Err(fail(*offset, what));
        }
    };

    let period = match (&b.period, &b.rolling) {
        (Some(_), Some(rolling)) => {
            let what = "period and rolling are both set: keep one";
            return Err(fail(rolling.span().start, what.into()));
        }
        (None, None) => {
            let what = "no period: set period = \"hour\", \"day\", \"week\" or \"month\", or a rolling window such as rolling = \"24h\"";
            return Err(fail(table, what.into()));
        }
        (Some(p), None) => Period::Calendar(match p.get_ref().as_str() {
            "hour" => Calendar::Hour,
            "day" => Calendar::Day,
            "week" => Calendar::Week,
            "month" => Calendar::Month,
            other => {
                let what = format!(
                    "period = {other:?} is not \"hour\", \"day\", \"week\" or \"month\" (for a rolling window write rolling = \"14d\")"
                );
                return Err(fail(p.span().start, what));
            }
        }),
        (None, Some(r)) => match period::parse_rolling(r.get_ref()) {
            Some(rolling) => rolling,
            None => {
                let what = format!(
                    "rolling = {:?} is not a length such as \"90m\", \"24h\", \"7d\" or \"2w\" (whole minutes, hours, days or weeks, at most 366d)",
                    r.get_ref()
                );
                return Err(fail(r.span().start, what));
            }
        },
    };

    let (unit, limit) = match (&b.limit_usd, &b.limit_tokens) {
        (Some(_), Some(tokens)) => {
            let what = "limit_usd and limit_tokens are both set: a budget has one limit";
            return Err(fail(tokens.span().start, what.into()));
        }
        (None, None) => {
            return Err(fail(
                table,
                "no limit: set limit_usd or limit_tokens".into(),
            ));
        }
        (Some(usd), None) => (BudgetUnit::Usd, usd),
        (None, Some(tokens)) => (BudgetUnit::Tokens, tokens),
    };
    let value = *limit.get_ref();
    if !(value.is_finite() && value > 0.0) {
        let key = match unit {
            BudgetUnit::Usd => "limit_usd",
            BudgetUnit::Tokens => "limit_tokens",
        };
        let what = format!("{key} = {value} must be a number above 0");
        return Err(fail(limit.span().start, what));
    }

    let mut warn_at = match &b.warn_at {
        None => vec![DEFAULT_WARN_AT],
        Some(w) => {
            if w.get_ref().is_empty() || w.get_ref().iter().any(|x| !(*x > 0.0 && *x < 1.0)) {
                let what = format!(
                    "warn_at = {:?} must list shares of the limit between 0 and 1, such as [0.8] or [0.5, 0.9]",
                    w.get_ref()
                );
                return Err(fail(w.span().start, what));
            }
            w.get_ref().clone()
        }
    };
    warn_at.sort_by(f64::total_cmp);
    let ledger = match b.ledger.as_ref().map(|l| (l, l.get_ref().as_str())) {
        None | Some((_, "logs")) => BudgetLedger::Logs,
        Some((_, "provider")) => BudgetLedger::Provider,
        Some((l, other)) => {
            let what = format!(
                "ledger = {:?} is not \"logs\" (the default: every request read) or \"provider\" (the providers' usage reports, with --openai or --anthropic)",
                crate::sanitize::sanitize(other, 40)
            );
            return Err(fail(l.span().start, what));
        }
    };
    Ok(BudgetSpec {
        name,
        scope,
        period,
        unit,
        limit: value,
        warn_at,
        ledger,
    })
}
