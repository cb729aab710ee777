use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;
use tokentop::alert_out::{AlertOut, AlertSinks};
use tokentop::cli::{
    CheckArgs, Cli, Command, IncidentArgs, ReplayArgs, ReportArgs, RunArgs, ServeArgs,
};
use tokentop::live::{self, Input, LiveOptions};
use tokentop::sanitize::json_safe;
use tokentop::source::discover::SourceSpec;
use tokentop::source::follow::FollowOptions;
use tokentop::theme::Theme;
use tokentop::usage::usage_error;
use tokentop::{check, report, request};

/// Events are built on reader threads and dropped on the engine's: mimalloc handles that
/// (and the many small allocations of parsing) far faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// On quit, work still running on the blocking pool gets this long before the process ends.
const QUIT_GRACE: Duration = Duration::from_millis(200);

/// No transparent huge pages for this process: the allocator asks for them, and each one
/// is a 2 MiB block zeroed and counted whole at the first byte touched. A 200k-response
/// report held 85 MiB with them and 75 MiB without, for the same CPU (docs/benchmarks.md).
/// Where the kernel refuses, the process runs as before.
fn small_pages() {
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

fn main() -> ExitCode {
    small_pages();
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Report(args)) => run_report(args).map(|()| 0),
        Some(Command::Check(args)) => run_check(args),
        Some(Command::Serve(args)) => run_serve(args).map(|()| 0),
        Some(Command::Incident(args)) => run_incident(args).map(|()| 0),
        Some(Command::Replay(args)) => run_replay(args).map(|()| 0),
        None => run_live(&cli).map(|()| 0),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tokentop: {}", tokentop::redact::tag(&format!("{e:#}")));
            ExitCode::from(tokentop::usage::exit_code(&e))
        }
    }
}

/// Exit code 0, 3 or 4 by the worst budget (1 when a source could not be read in full
/// without `--allow-partial`, 2 for usage and config errors).
fn run_check(args: &CheckArgs) -> anyhow::Result<u8> {
    let now = live::wall_clock();
    let report = check::run(request::check(args, now)?, now)?;
    report::warn_unread(&report.sources, &mut std::io::stderr().lock())?;
    report::warn_providers(
        report.providers.iter().map(|p| &p.health),
        &mut std::io::stderr().lock(),
    )?;
    check::write_warnings(&report, &mut std::io::stderr().lock())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", json_safe(serde_json::to_string_pretty(&report)?))?;
    } else {
        check::write_lines(&report, &mut out)?;
    }
    Ok(report.exit_code)
}

/// Writes the two files and says where, on stdout.
fn run_incident(args: &IncidentArgs) -> anyhow::Result<()> {
    let now = live::wall_clock();
    let incident = tokentop::incident::build(request::incident(args, now)?, now)?;
    let sources: Vec<_> = incident
        .sources
        .iter()
        .filter_map(|s| s.error.as_deref())
        .collect();
    report::warn_errors(sources.into_iter(), &mut std::io::stderr().lock())?;
    let (md, json) = tokentop::incident::write_files(&incident, &args.out)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "wrote {}", md.display())?;
    writeln!(out, "wrote {}", json.display())?;
    Ok(())
}

/// Reads the history, then plays it in the monitor's screens.
fn run_replay(args: &ReplayArgs) -> anyhow::Result<()> {
    let now = live::wall_clock();
    let request = request::replay(args, now)?;
    let theme = Theme::load(args.theme.as_deref(), no_color()).map_err(anyhow::Error::msg)?;
    need_terminal()?;
    let history = tokentop::replay::read(&request, now);
    report::ensure_read(&history.sources)?;
    let mut engine = tokentop::engine::Engine::with_config(
        request.prices.clone(),
        request.tz.clone(),
        &request.config,
    );
    engine.set_home(std::env::var("HOME").ok());
    let replay = tokentop::replay::start(&history, engine, request.range, request.speed)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "nothing to replay: no record with a time of its own in the logs read{}; \
                 check the paths (and --since/--until) with `tokentop report`",
                if request.range == (None, None) {
                    ""
                } else {
                    " in that range"
                }
            )
        })?;
    let options = tokentop::replay::ReplayOptions {
        replay,
        title: format!("replay {}", args.paths.join(" ")),
        sources: history.sources,
        origins: history.origins,
        theme,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let mut terminal = take_terminal()?;
    let result = runtime.block_on(tokentop::replay::run(&mut terminal, options));
    restore_terminal();
    runtime.shutdown_timeout(QUIT_GRACE);
    result
}

fn run_report(args: &ReportArgs) -> anyhow::Result<()> {
    let now = live::wall_clock();
    let report = report::build(request::report(args, now)?, now)?;
    report::warn_unread(&report.sources, &mut std::io::stderr().lock())?;
    report::warn_providers(
        report.providers.iter().map(|p| &p.health),
        &mut std::io::stderr().lock(),
    )?;
    let format = if args.json {
        report::OutputFormat::Json
    } else {
        args.format
    };
    if let Some(e) = &report.entitlements {
        report::warn_errors(
            e.key_errors.iter().map(String::as_str),
            &mut std::io::stderr().lock(),
        )?;
    }
    if report.findings_dropped > 0 {
        eprintln!(
            "tokentop: warning: {} findings past what one run keeps are not listed; narrow --since/--until or --identity",
            report.findings_dropped
        );
    }
    if format == report::OutputFormat::Csv && report.entitlements.is_some() {
        eprintln!(
            "tokentop: with --entitlements the CSV holds the entitlement rows only; the totals are in --json, --format markdown and the table"
        );
    } else if format == report::OutputFormat::Csv && report.findings.is_some() {
        eprintln!(
            "tokentop: with --findings the CSV holds the finding rows only; the totals are in --json, --format markdown and the table"
        );
    } else if format == report::OutputFormat::Csv && !report.providers.is_empty() {
        eprintln!(
            "tokentop: the CSV holds the log rows only; the providers' ledger and the reconciliation are in --json, --format markdown and the table"
        );
    }
    report.write(format, args.percentiles, &mut std::io::stdout().lock())
}

/// The sources the monitor and `serve` read, from the arguments they share and the paths
/// given (`demo`: the monitor's `--demo`). The OTLP receiver is bound here, before any
/// terminal is taken, so that a port in use or a refused address fails cleanly.
fn sources(
    run: &RunArgs,
    paths: &[String],
    config: &tokentop::config::Config,
    demo: bool,
) -> anyhow::Result<live::Sources> {
    let providers = request::providers(&run.providers, config)?;
    // The demo polls its own built-in provider and keeps nothing between runs.
    let (mut state, mut state_warning) = tokentop::state::open_for_monitor(run.no_state, demo);
    let (scanner, key_warning) =
        tokentop::state::scanner_for_monitor(&config.secrets, state.as_mut());
    state_warning = state_warning.or(key_warning);
    let otlp = run
        .otlp
        .bind(&config.otlp)?
        .map(|receiver| receiver.scanning(scanner.clone()));

    let input = if demo {
        Input::Demo
    } else {
        let other_sources = !providers.is_empty() || otlp.is_some();
        Input::Paths(request::log_specs_beside(paths, other_sources)?)
    };
    Ok(live::Sources {
        input,
        follow: FollowOptions {
            poll_every: Duration::from_millis(run.poll_ms.max(10)),
            watch: !run.poll_only,
        },
        providers,
        state,
        state_warning,
        otlp,
        scanner,
    })
}

/// Where alerts go besides the screen: started before the terminal is taken over, so
/// that a bad path fails cleanly.
fn alert_sinks(run: &RunArgs) -> anyhow::Result<AlertOut> {
    Ok(AlertOut::start(AlertSinks {
        file: run.alerts_file.clone(),
        command: run.on_alert.clone(),
    })?)
}

fn run_serve(args: &ServeArgs) -> anyhow::Result<()> {
    let token = tokentop::access::token_for(
        &tokentop::access::SERVE,
        args.listen,
        args.listen_allow_remote,
        args.listen_token_env.as_deref(),
        |name| std::env::var(name).ok(),
    )
    .map_err(usage_error)?;
    let config = args.run.common.config()?;
    let options = tokentop::serve::ServeOptions {
        sources: sources(&args.run, &args.paths, &config, false)?,
        listen: args.listen,
        token,
        prices: args.run.common.prices(&config)?,
        tz: args.run.common.time_zone(&config)?,
        sinks: alert_sinks(&args.run)?,
        config,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(tokentop::serve::run(options));
    runtime.shutdown_timeout(QUIT_GRACE);
    result
}

/// The monitor's title: its inputs by name.
fn title(sources: &live::Sources) -> String {
    let mut names: Vec<String> = match &sources.input {
        Input::Demo => vec!["demo".to_string()],
        Input::Paths(specs) => specs.iter().map(SourceSpec::label).collect(),
    };
    names.extend(
        sources
            .providers
            .iter()
            .map(|p| p.provider.name().to_string()),
    );
    names.extend(sources.otlp.iter().map(|r| r.name().to_string()));
    names.join(" ")
}

fn run_live(cli: &Cli) -> anyhow::Result<()> {
    // The demo brings its own identity names and budgets, unless a config is given.
    let config = match (cli.demo, &cli.run.common.config) {
        (true, None) => tokentop::demo::config()?,
        _ => cli.run.common.config()?,
    };
    let sources = sources(&cli.run, &cli.paths, &config, cli.demo)?;
    let prices = cli.run.common.prices(&config)?;
    let tz = cli.run.common.time_zone(&config)?;
    let range = tokentop::request::monitor_range(cli.since.as_deref(), &tz, live::wall_clock())?;
    let options = LiveOptions {
        title: title(&sources),
        sources,
        range,
        tz,
        config,
        prices,
        sinks: alert_sinks(&cli.run)?,
        bell: cli.bell,
        theme: Theme::load(cli.theme.as_deref(), no_color()).map_err(anyhow::Error::msg)?,
        incident_dir: cli.incident_dir.clone(),
    };
    need_terminal()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let mut terminal = take_terminal()?;
    // Quitting, an error, SIGINT and SIGTERM all return here; a panic has its hook.
    let result = runtime.block_on(live::run(&mut terminal, options));
    restore_terminal();
    // A record still being read (a hung network mount) must not keep the process alive.
    runtime.shutdown_timeout(QUIT_GRACE);
    result
}

/// The monitor draws on stdout and reads keys from the controlling terminal (stdin may be
/// a pipe of log lines): without them, say what to run instead rather than the bare OS
/// error that taking the terminal gives. A usage error: exit 2.
fn need_terminal() -> anyhow::Result<()> {
    let why = if !std::io::stdout().is_terminal() {
        "standard output is not a terminal".to_string()
    } else {
        match controlling_terminal() {
            Ok(()) => return Ok(()),
            Err(e) => format!("/dev/tty cannot be opened ({e})"),
        }
    };
    Err(usage_error(format!(
        "the monitor needs a terminal, and {why}. `tokentop report [PATHS]` is the headless \
         way to read the same logs (`--json` for scripts; `tokentop check` for budgets)"
    )))
}

#[cfg(unix)]
fn controlling_terminal() -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map(drop)
}

#[cfg(not(unix))]
fn controlling_terminal() -> std::io::Result<()> {
    Ok(())
}

/// Raw mode, the alternate screen and mouse capture, each given back by a panic before
/// its message is printed (and the process then ends).
fn take_terminal() -> anyhow::Result<DefaultTerminal> {
    // ratatui's hook gives back raw mode and the screen; this one, run before it, the mouse.
    let terminal = ratatui::try_init()?;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        release_mouse();
        hook(info);
        // The terminal is given back: a panic on any thread (a reader, the blocking pool)
        // ends the monitor rather than leave it drawing on a screen it no longer holds.
        std::process::exit(101);
    }));
    if let Err(e) = execute!(std::io::stdout(), EnableMouseCapture) {
        restore_terminal();
        return Err(e.into());
    }
    Ok(terminal)
}

fn restore_terminal() {
    release_mouse();
    ratatui::restore();
}

/// Best effort, as when ratatui restores the rest: the process is ending either way.
fn release_mouse() {
    if let Err(e) = execute!(std::io::stdout(), DisableMouseCapture) {
        eprintln!("tokentop: could not turn mouse capture off: {e}");
    }
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, as no-color.org says).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    /// What the report's memory figure rests on: after `small_pages` the kernel gives this
    /// process no transparent huge pages.
    #[test]
    fn the_process_asks_for_small_pages() {
        super::small_pages();
        assert_eq!(
            rustix::thread::transparent_huge_pages_are_disabled().ok(),
            Some(true)
        );
    }
}
