//! Command-line interface (clap derive).

use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::engine::tally::Dimension;
use crate::pricing::PriceTable;
use crate::report::OutputFormat;
use crate::source::discover::{SourceSpec, default_specs};
use crate::usage::OrUsage;

#[derive(Debug, Parser)]
#[command(
    name = "tokentop",
    version,
    about = "Live terminal monitor for AI token spend and risk per identity",
    long_about = "Live terminal monitor for AI token spend and risk per identity.\n\n\
        Give it JSONL usage logs (files, folders or globs, e.g. ~/.claude/projects): it reads \
        what is there, then follows new lines as they are written.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Log files, folders, globs or agent databases (`.db`) to read and follow, `-` for stdin
    /// [default: the Claude Code and Codex log folders and the OpenCode and Goose databases
    /// that exist]
    pub paths: Vec<String>,

    /// Replay the bundled sample data as a live stream (no setup, no network)
    #[arg(long)]
    pub demo: bool,

    #[command(flatten)]
    pub run: RunArgs,

    /// Ring the terminal bell when a critical alert starts
    #[arg(long)]
    pub bell: bool,

    /// Colours: a built-in theme (default, light, high-contrast, colorblind) or a TOML
    /// theme file; NO_COLOR in the environment turns colour off whatever the theme
    #[arg(long, value_name = "NAME|FILE")]
    pub theme: Option<String>,

    /// The totals column's first range: the smallest of today, 7 days, 30 days or all
    /// loaded that reaches back to T (same forms as report's --since; `t` cycles the
    /// ranges). Everything is still read: budgets and bursts need the history
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// The folder `E` writes incident reports into (created if missing)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub incident_dir: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print totals over everything read (or a time range) and exit
    Report(ReportArgs),
    /// Check the config's budgets, policies and the logs' secrets and exit 0 (all ok), 3 (a
    /// warning), 4 (a budget over, or provider spend no log explains over [reconcile]
    /// unattributed_usd) or 5 (a call outside a [[policy]] or an exposed secret)
    Check(CheckArgs),
    /// Run headless: follow the same sources, keep the same alert outputs, and serve
    /// Prometheus metrics on /metrics and source health on /healthz
    Serve(ServeArgs),
    /// Write one identity's incident report over a window (Markdown and JSON): spend
    /// against its usual rate, a per-minute timeline, alerts, tools, models, budgets, the
    /// costliest requests with their file and line, secrets found, sources read
    Incident(IncidentArgs),
    /// Play logs back in the monitor, driven by event time: every view as it looked at the
    /// cursor, alerts included. Space or p play/pause, +/- speed, ←/→ a minute, [/] the
    /// previous/next alert, : a time to go to. Runs no --on-alert, bell, alerts file or store
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Log files, folders, globs or agent databases (`.db`) to read, `-` for stdin
    /// [default: the Claude Code and Codex log folders and the OpenCode and Goose databases
    /// that exist]
    pub paths: Vec<String>,

    /// Where the cursor starts (same forms as report's --since) [default: the first event];
    /// the 7 days before it are read too, for the alerts' warm-up
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Leave out events at or after T (same forms; a bare date includes that whole day)
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// Seconds of history played per second at start, 1 to 3600 (+/- step through 1, 10,
    /// 60, 600, 3600)
    #[arg(long, value_name = "N", default_value_t = 60,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub speed: u32,

    /// Colours: a built-in theme (default, light, high-contrast, colorblind) or a TOML
    /// theme file; NO_COLOR in the environment turns colour off whatever the theme
    #[arg(long, value_name = "NAME|FILE")]
    pub theme: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct IncidentArgs {
    /// Log files, folders, globs or agent databases (`.db`) to read, `-` for stdin
    /// [default: the Claude Code and Codex log folders and the OpenCode and Goose databases
    /// that exist]
    pub paths: Vec<String>,

    /// The identity, by its report key: the name `report --by identity` shows, or the raw
    /// one in the logs (a leading dash is fine: --identity -mnt-c-app)
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub identity: String,

    /// The window's start (same forms as report's --since); the 7 days before it are read
    /// too, for the identity's usual rate and the alerts' warm-up
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// The window's end, not included (same forms; a bare date includes that whole day)
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// The folder to write incident-<identity>-<start>.md and .json into (created if missing)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: std::path::PathBuf,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Log files, folders, globs or agent databases (`.db`) to read and follow, `-` for stdin
    /// [default: the Claude Code and Codex log folders and the OpenCode and Goose databases
    /// that exist]
    pub paths: Vec<String>,

    /// Where to serve /metrics and /healthz (port 0: a free one, printed at start). An
    /// address other than loopback needs --listen-allow-remote and --listen-token-env:
    /// the metrics' labels carry user emails
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: std::net::SocketAddr,

    /// Allow --listen on an address other than loopback (then --listen-token-env is needed)
    #[arg(long)]
    pub listen_allow_remote: bool,

    /// The environment variable that holds the bearer token scrapers must send
    /// (Authorization: Bearer TOKEN); needed with --listen-allow-remote, and checked on
    /// loopback too when given
    #[arg(long, value_name = "NAME")]
    pub listen_token_env: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Log files, folders, globs or agent databases (`.db`) to read, `-` for stdin
    /// [default: the Claude Code and Codex log folders and the OpenCode and Goose databases
    /// that exist]
    pub paths: Vec<String>,

    /// How to print it: an aligned table, JSON, CSV (for spreadsheets) or a Markdown table
    /// (for a ticket)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// The same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Only events at or after T (RFC 3339, YYYY-MM-DD, YYYYMMDD, or an age such as 2h, 7d)
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Only events before T (same forms; a bare date includes that whole day)
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// One row per identity, model, day, week (from Monday), month, hour, minute, session, project,
    /// team, tool or mcp-server; several combine: --by day,identity. Rows by tool or MCP
    /// server overlap (a response counts under every tool it called)
    #[arg(long, value_name = "DIM[,DIM...]", value_delimiter = ',', value_parser = dimension, default_value = "identity")]
    pub by: Vec<Dimension>,

    /// Only identities matching NAME (exact, or a glob with * and ?); repeat for several.
    /// Matches the name rows show and the raw one in the logs
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub identity: Vec<String>,

    /// Only models matching NAME (exact, or a glob with * and ?); repeat for several
    #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
    pub model: Vec<String>,

    /// Add p50, p90, p99 and max per request (input, output, tool calls, latency) to the
    /// table, over the report's range (rows by identity; --json always has them)
    #[arg(long)]
    pub percentiles: bool,

    /// Review entitlements: per identity, the tools its [[policy]] allows that it did not
    /// call in the range and the tools it called that no policy names; with a provider on,
    /// the API keys that billed nothing in the range (CSV: these rows only)
    #[arg(long)]
    pub entitlements: bool,

    /// List findings beside the spend: calls outside a [[policy]], tools new to an
    /// identity, secrets in the records read (by type and place, never the value) and,
    /// with a provider on, spend no log explains (CSV: these rows only)
    #[arg(long)]
    pub findings: bool,

    #[command(flatten)]
    pub providers: ProviderArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Log files, folders, globs or agent databases (`.db`) to read, `-` for stdin
    /// [default: the Claude Code and Codex log folders and the OpenCode and Goose databases
    /// that exist]
    pub paths: Vec<String>,

    /// Print every budget as JSON instead of the lines of those not ok
    #[arg(long)]
    pub json: bool,

    /// Check as of T instead of now, leaving out later events (same forms as report's --since)
    #[arg(long, value_name = "T")]
    pub at: Option<String>,

    /// Findings (calls outside a [[policy]], exposed secrets) count from T: exit 5 when one
    /// falls between T and --at [default: 24 hours before --at]
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Exit by the budgets even when a file or folder could not be read (without it, exit 1)
    #[arg(long)]
    pub allow_partial: bool,

    #[command(flatten)]
    pub providers: ProviderArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// What the long-running modes (the monitor and `serve`) share: the state store, the
/// providers, the OTLP receiver, the common options, how files are watched, and where
/// alerts go besides the screen.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Keep nothing between runs: provider buckets are fetched again at start (--demo
    /// implies it) [default: kept in $XDG_STATE_HOME/tokentop/state.db or
    /// ~/.local/state/tokentop/state.db]
    #[arg(long)]
    pub no_state: bool,

    #[command(flatten)]
    pub providers: ProviderArgs,

    #[command(flatten)]
    pub otlp: OtlpArgs,

    #[command(flatten)]
    pub common: CommonArgs,

    /// How often files are checked when no filesystem event arrives, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub poll_ms: u64,

    /// Find changes by polling every --poll-ms only, without filesystem events: for
    /// filesystems without inotify, e.g. network mounts
    #[arg(long)]
    pub poll_only: bool,

    /// Append every alert, as it starts and as it ends, to FILE as a JSON line
    #[arg(long, value_name = "FILE")]
    pub alerts_file: Option<std::path::PathBuf>,

    /// Run CMD (with sh -c) for every new alert, the alert as JSON on its stdin; killed
    /// after 10 s, failures shown with the sources (serve: on /healthz)
    #[arg(long, value_name = "CMD")]
    pub on_alert: Option<String>,
}

/// Provider usage and cost APIs, read beside the logs as a ledger of their own.
#[derive(Debug, Default, Args)]
pub struct ProviderArgs {
    /// Also read OpenAI's organization usage and costs (admin key in OPENAI_ADMIN_KEY): the
    /// monitor polls them live; report and check read --since/--until in day buckets
    /// [default range: this UTC month]
    #[arg(long)]
    pub openai: bool,

    /// Also read Anthropic's usage and cost reports (admin key in ANTHROPIC_ADMIN_KEY or
    /// ANTHROPIC_ADMIN_API_KEY), as --openai does
    #[arg(long)]
    pub anthropic: bool,

    /// OpenAI's API base URL, for proxies and tests [default: https://api.openai.com/v1]
    #[arg(long, value_name = "URL")]
    pub openai_url: Option<String>,

    /// Anthropic's API base URL [default: https://api.anthropic.com]
    #[arg(long, value_name = "URL")]
    pub anthropic_url: Option<String>,
}

/// The OTLP receiver's flags: the monitor's, and any mode that runs live sources.
#[derive(Debug, Default, Args)]
pub struct OtlpArgs {
    /// Receive OpenTelemetry from Claude Code, Codex and GenAI-instrumented services
    /// (OTLP/HTTP: POST /v1/logs, /v1/traces, /v1/metrics; protobuf or JSON) on ADDR
    /// [default when bare: 127.0.0.1:4318]. ADDR only with `=` (--otlp=0.0.0.0:4318), so
    /// `--otlp logs/` still reads logs/. An address other than loopback needs
    /// --otlp-allow-remote and --otlp-token-env: the records carry user emails
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = crate::source::otlp::DEFAULT_ADDR
    )]
    pub otlp: Option<String>,

    /// Let --otlp listen on an address other than loopback (needs --otlp-token-env)
    #[arg(long, requires = "otlp")]
    pub otlp_allow_remote: bool,

    /// Require `Authorization: Bearer <token>` on OTLP requests, the token read from the
    /// environment variable NAME (required with --otlp-allow-remote)
    #[arg(long, value_name = "NAME", requires = "otlp")]
    pub otlp_token_env: Option<String>,
}

impl OtlpArgs {
    /// The receiver the flags ask for, bound (`None` without --otlp): a bad address or a
    /// remote address against the rule is a usage error; a port in use, an error.
    pub fn bind(
        &self,
        settings: &crate::config::OtlpSettings,
    ) -> anyhow::Result<Option<crate::source::otlp::Receiver>> {
        use crate::access::{OTLP, token_for};
        use crate::source::otlp::Receiver;
        let Some(addr) = &self.otlp else {
            return Ok(None);
        };
        let addr: std::net::SocketAddr = addr.parse().map_err(|_| {
            crate::usage::usage_error(format!(
                "--otlp={addr} is not an address: give IP:PORT, e.g. --otlp=127.0.0.1:4318"
            ))
        })?;
        let token = token_for(
            &OTLP,
            addr,
            self.otlp_allow_remote,
            self.otlp_token_env.as_deref(),
            |name| std::env::var(name).ok(),
        )
        .or_usage()?;
        Ok(Some(Receiver::bind(addr, token, settings.clone())?))
    }
}

/// Options every mode takes.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Time zone for "today", days, bare dates and calendar budgets (IANA name such as
    /// Europe/Berlin) [default: the config's time_zone, else UTC]
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// A LiteLLM-format price map (JSON) whose entries override the built-in table
    #[arg(long, value_name = "FILE")]
    pub pricing: Option<std::path::PathBuf>,

    /// Identity names, teams and budgets (TOML) [default: $XDG_CONFIG_HOME/tokentop/config.toml
    /// or ~/.config/tokentop/config.toml, when it exists]
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

impl CommonArgs {
    /// `--config`, else the default file when it exists, else an empty config.
    pub fn config(&self) -> anyhow::Result<Config> {
        Config::resolve(self.config.as_deref()).or_usage()
    }

    /// `--tz`, else the config's `time_zone`, else UTC.
    pub fn time_zone(&self, config: &Config) -> anyhow::Result<jiff::tz::TimeZone> {
        match (&self.tz, &config.time_zone) {
            (None, Some(tz)) => Ok(tz.clone()),
            (name, _) => time_zone(name.as_deref()).or_usage(),
        }
    }

    /// The built-in price table, with `--pricing` laid over it and the config's `[prices]`
    /// naming entries. A file that cannot be read or names no entry is a usage error.
    pub fn prices(&self, config: &Config) -> anyhow::Result<std::sync::Arc<PriceTable>> {
        self.read_prices(config).or_usage()
    }

    fn read_prices(&self, config: &Config) -> anyhow::Result<std::sync::Arc<PriceTable>> {
        let mut table = PriceTable::builtin().clone();
        if let Some(path) = &self.pricing {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("--pricing {}: {e}", path.display()))?;
            let overrides = PriceTable::from_litellm_json(&text).map_err(|e| {
                anyhow::anyhow!("--pricing {}: {e}; expected LiteLLM's model_prices_and_context_window.json format", path.display())
            })?;
            table.overlay(overrides);
        }
        for name in &config.prices {
            table.name_entry(&name.model, &name.entry).map_err(|e| {
                let path = config
                    .path
                    .as_deref()
                    .unwrap_or(std::path::Path::new("config"));
                anyhow::anyhow!("{}:{}: [prices] {e}", path.display(), name.line)
            })?;
        }
        Ok(std::sync::Arc::new(table))
    }
}

/// A `--by` dimension by its name.
fn dimension(name: &str) -> Result<Dimension, String> {
    Dimension::ALL
        .into_iter()
        .find(|d| d.flag() == name || d.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Dimension::ALL.iter().map(|d| d.flag()).collect();
            format!("{name:?} is not one of {}", names.join(", "))
        })
}

/// The sources to read: the paths given, else the default log folders that exist.
pub fn source_specs(paths: &[String]) -> anyhow::Result<Vec<SourceSpec>> {
    if paths.is_empty() {
        return default_specs().map_err(anyhow::Error::msg);
    }
    Ok(paths.iter().map(|p| SourceSpec::parse(p)).collect())
}

/// Resolves `--tz` (UTC when absent) with a message that says what to type instead.
pub fn time_zone(name: Option<&str>) -> anyhow::Result<jiff::tz::TimeZone> {
    match name {
        None => Ok(jiff::tz::TimeZone::UTC),
        Some(name) => jiff::tz::TimeZone::get(name).map_err(|e| {
            anyhow::anyhow!(
                "unknown time zone {name:?} ({e}); use an IANA name such as UTC, Europe/Berlin or America/New_York"
            )
        }),
    }
}
