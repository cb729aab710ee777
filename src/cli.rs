//! Command-line interface (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};

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

    /// Log files, folders or globs to read and follow (e.g. ~/.claude/projects)
    pub paths: Vec<String>,

    /// Replay the bundled sample data as a live stream (no setup, no network)
    #[arg(long)]
    pub demo: bool,

    /// Time zone for "today" (IANA name such as Europe/Berlin) [default: UTC]
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// How often files are checked when no filesystem event arrives, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub poll_ms: u64,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print totals over everything read (or a time range) and exit
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Log files, folders or globs to read
    #[arg(required = true)]
    pub paths: Vec<String>,

    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,

    /// Only events at or after T (RFC 3339, YYYY-MM-DD, YYYYMMDD, or an age such as 2h, 7d)
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Only events before T (same forms; a bare date includes that whole day)
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// One row per identity, model or day
    #[arg(long, value_enum, default_value_t = GroupBy::Identity)]
    pub by: GroupBy,

    /// Time zone for days and bare dates (IANA name such as Europe/Berlin) [default: UTC]
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Identity,
    Model,
    Day,
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
