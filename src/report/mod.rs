//! `tokentop report`: read everything, print totals by the chosen dimensions (table, JSON,
//! CSV or Markdown), exit.

mod csv;
pub mod entitlements;
pub mod findings;
pub mod providers;
mod providers_md;
pub mod reconcile;
mod rows;
mod sizes;
mod table;

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, bail};
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::config::Config;
use crate::engine::budget::{BudgetState, BudgetUnit};
use crate::engine::mapping::{Mapping, Pattern};
use crate::engine::tally::{Dimension, Filter, Tally};
use crate::engine::{CopyRuns, Engine, IngestStats};
use crate::event::{Event, TimeMs};
use crate::pricing::PriceTable;
use crate::secrets::Scanner;
use crate::source::discover::SourceSpec;
use crate::source::follow::Follower;
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;
use crate::source::provider::ProviderHealth;
use crate::source::provider::{Fetched, ProviderSpec, fetch_blocking};
use crate::source::stdin;

use self::entitlements::{Entitlements, KeyInputs};
use self::findings::Finding;
use self::providers::{ProviderReport, provider_report};
pub use self::rows::{Keys, ReportRow};
use crate::engine::budget::BudgetLedger;
use crate::engine::providers::reconcile::{Inputs, Reconciliation, reconcile};
use crate::parse::provider::{Family, ProviderUpdate, Width};

/// What one report reads and how it groups it, resolved from the command line at the edge.
#[derive(Debug)]
pub struct ReportRequest {
    pub specs: Vec<SourceSpec>,
    pub config: Config,
    pub tz: TimeZone,
    pub prices: Arc<PriceTable>,
    /// Events in `[since, until)`.
    pub range: (Option<TimeMs>, Option<TimeMs>),
    pub by: GroupBy,
    /// Only these identities and models (`--identity`, `--model`).
    pub filter: Filter,
    /// Provider APIs to read, and the range they are asked for.
    pub providers: Vec<ProviderSpec>,
    pub provider_range: (TimeMs, TimeMs),
    /// Whether to review tools against policies and keys against their use (`--entitlements`).
    pub entitlements: bool,
    /// Whether to scan for secrets and list every finding (`--findings`).
    pub findings: bool,
}

/// What a report has one row per: one dimension or several (`--by day,identity`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupBy(pub Vec<Dimension>);

/// JSON `by`: a string for one dimension, an array for several.
impl Serialize for GroupBy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }
}

/// How the report is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub by: GroupBy,
    pub time_zone: String,
    pub since: Option<String>,
    pub until: Option<String>,
    /// `--identity` and `--model`, when given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    pub totals: ReportRow,
    pub rows: Vec<ReportRow>,
    /// The config's budgets at the time of the report (left out when there are none),
    /// over everything read whatever the filters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetState>,
    pub sources: Vec<SourceHealth>,
    pub ingest: IngestStats,
    /// Each provider's own ledger (left out when none is on); never in `totals`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderReport>,
    /// Provider spend against the logs per mapped identity and UTC day (with a provider on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Reconciliation>,
    /// `--entitlements`: tools allowed but unused, tools no policy names, idle keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlements: Option<Entitlements>,
    /// `--findings`: calls outside a policy, new tools, secrets and unattributed spend,
    /// oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
    /// Findings past the engine's caps, not listed (said on stderr).
    #[serde(skip)]
    pub findings_dropped: u64,
    /// The zone the tables write times in.
    #[serde(skip)]
    pub tz: TimeZone,
}

impl Report {
    /// Prints the report in `format`.
    /// `percentiles` adds the sizes per request to the table, Markdown and CSV forms (JSON
    /// always has them).
    pub fn write(
        &self,
        format: OutputFormat,
        percentiles: bool,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        match format {
            OutputFormat::Table => {
                table::write_table(self, percentiles, out)?;
                if let Some(e) = &self.entitlements {
                    entitlements::write_table(e, out)?;
                }
                if let Some(f) = &self.findings {
                    findings::write_table(f, &self.tz, out)?;
                }
            }
            OutputFormat::Markdown => {
                table::write_markdown(self, percentiles, out)?;
                providers_md::write(self, out)?;
                if let Some(e) = &self.entitlements {
                    entitlements::write_markdown(e, out)?;
                }
                if let Some(f) = &self.findings {
                    findings::write_markdown(f, &self.tz, out)?;
                }
            }
            // One header per CSV: with --entitlements or --findings, their rows instead of
            // the totals (the command line refuses both).
            OutputFormat::Csv => match (&self.entitlements, &self.findings) {
                (Some(e), _) => entitlements::write_csv(e, out)?,
                (None, Some(f)) => findings::write_csv(f, out)?,
                (None, None) => csv::write_csv(self, percentiles, out)?,
            },
            OutputFormat::Json => writeln!(
                out,
                "{}",
                crate::sanitize::json_safe(serde_json::to_string_pretty(self)?)
            )?,
        }
        Ok(())
    }
}

/// Reads every source once into a fresh engine with no config.
pub fn read_all(
    specs: Vec<SourceSpec>,
    prices: Arc<PriceTable>,
    tz: TimeZone,
    range: (Option<TimeMs>, Option<TimeMs>),
    now: TimeMs,
) -> (Engine, Vec<SourceHealth>) {
    let mut engine = Engine::new(prices, tz);
    let health = read_into(
        &mut engine,
        specs,
        None,
        &Origins::default(),
        range,
        now,
        now,
    );
    (engine, health)
}

/// Reads every source once into `engine`, keeping events in `[since, until)`, and moves
/// its clock to `at`; `scanner` scans every record for secrets; `origins` keeps the files
/// read, which events' origins name. Records are read at `now`, the wall clock: one stamped
/// more than a day ahead of it is rejected as `future_time`, while one after an earlier
/// `at` (`check --at`) is only outside the range.
pub fn read_into(
    engine: &mut Engine,
    specs: Vec<SourceSpec>,
    scanner: Option<Arc<Scanner>>,
    origins: &Origins,
    range: (Option<TimeMs>, Option<TimeMs>),
    now: TimeMs,
    at: TimeMs,
) -> Vec<SourceHealth> {
    // The clock first, as live: a record stamped ahead of it is clamped and counted.
    engine.advance(at);
    // Copies of a response read back to back are counted as one run (see CopyRuns).
    let mut runs = CopyRuns::default();
    let health = read_events(specs, scanner, origins.clone(), range, now, &mut |event| {
        runs.push(engine, event)
    });
    runs.flush(engine);
    engine.advance(at);
    engine.finish();
    health
}

/// Reads every source once at `now`, handing each event in `[since, until)` to `on_event`
/// in the order read, the files registered in `origins`; `scanner` scans every record for
/// secrets.
pub fn read_events(
    specs: Vec<SourceSpec>,
    scanner: Option<Arc<Scanner>>,
    origins: Origins,
    range: (Option<TimeMs>, Option<TimeMs>),
    now: TimeMs,
    mut on_event: impl FnMut(Event),
) -> Vec<SourceHealth> {
    let (since, until) = range;
    let mut ingest = |event: Event| {
        let after_start = since.is_none_or(|s| event.time >= s);
        let before_end = until.is_none_or(|u| event.time < u);
        if after_start && before_end {
            on_event(event);
        }
    };
    let streams: Vec<SourceSpec> = specs.iter().filter(|s| s.is_stream()).cloned().collect();
    let mut follower = Follower::new(specs, origins).scanning(scanner.clone());
    follower.rescan(now, &mut ingest);
    follower.poll(now, &mut ingest);
    follower.finish(now, &mut ingest);
    let mut health = follower.health();
    for spec in &streams {
        health.push(stdin::read_spec(
            spec,
            false,
            scanner.clone(),
            &|| now,
            |events, _| {
                events.into_iter().for_each(&mut ingest);
                true
            },
        ));
    }
    health
}

/// The budgets as printed: USD amounts (summed in floats by the engine) to the
/// micro-dollar, so JSON never shows `10.58909675000001`.
pub fn printable(mut budgets: Vec<BudgetState>) -> Vec<BudgetState> {
    for b in budgets.iter_mut().filter(|b| b.unit == BudgetUnit::Usd) {
        b.used = crate::format::micro_usd(b.used);
        b.limit = crate::format::micro_usd(b.limit);
        b.burn_per_hour = crate::format::micro_usd(b.burn_per_hour);
        b.projected = crate::format::micro_usd(b.projected);
    }
    budgets
}

/// Fails, saying why for each source, when not one file or byte could be read.
pub fn ensure_read(sources: &[SourceHealth]) -> anyhow::Result<()> {
    if sources.iter().all(|s| s.files == 0 && s.bytes == 0) {
        let reasons: Vec<String> = sources
            .iter()
            .map(|s| {
                s.last_error
                    .clone()
                    .unwrap_or_else(|| format!("{}: no .jsonl or .ndjson files found", s.path))
            })
            .collect();
        bail!("nothing could be read:\n  {}", reasons.join("\n  "));
    }
    Ok(())
}

/// Warns on `err` about every source that could not be read in full: the totals leave
/// out what it could not read.
pub fn warn_unread(sources: &[SourceHealth], err: &mut dyn Write) -> std::io::Result<()> {
    warn_errors(sources.iter().filter_map(|s| s.last_error.as_deref()), err)
}

/// Warns on `err` about every provider that could not be read in full.
pub fn warn_providers<'a>(
    providers: impl IntoIterator<Item = &'a ProviderHealth>,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    warn_errors(
        providers
            .into_iter()
            .filter_map(|h| h.last_error.as_deref()),
        err,
    )
}

/// Warns on `err` about each error: what it names was not read in full.
pub fn warn_errors<'a>(
    errors: impl Iterator<Item = &'a str>,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    for e in errors {
        let e = crate::sanitize::sanitize(e, 300);
        writeln!(err, "tokentop: warning: not everything could be read: {e}")?;
    }
    Ok(())
}

/// What `report` and `check` read: the logs and the providers' reports.
pub struct Reading<'a> {
    pub specs: Vec<SourceSpec>,
    /// Scans the logs' records for secrets (`None`: no scan).
    pub scanner: Option<Arc<Scanner>>,
    /// Log events in `[since, until)`.
    pub range: (Option<TimeMs>, Option<TimeMs>),
    /// The engine's clock once the logs are read.
    pub at: TimeMs,
    pub providers: &'a [ProviderSpec],
    /// What the providers are asked for (whole UTC days).
    pub provider_range: (TimeMs, TimeMs),
    pub config: &'a Config,
    pub prices: &'a PriceTable,
}

/// What came of a [`Reading`]: the logs' health, each provider's answer, and, when any
/// provider answered, the two reconciled per identity and UTC day.
pub struct Read {
    pub sources: Vec<SourceHealth>,
    /// The files read, by the ids events' origins hold.
    pub origins: Origins,
    pub fetched: Vec<Fetched>,
    pub reconciliation: Option<Reconciliation>,
}

/// Reads the logs into `engine`, then the providers at `now`, and reconciles them. With no
/// provider, nothing read is an error; with one, no logs at all still make a report.
pub fn read_with_providers(
    engine: &mut Engine,
    reading: Reading,
    now: TimeMs,
) -> anyhow::Result<Read> {
    let Reading {
        specs,
        scanner,
        range,
        at,
        providers,
        provider_range,
        config,
        prices,
    } = reading;
    if !providers.is_empty() {
        engine.keep_utc_days();
    }
    let origins = Origins::default();
    let sources = read_into(engine, specs, scanner, &origins, range, now, at);
    if providers.is_empty() {
        ensure_read(&sources)?;
    }
    let fetched = fetch_blocking(providers, provider_range, now);
    // Budgets on the providers' ledger count what was fetched; without one, the engine
    // need not hold it (the report reconciles below, on its own).
    let provider_budgets = config
        .budgets
        .iter()
        .any(|b| b.ledger == BudgetLedger::Provider);
    if provider_budgets && !fetched.is_empty() {
        for (f, family) in fetched
            .iter()
            .flat_map(|f| [(f, Family::Usage), (f, Family::Cost)])
        {
            let of_family = f.buckets.iter().filter(|b| family.covers(b.report));
            engine.apply_provider(ProviderUpdate {
                provider: f.provider,
                family,
                width: Width::Day,
                range: provider_range,
                fetched_at: now,
                buckets: of_family.cloned().collect(),
            });
        }
        engine.advance(at);
    }
    let reconciliation = (!fetched.is_empty()).then(|| {
        let buckets: Vec<_> = fetched.iter().flat_map(|f| &f.buckets).collect();
        reconcile(Inputs {
            buckets: &buckets,
            logged: engine.utc_days(),
            rules: &config.identities,
            prices,
            settings: &config.reconcile,
            window: provider_range,
            now,
            pending: false,
        })
    });
    Ok(Read {
        sources,
        origins,
        fetched,
        reconciliation,
    })
}

/// Reads the request's sources at `now` into an engine with its config, and totals them.
pub fn build(request: ReportRequest, now: TimeMs) -> anyhow::Result<Report> {
    let ReportRequest {
        specs,
        config,
        tz,
        prices,
        range,
        by,
        filter,
        providers,
        provider_range,
        entitlements,
        findings,
    } = request;
    let (since, until) = range;
    let names = |patterns: &[Pattern]| patterns.iter().map(|p| p.as_str().to_string()).collect();
    let (identities, models) = (names(&filter.identities), names(&filter.models));
    let unfiltered = filter.identities.is_empty() && filter.models.is_empty();
    let identity_filter = filter.identities.clone();
    let mut engine = Engine::with_config(prices.clone(), tz.clone(), &config);
    engine.keep_tally(Tally::new(by.0.clone(), filter, tz.clone()));
    engine.keep_whole_range();
    engine.skip_recent();
    // Only a report of findings scans, under a key of its own.
    let scanner = if findings {
        engine.keep_findings();
        crate::state::scanner_for_run(&config.secrets)
            .context("a key to fingerprint secrets with")?
    } else {
        None
    };
    let Read {
        sources,
        origins,
        fetched,
        reconciliation,
    } = read_with_providers(
        &mut engine,
        Reading {
            specs,
            scanner,
            range,
            at: now,
            providers: &providers,
            provider_range,
            config: &config,
            prices: &prices,
        },
        now,
    )?;
    let entitlements = entitlements.then(|| {
        let keys = KeyInputs {
            providers: &providers,
            fetched: &fetched,
            provider_range,
            mapping: &Mapping::new(config.identities.clone()),
        };
        self::entitlements::review(&engine, &identity_filter, keys, now)
    });
    let keep =
        |name: &str| identity_filter.is_empty() || identity_filter.iter().any(|p| p.matches(name));
    let findings = findings
        .then(|| self::findings::collect(&engine, &origins, reconciliation.as_ref(), &keep));
    let providers = fetched
        .into_iter()
        .map(|f| provider_report(f, &prices))
        .collect();
    let snapshot = engine.snapshot(None);
    let tally = engine.tally().context("the report's tally")?;
    let mut totals = ReportRow::new(Keys::default(), &tally.total(), None);
    let mut rows = rows::rows(tally, &snapshot);
    if unfiltered {
        sizes::attach(&mut rows, &mut totals, &snapshot);
    }
    if let (Some(found), [Dimension::Identity]) = (&findings, by.0.as_slice()) {
        self::findings::attach(&mut rows, found);
    }
    Ok(Report {
        time_zone: snapshot.time_zone.clone(),
        since: since.map(crate::timefmt::format_rfc3339_ms),
        until: until.map(crate::timefmt::format_rfc3339_ms),
        identities,
        models,
        totals,
        rows,
        by,
        budgets: printable(snapshot.budgets),
        sources,
        ingest: snapshot.ingest,
        providers,
        reconciliation,
        entitlements,
        findings_dropped: if findings.is_some() {
            engine.findings_dropped()
        } else {
            0
        },
        findings,
        tz,
    })
}
