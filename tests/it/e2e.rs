//! End to end: the built binary in a real terminal. `tokentop --demo` runs in a detached
//! 120x40 tmux session on a server of its own; keys go in with `send-keys`, and each step
//! waits until `capture-pane` shows what it expects. The checks name identities and the
//! status line's screen label, never table layouts, so that views can change under them.
//! tmux is required: without it the test fails, it never skips.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// The demo's identities (`sample-data/demo/`, with the names `config.toml` gives them;
/// the Claude Code projects by their paths, `~` for the home the script gives tokentop).
const DEMO_IDENTITIES: [&str; 12] = [
    "svc-support-bot",
    "batch-nightly-summarizer",
    "~/dev/payments-api",
    "agent-triage",
    "~/dev/infra-terraform",
    "svc-search-rag",
    "key_partner_acme",
    "web (prod)",
    "agent-loop-runner",
    "svc-checkout",
    "mobile (ios)",
    "svc-labs-experimental",
];
/// Those of kind `agent`.
const DEMO_AGENTS: [&str; 4] = [
    "~/dev/payments-api",
    "agent-triage",
    "~/dev/infra-terraform",
    "agent-loop-runner",
];

/// What the shell prints once tokentop has ended.
const EXITED: &str = "tokentop exited ";
/// The shell around tokentop: one line with the exit code and whether the terminal was
/// left in raw mode, then a pause that keeps the pane (and what it shows) alive until the
/// server is killed.
const SCRIPT: &str = r#"HOME=/home "$TOKENTOP_BIN" --demo
code=$?
if stty -a | grep -q -e -icanon; then tty=raw; else tty=cooked; fi
echo "tokentop exited $code, tty $tty"
sleep 600"#;

/// A hang guard for each step, not a timing assertion: a step normally takes well under
/// a second, but the machine may be busy.
const STEP_LIMIT: Duration = Duration::from_secs(60);
const POLL_EVERY: Duration = Duration::from_millis(100);
const SESSION: &str = "e2e";

/// A tmux server on a private socket, killed when dropped, even when a step fails.
struct Tmux {
    socket: String,
    /// Where tmux put the socket: removed with the server, which leaves it behind.
    socket_path: Option<String>,
}

impl Tmux {
    /// Starts `tokentop --demo` in a detached 120x40 session.
    fn start() -> Tmux {
        Tmux::start_script("demo", SCRIPT)
    }

    /// Runs `script` (with `$TOKENTOP_BIN` set) in a detached 120x40 session on a server
    /// named after `name`.
    fn start_script(name: &str, script: &str) -> Tmux {
        match Command::new("tmux").arg("-V").output() {
            Ok(out) if out.status.success() => {}
            _ => panic!(
                "tmux is required for the end-to-end test: install it (apt-get install tmux)"
            ),
        }
        let mut tmux = Tmux {
            socket: format!("tokentop-e2e-{name}-{}", std::process::id()),
            socket_path: None,
        };
        // `-f /dev/null`: none of the user's tmux configuration. The command is given as
        // separate arguments, so tmux runs it without another shell's quoting.
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            SESSION,
            "env",
            "-u",
            "NO_COLOR",
            "TERM=tmux-256color",
            &format!("TOKENTOP_BIN={}", env!("CARGO_BIN_EXE_tokentop")),
            "sh",
            "-c",
            script,
        ]);
        tmux.socket_path = Some(tmux.display("#{socket_path}"));
        assert_eq!(tmux.display("#{pane_width}x#{pane_height}"), "120x40");
        tmux
    }

    /// Runs a tmux command on this server; a failing command fails the test.
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            // Run from inside tmux or not, only the private socket is used.
            .env_remove("TMUX")
            .env_remove("TMUX_PANE")
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys as tmux names them (`Enter`, `Escape`, `q`).
    fn send(&self, keys: &str) {
        self.run(&["send-keys", "-t", SESSION, keys]);
    }

    /// Types text literally.
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// What the pane shows, as text.
    fn pane(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", SESSION])
    }

    /// Pane state as tmux formats it: `#{alternate_on}` and so on.
    fn display(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", SESSION, format])
            .trim()
            .to_string()
    }

    /// Polls the pane until `found` gives a value. Fails with the last pane after
    /// [`STEP_LIMIT`], or at once when tokentop ended before showing it.
    fn wait_for<T>(&self, what: &str, mut found: impl FnMut(&str) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            let pane = self.pane();
            if let Some(value) = found(&pane) {
                return value;
            }
            assert!(
                !pane.contains(EXITED),
                "tokentop ended while waiting for {what}:\n{pane}"
            );
            assert!(
                start.elapsed() < STEP_LIMIT,
                "gave up waiting for {what} after {STEP_LIMIT:?}; the pane shows:\n{pane}"
            );
            sleep(POLL_EVERY);
        }
    }

    /// [`Tmux::wait_for`] a pane that passes `shows`.
    fn wait_until(&self, what: &str, shows: impl Fn(&str) -> bool) {
        self.wait_for(what, |pane| shows(pane).then_some(()));
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Ends tokentop and the shell with the session; errors do not matter here.
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .env_remove("TMUX")
            .output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The last line with text: the status line while the TUI is up.
fn status_line(pane: &str) -> &str {
    pane.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Whether `text` shows `name`, whole or cut with `…` after its first 12 characters or
/// more (a narrow name column cuts the longest names).
fn shows(text: &str, name: &str) -> bool {
    text.contains(name)
        || name
            .char_indices()
            .skip(12)
            .any(|(at, _)| text.contains(&format!("{}…", &name[..at])))
}

fn shows_all(pane: &str, names: &[&str]) -> bool {
    names.iter().all(|name| shows(pane, name))
}

/// The table's "N of M" (selected row, rows shown) at the end of its bottom border.
fn table_position(pane: &str) -> Option<(usize, usize)> {
    pane.lines().filter(|l| l.contains('─')).find_map(|line| {
        let (before, shown) = line.trim_end().rsplit_once(" of ")?;
        let (_, selected) = before.rsplit_once(' ')?;
        Some((selected.parse().ok()?, shown.parse().ok()?))
    })
}

/// The demo identity in the selected row: the Nth line under the table header, N from
/// the table's "N of M".
fn selected_identity(pane: &str) -> Option<&'static str> {
    let row = selected_row(pane);
    let mut named = DEMO_IDENTITIES.iter().filter(|name| shows(row, name));
    match (named.next(), named.next()) {
        (Some(name), None) => Some(name),
        _ => None,
    }
}

/// The selected row's line ("" when there is none): the Nth under the table header, N
/// from the table's "N of M".
fn selected_row(pane: &str) -> &str {
    let Some((selected, _)) = table_position(pane) else {
        return "";
    };
    let lines: Vec<&str> = pane.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.trim_start().starts_with("IDENTITY"));
    header
        .and_then(|h| lines.get(h + selected))
        .copied()
        .unwrap_or("")
}

/// A line that names `name` inside a border: a panel title.
fn titled(pane: &str, name: &str) -> bool {
    pane.lines()
        .any(|l| l.contains(name) && l.chars().any(|c| ('\u{2500}'..='\u{257f}').contains(&c)))
}

#[test]
fn demo_overview_identity_event_filter_and_quit_in_a_real_terminal() {
    let tmux = Tmux::start();

    // 1. The overview: the header, and every demo identity once the replay has run.
    tmux.wait_until("the overview with the 12 demo identities", |pane| {
        pane.contains("tokentop")
            && pane.contains("12 identities")
            && shows_all(pane, &DEMO_IDENTITIES)
    });
    // Unasked, the alerts pane shows the active alerts, the runaway's burst first; the
    // status line starts with how to get help and how to quit.
    tmux.wait_until("the alerts pane with the demo's burst", |pane| {
        let pane_at = pane.find(" alerts: ");
        let burst_at = pane.find("▲ crit burst        active         agent-loop-runner: ");
        pane_at.zip(burst_at).is_some_and(|(p, b)| p < b)
            && status_line(pane).starts_with("sort:")
            && status_line(pane).contains("? help q quit")
    });

    // 2. Sorted by name, so that the live demo's spend cannot reorder the rows under the
    // keys: down one row, note who is selected, Enter: that identity's view. The name must
    // read the same in two captures in a row, so that a frame caught half drawn cannot pass.
    tmux.send("n");
    tmux.wait_until("the table sorted by name", |pane| {
        status_line(pane).starts_with("sort: name")
    });
    tmux.send("j");
    let mut by_name = DEMO_IDENTITIES;
    by_name.sort_unstable();
    let mut last = None;
    let selected = tmux.wait_for("the second row selected", |pane| {
        if table_position(pane)?.0 != 2 {
            return None;
        }
        let now = selected_identity(pane)?;
        (last.replace(now) == Some(now)).then_some(now)
    });
    assert_eq!(
        selected, by_name[1],
        "j moves from the top row to the second"
    );
    tmux.send("Enter");
    tmux.wait_until(&format!("the identity view of {selected}"), |pane| {
        status_line(pane).starts_with("identity") && titled(pane, selected)
    });
    // Enter again: the newest event in full; Esc closes it, back to the identity.
    tmux.send("Enter");
    // Newer events may arrive above it meanwhile: the popup stays on its own (its number
    // grows). Its raw record is read back from the demo's recording.
    tmux.wait_until("the newest event's popup with its raw record", |pane| {
        status_line(pane).starts_with("event")
            && pane.contains("┌ event ")
            && pane.contains("sample-data/demo/")
    });
    tmux.send("Escape");
    tmux.wait_until(&format!("the identity view of {selected} again"), |pane| {
        status_line(pane).starts_with("identity") && !pane.contains("┌ event ")
    });

    // 3. Esc: back to the overview, every identity listed again.
    tmux.send("Escape");
    tmux.wait_until("the overview again", |pane| {
        status_line(pane).starts_with("sort:") && shows_all(pane, &DEMO_IDENTITIES)
    });

    // E: the demo's logs are embedded, so no report; the status line says what to run.
    tmux.send("E");
    tmux.wait_until("why the demo writes no incident report", |pane| {
        status_line(pane).contains("the demo's data is embedded")
    });

    // 4. A filter: only the agents are left.
    tmux.send("/");
    tmux.wait_until("the filter prompt", |pane| {
        status_line(pane).starts_with('/')
    });
    tmux.type_text("kind:agent");
    tmux.wait_until("the typed filter", |pane| {
        status_line(pane).contains("kind:agent")
    });
    tmux.send("Enter");
    let of = format!("{} of {}", DEMO_AGENTS.len(), DEMO_IDENTITIES.len());
    tmux.wait_until(&format!("the filtered table ({of})"), |pane| {
        // The alerts pane below may name any identity (the demo's unattributed alert is
        // svc-checkout's): the table is what lies above it.
        let table = pane.split(" alerts:").next().unwrap_or(pane);
        let status = status_line(pane);
        status.starts_with("filter kind:agent")
            && status.contains(&of)
            && table_position(pane).map(|(_, shown)| shown) == Some(DEMO_AGENTS.len())
            && shows_all(pane, &DEMO_AGENTS)
            && !table.contains("batch-nightly-summarizer")
            && !table.contains("svc-checkout")
    });

    // 5. q: tokentop ends with 0 and gives the terminal back as it found it.
    tmux.send("q");
    let (exit, pane) = tmux.wait_for("tokentop's exit", |pane| {
        let line = pane.lines().find(|l| l.starts_with(EXITED))?;
        Some((line.trim().to_string(), pane.to_string()))
    });
    assert_eq!(exit, "tokentop exited 0, tty cooked", "{pane}");
    assert!(
        !pane.contains("IDENTITY") && !pane.contains("sort:") && !pane.contains("│ demo │"),
        "the TUI is still on screen:\n{pane}"
    );
    let modes = "#{alternate_on} #{cursor_flag} #{mouse_any_flag} #{mouse_button_flag} \
                 #{mouse_standard_flag} #{mouse_sgr_flag}";
    assert_eq!(
        tmux.display(modes),
        "0 1 0 0 0 0",
        "alternate screen off, cursor shown, mouse reporting off (any, button, standard, SGR)"
    );
}

/// What a pipe on stdin and a missing terminal do, in a real terminal: `… | tokentop -`
/// (stdin a pipe, stdout the terminal) runs the monitor, keys read from `/dev/tty`; with
/// no controlling terminal to open (`setsid`), it says so, names `tokentop report`, and
/// exits 2 (it printed only "No such device or address (os error 6)").
#[test]
fn a_pipe_on_stdin_runs_and_a_missing_terminal_is_explained() {
    const PIPED: &str = r#"printf '%s\n' '{"tokentop":1,"ts":"2026-01-01T12:00:00Z","identity":"piped-in","model":"gpt-4o-mini","tokens":{"input":10,"output":5}}' | "$TOKENTOP_BIN" --no-state -
echo "piped exited $?"
setsid -w "$TOKENTOP_BIN" --demo
code=$?
echo "tokentop exited $code"
sleep 600"#;
    let tmux = Tmux::start_script("pipe", PIPED);
    tmux.wait_until("the monitor on the piped line", |pane| {
        pane.contains("piped-in") && status_line(pane).starts_with("sort:")
    });
    tmux.send("q");
    let pane = tmux.wait_for("the message without a terminal", |pane| {
        pane.lines()
            .any(|l| l.starts_with(EXITED))
            .then(|| pane.to_string())
    });
    assert!(pane.contains("piped exited 0"), "{pane}");
    // The message wraps at the pane's width, mid-word.
    let text: String = pane.lines().map(str::trim_end).collect();
    assert!(
        text.contains("the monitor needs a terminal")
            && text.contains("/dev/tty cannot be opened")
            && text.contains("tokentop report")
            && text.contains("tokentop exited 2"),
        "{pane}"
    );
}

/// The monitor with OpenAI on against `server`, its key the sentinel, every folder it
/// reads or writes under `home`, and no log folder anywhere.
fn openai_monitor(
    home: &impl std::fmt::Display,
    server: &crate::provider_server::Server,
) -> String {
    let sentinel = crate::providers::SENTINEL;
    format!(
        r#"env -u CLAUDE_CONFIG_DIR -u CODEX_HOME HOME={home} XDG_CONFIG_HOME={home} XDG_STATE_HOME={home} OPENAI_ADMIN_KEY={sentinel} "$TOKENTOP_BIN" --openai --openai-url {}/v1
echo "tokentop exited $?"
sleep 600"#,
        server.base
    )
}

/// The bucket widths OpenAI's completions report was asked for, page by page left out.
fn completion_widths(server: &crate::provider_server::Server) -> Vec<String> {
    server
        .to("/v1/organization/usage/completions")
        .iter()
        .filter(|r| r.param("page").is_none())
        .filter_map(|r| r.param("bucket_width"))
        .collect()
}

/// The monitor with a provider on and no log folder anywhere: it runs rather than ask for
/// logs, backfills and polls the provider in minutes, quits with 0, and never shows the key.
#[test]
fn the_monitor_polls_a_provider_without_any_log_folder() {
    use crate::provider_server::Server;
    use crate::providers::healthy;

    let server = Server::start(healthy);
    let home = tempfile::tempdir().unwrap();
    let home = home.path().display();
    let script = openai_monitor(&home, &server);
    let tmux = Tmux::start_script("provider", &script);
    let widths = || completion_widths(&server);
    tmux.wait_until("the backfill and a minute poll", |pane| {
        titled(pane, "openai") && widths().starts_with(&["1d".into(), "1h".into(), "1m".into()])
    });
    tmux.send("q");
    let (exit, pane) = tmux.wait_for("tokentop's exit", |pane| {
        let line = pane.lines().find(|l| l.starts_with(EXITED))?;
        Some((line.trim().to_string(), pane.to_string()))
    });
    assert_eq!(exit, "tokentop exited 0", "{pane}");
    assert!(!pane.contains("SENTINEL"), "{pane}");
}

/// What was fetched survives a restart: the second run starts from the state store, asks
/// for neither the month nor today's hours again, and the store never holds the key.
#[test]
fn a_restart_takes_up_from_the_state_store_without_a_second_backfill() {
    use crate::provider_server::Server;
    use crate::providers::{SENTINEL, healthy};

    let server = Server::start(healthy);
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().display();
    let script = openai_monitor(&home, &server);
    let widths = || completion_widths(&server);
    let count = |w: &str| widths().iter().filter(|x| *x == w).count();
    for (run, minute_polls) in [("first", 1), ("second", 2)] {
        let tmux = Tmux::start_script(&format!("restart-{run}"), &script);
        tmux.wait_until("a minute poll", |pane| {
            titled(pane, "openai") && count("1m") >= minute_polls
        });
        tmux.send("q");
        tmux.wait_until("tokentop's exit", |pane| pane.contains("tokentop exited 0"));
    }
    assert_eq!((count("1d"), count("1h")), (1, 1), "{:?}", widths());
    let store = dir.path().join("tokentop/state.db");
    let bytes = std::fs::read(&store).expect("the store");
    let sentinel = SENTINEL.as_bytes();
    assert!(!bytes.windows(sentinel.len()).any(|w| w == sentinel));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&store).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// `--demo` polls its built-in provider: with no credentials and no network, the Providers
/// view shows the checkout key's spend that no log explains, and the alert it raised.
#[test]
fn the_demo_shows_unattributed_spend_from_its_built_in_provider() {
    let tmux = Tmux::start_script("demo-providers", SCRIPT);
    tmux.wait_until("the unattributed alert", |pane| {
        pane.contains("unattributed") && pane.contains("svc-checkout: $")
    });
    tmux.send("P");
    tmux.wait_until("the Providers view", |pane| {
        let over = pane
            .lines()
            .any(|l| l.contains("svc-checkout") && l.contains("billed") && l.contains("OVER"));
        pane.contains("✓ openai") && pane.contains("✓ anthropic") && over
    });
    tmux.send("q");
    tmux.wait_until("tokentop's exit", |pane| {
        pane.contains("tokentop exited 0, tty cooked")
    });
}

/// A state store that is not a database is a warning among the sources, never fatal: the
/// monitor polls on, and the file is left as it was.
#[test]
fn a_damaged_state_store_shows_among_the_sources_and_the_monitor_runs_on() {
    use crate::provider_server::Server;
    use crate::providers::healthy;

    let server = Server::start(healthy);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokentop/state.db");
    std::fs::create_dir_all(store.parent().unwrap()).unwrap();
    std::fs::write(&store, b"this is not a database").unwrap();
    let home = dir.path().display();
    let script = openai_monitor(&home, &server);
    let tmux = Tmux::start_script("damaged-store", &script);
    tmux.wait_until("a degraded source", |pane| pane.contains("degraded"));
    tmux.send("h");
    tmux.wait_until("the store's warning", |pane| {
        let text: String = pane.lines().map(str::trim_end).collect();
        text.contains("state store")
            && text.contains("not a database")
            && text.contains("--no-state")
    });
    tmux.send("q");
    tmux.wait_until("tokentop's exit", |pane| pane.contains("tokentop exited 0"));
    assert_eq!(std::fs::read(&store).unwrap(), b"this is not a database");
}

/// `E` on a row of a monitor following a folder: the report of that identity is written
/// into the current folder (a temp one, as HOME is), and the status line says where.
#[test]
fn e_writes_the_selected_identitys_incident_report_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let line = |minute: u32, who: &str| {
        format!(
            r#"{{"tokentop":1,"ts":"2026-01-01T12:{minute:02}:00Z","identity":"{who}","model":"gpt-4o-mini","tokens":{{"input":1000,"output":100}}}}"#
        )
    };
    let text = [line(0, "svc-b"), line(1, "svc-a"), line(2, "svc-a")].join("\n") + "\n";
    std::fs::write(logs.join("usage.jsonl"), text).unwrap();
    let work = dir.path().display();
    // `--since` far back: the totals range is everything read, the logs being old.
    let script = format!(
        r#"cd {work} && env -u CLAUDE_CONFIG_DIR -u CODEX_HOME HOME={work} XDG_CONFIG_HOME={work} XDG_STATE_HOME={work} "$TOKENTOP_BIN" --no-state --since 2020-01-01 logs
echo "tokentop exited $?"
sleep 600"#
    );
    let tmux = Tmux::start_script("incident", &script);
    tmux.wait_until("both identities", |pane| {
        pane.contains("svc-a") && pane.contains("svc-b") && status_line(pane).starts_with("sort:")
    });
    tmux.send("n");
    tmux.wait_until("the table sorted by name, svc-a on top", |pane| {
        status_line(pane).starts_with("sort: name") && selected_row(pane).contains("svc-a")
    });
    tmux.send("E");
    let stem = "incident-svc-a-20260101T1201Z";
    tmux.wait_until("where the report went", |pane| {
        status_line(pane).contains(&format!("incident report written: ./{stem}.md, .json"))
    });
    let md = std::fs::read_to_string(dir.path().join(format!("{stem}.md"))).unwrap();
    assert!(md.contains("svc-a") && !md.contains("svc-b"), "{md}");
    assert!(dir.path().join(format!("{stem}.json")).is_file());
    tmux.send("q");
    tmux.wait_until("tokentop's exit", |pane| pane.contains("tokentop exited 0"));
}
