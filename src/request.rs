//! The edge between the command line and the headless modes: a subcommand's arguments and
//! the config they name resolve here into the plain request `report` or `check` runs, so
//! neither mode reads a flag or a config file. A flag or config that cannot be used is a
//! usage error (exit 2).

use anyhow::{Context, bail};
use jiff::tz::TimeZone;

use crate::check::CheckRequest;
use crate::cli::{CheckArgs, IncidentArgs, ProviderArgs, ReplayArgs, ReportArgs, source_specs};
use crate::config::Config;
use crate::engine::mapping::Pattern;
use crate::engine::snapshot::TotalsRange;
use crate::engine::tally::{Dimension, Filter};
use crate::event::TimeMs;
use crate::incident::IncidentRequest;
use crate::parse::provider::Provider;
use crate::report::{GroupBy, ReportRequest};
use crate::source::discover::{SourceSpec, default_specs};
use crate::source::provider::ProviderSpec;
use crate::usage::{OrUsage, usage_error};

/// `tokentop report`'s arguments, with `now` for ages such as `--since 2h`.
pub fn report(args: &ReportArgs, now: TimeMs) -> anyhow::Result<ReportRequest> {
    let config = args.common.config()?;
    let tz = args.common.time_zone(&config)?;
    let prices = args.common.prices(&config)?;
    let range = time_range(args.since.as_deref(), args.until.as_deref(), &tz, now)?;
    let providers = providers(&args.providers, &config)?;
    let csv = !args.json && args.format == crate::report::OutputFormat::Csv;
    if csv && args.entitlements && args.findings {
        return Err(usage_error(
            "a CSV holds one table: give --entitlements or --findings with --format csv, not both",
        ));
    }
    Ok(ReportRequest {
        specs: log_specs(&args.paths, &providers)?,
        provider_range: provider_range(range, now),
        providers,
        config,
        tz,
        prices,
        range,
        by: group_by(&args.by)?,
        entitlements: args.entitlements,
        findings: args.findings,
        filter: Filter {
            identities: args.identity.iter().map(Pattern::new).collect(),
            models: args.model.iter().map(Pattern::new).collect(),
            from: None,
        },
    })
}

/// `tokentop incident`'s arguments, with `now` for ages such as `--since 2h`.
pub fn incident(args: &IncidentArgs, now: TimeMs) -> anyhow::Result<IncidentRequest> {
    let config = args.common.config()?;
    let tz = args.common.time_zone(&config)?;
    let prices = args.common.prices(&config)?;
    let range = time_range(args.since.as_deref(), args.until.as_deref(), &tz, now)?;
    let scanner = crate::state::scanner_for_run(&config.secrets)?;
    Ok(IncidentRequest {
        specs: source_specs(&args.paths)?,
        config,
        tz,
        prices,
        identity: args.identity.clone(),
        range,
        scanner,
    })
}

/// `tokentop replay`'s arguments, with `now` for ages such as `--since 2h`. Secrets are
/// fingerprinted with a key of the run's own: replay never opens the store.
pub fn replay(args: &ReplayArgs, now: TimeMs) -> anyhow::Result<crate::replay::ReplayRequest> {
    let config = args.common.config()?;
    let tz = args.common.time_zone(&config)?;
    let prices = args.common.prices(&config)?;
    let range = time_range(args.since.as_deref(), args.until.as_deref(), &tz, now)?;
    let scanner = match config.secrets.enabled {
        true => {
            let key = crate::state::random_key()?;
            let ignore = config.secrets.ignore.clone();
            Some(std::sync::Arc::new(crate::secrets::Scanner::new(
                key, ignore,
            )))
        }
        false => None,
    };
    Ok(crate::replay::ReplayRequest {
        specs: source_specs(&args.paths)?,
        config,
        tz,
        prices,
        range,
        scanner,
        speed: args.speed,
    })
}

/// `--by`'s dimensions, each once.
fn group_by(dims: &[Dimension]) -> anyhow::Result<GroupBy> {
    for (i, d) in dims.iter().enumerate() {
        if dims[..i].contains(d) {
            return Err(usage_error(format!(
                "--by names {} twice: name each dimension once",
                d.flag()
            )));
        }
    }
    Ok(GroupBy(dims.to_vec()))
}

/// `tokentop check`'s arguments, with `now` for `--at` (and as `at` without it).
pub fn check(args: &CheckArgs, now: TimeMs) -> anyhow::Result<CheckRequest> {
    let config = args.common.config()?;
    let tz = args.common.time_zone(&config)?;
    let at = optional_time(args.at.as_deref(), "--at", &tz, now, false)?.unwrap_or(now);
    let findings_since = optional_time(args.since.as_deref(), "--since", &tz, now, false)?
        .unwrap_or(at - FINDINGS_WINDOW_MS);
    let prices = args.common.prices(&config)?;
    let providers = providers(&args.providers, &config)?;
    // With a provider on, unattributed spend can fail a check that has no budget.
    if providers.is_empty() {
        ensure_budgets(&config)?;
    }
    Ok(CheckRequest {
        specs: log_specs(&args.paths, &providers)?,
        provider_range: provider_range((None, Some(at)), at),
        providers,
        config,
        tz,
        prices,
        at,
        findings_since,
        allow_partial: args.allow_partial,
    })
}

/// The providers the flags and the config turn on, the flags' URLs over the config's.
pub fn providers(args: &ProviderArgs, config: &Config) -> anyhow::Result<Vec<ProviderSpec>> {
    let mut specs = Vec::new();
    for (provider, on, url, flag) in [
        (
            Provider::OpenAi,
            args.openai,
            &args.openai_url,
            "--openai-url",
        ),
        (
            Provider::Anthropic,
            args.anthropic,
            &args.anthropic_url,
            "--anthropic-url",
        ),
    ] {
        let configured = config.providers.iter().find(|s| s.provider == provider);
        let mut spec = match (configured, on) {
            (Some(spec), _) => spec.clone(),
            (None, true) => ProviderSpec::new(provider),
            (None, false) if url.is_some() => {
                return Err(usage_error(format!(
                    "{flag} is given but {} is not on: add --{}",
                    provider.name(),
                    provider.name()
                )));
            }
            (None, false) => continue,
        };
        if let Some(url) = url {
            spec.url = crate::config::providers::url_of(url)
                .map_err(|why| usage_error(format!("{flag}: {why}")))?;
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// The logs to read: the paths given; else the default folders, which with a provider on
/// may be none (the provider's numbers are still worth printing).
pub fn log_specs(paths: &[String], providers: &[ProviderSpec]) -> anyhow::Result<Vec<SourceSpec>> {
    log_specs_beside(paths, !providers.is_empty())
}

/// The logs to read: the paths given; else the default folders, which may be none when
/// another source (a provider, the OTLP receiver) has something to show.
pub fn log_specs_beside(paths: &[String], other_sources: bool) -> anyhow::Result<Vec<SourceSpec>> {
    if paths.is_empty() && other_sources {
        return Ok(default_specs().unwrap_or_default());
    }
    source_specs(paths)
}

/// What the providers are asked: exactly `[since, until)`; without `--since` the start of
/// `end`'s UTC month; without `--until`, `now`.
fn provider_range(range: (Option<TimeMs>, Option<TimeMs>), now: TimeMs) -> (TimeMs, TimeMs) {
    let end = range.1.unwrap_or(now);
    let start = range
        .0
        .unwrap_or_else(|| crate::timefmt::utc_month_start(end));
    (start, end)
}

/// A check without budgets would always pass: say where to write them instead.
/// `check`'s findings window when `--since` is not given: the day before `--at`.
const FINDINGS_WINDOW_MS: TimeMs = 24 * 3_600_000;

/// A check needs something to evaluate: a budget, a policy, or the secret scan (on unless
/// the config turns it off, so only a config can leave nothing).
fn ensure_budgets(config: &Config) -> anyhow::Result<()> {
    if !config.budgets.is_empty() || !config.policies.is_empty() || config.secrets.enabled {
        return Ok(());
    }
    let path = config
        .path
        .as_deref()
        .unwrap_or(std::path::Path::new("the config"));
    Err(usage_error(format!(
        "nothing to check: {} has no [[budget]] or [[policy]] table and [secrets] enabled = false; \
         add a budget or a policy, or turn the secret scan back on",
        path.display()
    )))
}

/// The live monitor's `--since`: the first totals range, the smallest that covers the
/// calendar days from T through today; an age in days or weeks (`7d`, `2w`) counts that
/// many calendar days, today included. A time that cannot be read is a usage error.
pub fn monitor_range(
    since: Option<&str>,
    tz: &TimeZone,
    now: TimeMs,
) -> anyhow::Result<TotalsRange> {
    let Some(text) = since else {
        return Ok(TotalsRange::default());
    };
    let at = parse_time(text, tz, now, false)
        .context("--since")
        .or_usage()?;
    let day = |ms: TimeMs| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned_datetime(tz.clone()).date())
            .unwrap_or(jiff::civil::Date::MIN)
    };
    let today = day(now);
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let days = match (number.parse::<i64>(), unit) {
        (Ok(n), "d") => Some(n),
        (Ok(n), "w") => n.checked_mul(7),
        _ => None,
    };
    let first = match days {
        Some(n) if n > 0 => today
            .checked_sub(jiff::Span::new().days(n.saturating_sub(1).min(1_000_000)))
            .unwrap_or(jiff::civil::Date::MIN),
        _ => day(at),
    };
    Ok(TotalsRange::reaching(first, today))
}

/// Parses a `--since` / `--until` value. `end_of_day` makes a bare date mean its end.
fn parse_time(text: &str, tz: &TimeZone, now: TimeMs, end_of_day: bool) -> anyhow::Result<TimeMs> {
    if let Some(ms) = crate::timefmt::parse_rfc3339_ms(text) {
        return Ok(ms);
    }
    let compact = text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit());
    let date_text = if compact {
        format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..])
    } else {
        text.to_string()
    };
    if let Ok(date) = date_text.parse::<jiff::civil::Date>() {
        let date = if end_of_day { date.tomorrow()? } else { date };
        return Ok(date
            .to_zoned_datetime(tz.clone())?
            .timestamp()
            .as_millisecond());
    }
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let unit_ms = match unit {
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if unit_ms > 0 => n
            .checked_mul(unit_ms)
            .and_then(|age| now.checked_sub(age))
            .filter(|&t| jiff::Timestamp::from_millisecond(t).is_ok())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "the age {text:?} reaches back past the year -9999: use a smaller one"
                )
            }),
        _ => bail!(
            "cannot read the time {text:?}: use RFC 3339 (2025-06-08T10:00:00Z), a date (2025-06-08 or 20250608) or an age (30m, 2h, 7d)"
        ),
    }
}

/// The time a `flag` was given, if it was; one that cannot be read is a usage error that
/// names the flag.
fn optional_time(
    text: Option<&str>,
    flag: &'static str,
    tz: &TimeZone,
    now: TimeMs,
    end_of_day: bool,
) -> anyhow::Result<Option<TimeMs>> {
    text.map(|t| parse_time(t, tz, now, end_of_day))
        .transpose()
        .context(flag)
        .or_usage()
}

/// `--since` and `--until` as times; a value that cannot be read, or a range that ends
/// before it starts, is a usage error.
fn time_range(
    since: Option<&str>,
    until: Option<&str>,
    tz: &TimeZone,
    now: TimeMs,
) -> anyhow::Result<(Option<TimeMs>, Option<TimeMs>)> {
    let since = optional_time(since, "--since", tz, now, false)?;
    let until = optional_time(until, "--until", tz, now, true)?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(usage_error(format!(
            "--since {} is not before --until {}: the range is empty; swap them",
            crate::timefmt::format_rfc3339_ms(s),
            crate::timefmt::format_rfc3339_ms(u)
        )));
    }
    Ok((since, until))
}
