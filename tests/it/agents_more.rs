//! Kimi CLI, pi and GitHub Copilot CLI (issue 19): each agent's fixture tree read through
//! the real file reader, with totals worked out by hand in the comments, and one test per
//! trap of its format (shared/reference/agent-logs-more.md sections 3, 8 and 10) that
//! fails without its handling. The fixtures are written from the reference, with invented
//! values.

use std::sync::Arc;

use tokentop::engine::{Engine, IdentityRow, Snapshot};
use tokentop::event::{Format, IdentityKind, Kind, TimeMs};
use tokentop::pricing::PriceTable;
use tokentop::source::discover::SourceSpec;

use crate::common::{fixture, read_paths};

fn row<'a>(s: &'a Snapshot, name: &str) -> &'a IdentityRow {
    s.identities
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name} in {:?}", names(s)))
}

fn names(s: &Snapshot) -> Vec<&str> {
    let mut names: Vec<&str> = s.identities.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// `(input, cache read, cache write, output, requests)` of a row.
fn counts(r: &IdentityRow) -> (u64, u64, u64, u64, u64) {
    let t = &r.totals;
    (t.input, t.cache_read, t.cache_write(), t.output, t.requests)
}

const KIMI_PROJECT: &str = "kimi-cli:/home/ana/proj";
const KIMI_FOLDER: &str = "sessions/e05bc5d0d79f7ba24a515f475a529bae";

#[test]
fn kimi_counts_each_step_once_with_the_configured_model() {
    let share = fixture("kimi/share");
    let (_, s, health) = read_paths(&[&share.join("sessions")]);
    let lines: u64 = health.iter().map(|h| h.lines).sum();
    let events: u64 = health.iter().map(|h| h.events).sum();
    // s1: 9 lines (4 usage: m1, m2 twice, m3 nested), its context 2, its sub-agent 2 (m3),
    // the fork s2 3 (m1 again, m4), the unknown folder's s3 2 (m5).
    assert_eq!((lines, events), (18, 8));
    assert_eq!(
        names(&s),
        vec![KIMI_PROJECT, "kimi-cli:0123456789abcdef0123456789abcdef"]
    );
    // m1 1508/4864/0/205 + m2's larger copy 120/5000/300/40 + m3 50/0/0/20 + m4 10/6000/0/5.
    let r = row(&s, KIMI_PROJECT);
    assert_eq!(counts(r), (1_688, 15_864, 300, 270, 4));
    assert_eq!(r.kind, IdentityKind::Agent);
    assert_eq!(r.format, Format::KimiCli);
    assert!(r.labels.contains(&"kimi-cli".to_string()), "{:?}", r.labels);
    assert_eq!(&*r.models, &[Arc::from("kimi-k2-0905-preview")]);
    // A folder kimi.json does not list keeps its hash as the project.
    let r = row(&s, "kimi-cli:0123456789abcdef0123456789abcdef");
    assert_eq!(counts(r), (7, 0, 0, 3, 1));
}

#[test]
fn kimi_repeated_status_updates_count_their_largest_copy() {
    let s1 = fixture("kimi/share")
        .join(KIMI_FOLDER)
        .join("s1/wire.jsonl");
    let (_, s, _) = read_paths(&[&s1]);
    // m1 + m2 (the second, larger copy only) + m3: not m2 twice (220 input, 5 requests).
    assert_eq!(counts(row(&s, KIMI_PROJECT)), (1_678, 9_864, 300, 265, 3));
}

#[test]
fn kimi_a_forked_session_does_not_count_its_parent_again() {
    let share = fixture("kimi/share");
    let (_, s, _) = read_paths(&[
        &share.join(KIMI_FOLDER).join("s1/wire.jsonl"),
        &share.join(KIMI_FOLDER).join("s2/wire.jsonl"),
    ]);
    // s1's three steps and s2's own m4; s2's copy of m1 adds nothing.
    assert_eq!(counts(row(&s, KIMI_PROJECT)), (1_688, 15_864, 300, 270, 4));
}

#[test]
fn kimi_a_sub_agent_step_counts_once_from_its_log_and_its_parents() {
    let share = fixture("kimi/share");
    let sub = share.join(KIMI_FOLDER).join("s1/subagents/a7/wire.jsonl");
    let (_, s, _) = read_paths(&[&sub]);
    assert_eq!(counts(row(&s, KIMI_PROJECT)), (50, 0, 0, 20, 1));
    let (_, s, _) = read_paths(&[&sub, &share.join(KIMI_FOLDER).join("s1/wire.jsonl")]);
    assert_eq!(counts(row(&s, KIMI_PROJECT)), (1_678, 9_864, 300, 265, 3));
}

#[test]
fn kimi_without_its_share_files_counts_under_the_folder_hash() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("sessions/abc/s9");
    std::fs::create_dir_all(&session).expect("folders");
    let wire = std::fs::read_to_string(
        fixture("kimi/share")
            .join(KIMI_FOLDER)
            .join("s2/wire.jsonl"),
    )
    .expect("fixture");
    std::fs::write(session.join("wire.jsonl"), wire).expect("write");
    let (_, s, _) = read_paths(&[&dir.path().join("sessions")]);
    let r = row(&s, "kimi-cli:abc");
    assert_eq!(&*r.models, &[Arc::from("unknown")]);
    assert_eq!(counts(r), (1_518, 10_864, 0, 210, 2));
}

#[test]
fn kimi_steps_without_a_message_id_count_once_when_their_log_is_read_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let wire = std::fs::read_to_string(
        fixture("kimi/share")
            .join(KIMI_FOLDER)
            .join("s2/wire.jsonl"),
    )
    .expect("fixture");
    let wire = wire
        .replace(r#","message_id":"chatcmpl-m1""#, "")
        .replace(r#","message_id":"chatcmpl-m4""#, "");
    assert!(!wire.contains("message_id"));
    // The session's log, and the same log in a copy of the share folder (a backup).
    let mut paths = Vec::new();
    for share in ["share", "backup"] {
        let session = dir.path().join(share).join("sessions/abc/s9");
        std::fs::create_dir_all(&session).expect("folders");
        std::fs::write(session.join("wire.jsonl"), &wire).expect("write");
        paths.push(session.join("wire.jsonl"));
    }
    let (_, s, _) = read_paths(&[&paths[0], &paths[1]]);
    // m1 1508/4864/0/205 + m4 10/6000/0/5, each once.
    assert_eq!(counts(row(&s, "kimi-cli:abc")), (1_518, 10_864, 0, 210, 2));
    // Another session's steps at the same times are other steps.
    let other = dir.path().join("share/sessions/abc/s10");
    std::fs::create_dir_all(&other).expect("folders");
    std::fs::write(other.join("wire.jsonl"), &wire).expect("write");
    let (_, s, _) = read_paths(&[&paths[0], &other.join("wire.jsonl")]);
    assert_eq!(counts(row(&s, "kimi-cli:abc")), (3_036, 21_728, 0, 420, 4));
}

#[test]
fn kimi_steps_are_priced_at_moonshots_own_price() {
    let dir = tempfile::tempdir().expect("temp dir");
    let share = dir.path().join("share");
    let session = share.join("sessions/abc/s9");
    std::fs::create_dir_all(&session).expect("folders");
    let config = std::fs::read_to_string(fixture("kimi/share/config.toml")).expect("config");
    let config = config.replace("kimi-k2-0905-preview", "kimi-k2.5");
    std::fs::write(share.join("config.toml"), config).expect("write");
    let wire = fixture("kimi/share")
        .join(KIMI_FOLDER)
        .join("s2/wire.jsonl");
    std::fs::copy(wire, session.join("wire.jsonl")).expect("copy");
    let (_, s, _) = read_paths(&[&share.join("sessions")]);
    let r = row(&s, "kimi-cli:abc");
    assert_eq!(&*r.models, &[Arc::from("kimi-k2.5")]);
    assert_eq!(s.totals.unpriced_requests, 0);
    // moonshot/kimi-k2.5: $0.60 in, $0.10 cache read, $3 out per million:
    // 1,518 in, 10,864 read, 210 out = $0.0026272.
    assert!(
        (r.totals.cost_usd - 0.002_627_2).abs() < 1e-12,
        "{}",
        r.totals.cost_usd
    );
}

const PI_PROJECT: &str = "pi:/home/u/proj";

fn pi_file(name: &str) -> std::path::PathBuf {
    let folder = fixture("pi/sessions/--home-u-proj--");
    let found = std::fs::read_dir(&folder)
        .expect("fixture folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(name))
        });
    found.unwrap_or_else(|| panic!("no {name} in {}", folder.display()))
}

#[test]
fn pi_counts_every_assistant_entry_at_pis_own_cost() {
    let (_, s, health) = read_paths(&[&fixture("pi/sessions")]);
    let lines: u64 = health.iter().map(|h| h.lines).sum();
    let events: u64 = health.iter().map(|h| h.events).sum();
    // The first file: 3 usage entries (b1, d1, e1) of 8 lines; the fork: 3 (b1, d1 copied,
    // f1) of 6.
    assert_eq!((lines, events), (14, 6));
    assert_eq!(names(&s), vec![PI_PROJECT]);
    let r = row(&s, PI_PROJECT);
    // b1 12/9000/400/210, d1 100/9400/0/50, e1 (an abandoned branch, still billed)
    // 5/9400/0/20, f1 30/0/0/40.
    assert_eq!(counts(r), (147, 27_800, 400, 320, 4));
    assert_eq!(r.format, Format::Pi);
    assert!(r.labels.contains(&"pi".to_string()), "{:?}", r.labels);
    // pi's own costs (b1 0.0065, e1 0.0031, f1 0.0002) and d1's zero priced from the
    // table: 100 × $3/M + 50 × $15/M + 9,400 × $0.30/M = 0.00387.
    assert!(
        (r.totals.cost_usd - 0.013_67).abs() < 1e-9,
        "cost {}",
        r.totals.cost_usd
    );
}

#[test]
fn pi_a_forked_file_does_not_count_the_copied_entries_again() {
    let (_, s, _) = read_paths(&[&pi_file("2026-01-01T10"), &pi_file("2026-01-01T11")]);
    // Without the key of entry id and time, b1 and d1 would count twice (6 requests).
    assert_eq!(counts(row(&s, PI_PROJECT)), (147, 27_800, 400, 320, 4));
    let (_, s, _) = read_paths(&[&pi_file("2026-01-01T11")]);
    assert_eq!(counts(row(&s, PI_PROJECT)), (142, 18_400, 400, 300, 3));
}

#[test]
fn pi_own_cost_wins_over_the_table_when_positive() {
    let (_, s, _) = read_paths(&[&pi_file("2026-01-01T10")]);
    let r = row(&s, PI_PROJECT);
    // The table would price b1 at 0.007386 (12 × 3 + 210 × 15 + 9,000 × 0.3 + 400 × 3.75
    // per million) and e1 at 0.003135: pi's 0.0065 and 0.0031 are what count.
    assert!(
        (r.totals.cost_usd - (0.0065 + 0.003_87 + 0.0031)).abs() < 1e-9,
        "cost {}",
        r.totals.cost_usd
    );
}

fn copilot_home() -> std::path::PathBuf {
    fixture("copilot/home")
}

/// `(input, cache read, cache write, output)` of a row: the telemetry's rows also hold
/// tool calls, which count as calls but carry no tokens.
fn tokens(r: &IdentityRow) -> (u64, u64, u64, u64) {
    let t = &r.totals;
    (t.input, t.cache_read, t.cache_write(), t.output)
}

#[test]
fn copilot_counts_each_call_of_its_telemetry_once() {
    let (engine, s, _) = read_paths(&[&copilot_home().join("otel")]);
    assert_eq!(names(&s), vec!["copilot-cli"]);
    let r = row(&s, "copilot-cli");
    // Chat s1 (19,452 in of which 18,000 read; 281 out), its inference log (same key),
    // chat s3 (21,000 in: 19,400 read, 100 written; 150 out); the trace's agent-turn log
    // and invoke_agent span (their sum) are not counted again. The second trace has only
    // its invoke_agent span: 5,000 in (4,000 read), 50 out.
    assert_eq!(tokens(r), (1_452 + 1_500 + 1_000, 41_400, 100, 481));
    assert_eq!(r.totals.reasoning, 128);
    assert_eq!(r.format, Format::CopilotCli);
    assert!(
        r.labels.contains(&"copilot-cli".to_string()),
        "{:?}",
        r.labels
    );
    let tools: Vec<(String, u64)> = engine
        .detail("copilot-cli")
        .expect("identity")
        .tools
        .into_iter()
        .map(|t| (t.name, t.calls))
        .collect();
    assert_eq!(tools, vec![("bash".to_string(), 1)]);
}

#[test]
fn copilot_a_resumed_sessions_shutdowns_each_count_their_segment() {
    let events = copilot_home().join("session-state/beef0001/events.jsonl");
    let (_, s, health) = read_paths(&[&events]);
    // Five lines; the second shutdown names two models, each one record.
    assert_eq!((health[0].lines, health[0].events), (6, 3));
    let r = row(&s, "copilot-cli:/home/ana/api");
    // Segment 1: 10,000 in (6,000 read, 1,000 written), 500 out. Segment 2: 3,000 in
    // (2,000 read), 200 out, and gpt-5-mini 900 in, 40 out. Summed, not replaced: the
    // second shutdown covers only the resumed segment.
    assert_eq!(tokens(r), (3_000 + 1_000 + 900, 8_000, 1_000, 740));
    // Each is the sum of many calls, not one request of that size.
    assert_eq!(r.totals.requests, 0);
}

#[test]
fn copilot_a_copy_of_a_sessions_events_counts_nothing_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let events = copilot_home().join("session-state/beef0001/events.jsonl");
    for session in ["beef0001", "beef0001-copy"] {
        let folder = dir.path().join("session-state").join(session);
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::copy(&events, folder.join("events.jsonl")).expect("copy");
    }
    let (_, s, _) = read_paths(&[&dir.path().join("session-state")]);
    assert_eq!(
        tokens(row(&s, "copilot-cli:/home/ana/api")),
        (4_900, 8_000, 1_000, 740)
    );
}

#[test]
fn copilot_shutdowns_of_a_session_in_the_telemetry_are_not_counted_again() {
    let home = copilot_home();
    let (_, s, health) = read_paths(&[&home.join("otel"), &home.join("session-state")]);
    // The session c0ffee12 is in the export: its shutdown (the same calls, summed) adds
    // nothing, so no row for its folder; beef0001 has no telemetry and counts.
    assert_eq!(names(&s), vec!["copilot-cli", "copilot-cli:/home/ana/api"]);
    assert_eq!(tokens(row(&s, "copilot-cli")), (3_952, 41_400, 100, 481));
    let shutdowns: u64 = health.iter().skip(1).map(|h| h.events).sum();
    assert_eq!(shutdowns, 3);
    // Read on its own, beside the export, the covered session still counts nothing.
    let (_, s, _) = read_paths(&[&home.join("session-state/c0ffee12/events.jsonl")]);
    assert!(s.identities.is_empty(), "{:?}", names(&s));
}

#[test]
fn copilot_a_summary_read_before_the_calls_it_sums_is_taken_out() {
    let reordered = fixture("copilot/reordered");
    let (engine, s, _) = read_paths(&[&reordered]);
    let r = row(&s, "copilot-cli");
    // Trace 1's agent-turn log and invoke_agent span come first, its calls after: the
    // calls count (1,452 + 1,500 in; 18,000 + 19,400 read; 100 written; 281 + 150 out)
    // and the sums they replace do not. Trace 2 has only its invoke_agent span (1,000 in,
    // 4,000 read, 50 out). Trace 3's invoke_agent span is read before its agent-turn log,
    // which ranks higher: 2,800 in of which 2,000 read, 20 out (not the span's 3,000/30).
    assert_eq!(
        tokens(r),
        (
            1_452 + 1_500 + 1_000 + 800,
            43_400,
            100,
            281 + 150 + 50 + 20
        )
    );
    // Only the two chat spans are requests: a sum of a turn's calls is none.
    assert_eq!(r.totals.requests, 2);
    // The sums taken out leave no empty entry among the recent requests: the two calls,
    // trace 2's span and trace 3's turn, newest first (and the tool call, no request).
    let recent = engine.detail("copilot-cli").expect("identity").recent;
    let inputs: Vec<u64> = recent
        .iter()
        .filter(|e| e.kind != Kind::Tool)
        .map(|e| e.tokens.input)
        .collect();
    assert_eq!(inputs, vec![800, 1_000, 1_500, 1_452]);
}

#[test]
fn copilot_a_session_partly_exported_counts_its_unexported_segments() {
    let home = fixture("copilot/partly");
    let (_, s, _) = read_paths(&[&home.join("otel"), &home.join("session-state")]);
    // The export holds one call of the resumed segment (07:00-07:30): 500 in, 1,000
    // read, 60 out. That segment's shutdown is not counted again; the first segment
    // (06:00-06:30), run without the export, counts from its shutdown: 2,000 in of which
    // 1,000 read, 100 out.
    assert_eq!(tokens(row(&s, "copilot-cli")), (500, 1_000, 0, 60));
    assert_eq!(
        tokens(row(&s, "copilot-cli:/home/ana/cli")),
        (1_000, 1_000, 0, 100)
    );
}

/// 2026-01-01T06:10:00Z, when the session `s9` of the live test shuts down.
const SHUTDOWN_S9: TimeMs = 1_767_247_800_000;

#[test]
fn copilot_a_shutdown_read_before_its_export_is_taken_out_live() {
    use tokentop::source::follow::Follower;
    use tokentop::source::origin::Origins;
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path();
    std::fs::create_dir_all(home.join("otel")).expect("mkdir");
    std::fs::create_dir_all(home.join("session-state/s9")).expect("mkdir");
    // A short run: its shutdown is written before the export's batch with its only call.
    std::fs::write(
        home.join("session-state/s9/events.jsonl"),
        concat!(
            r#"{"type":"session.start","id":"e1","timestamp":"2026-01-01T06:00:00.000Z","data":{"sessionId":"s9","context":{"cwd":"/home/ana/web"}}}"#,
            "\n",
            r#"{"type":"session.shutdown","id":"e2","timestamp":"2026-01-01T06:10:00.000Z","data":{"modelMetrics":{"gpt-5-mini":{"usage":{"inputTokens":31,"outputTokens":2}}}}}"#,
            "\n",
        ),
    )
    .expect("write");
    let specs = ["otel", "session-state"]
        .iter()
        .map(|p| SourceSpec::parse(&home.join(p).to_string_lossy()))
        .collect();
    let mut follower = Follower::new(specs, Origins::default());
    let mut engine = Engine::new(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
    );
    // Read live: seconds after the shutdown (06:10), then when the export's batch lands.
    let read = |follower: &mut Follower, engine: &mut Engine, at: TimeMs| {
        engine.advance(at);
        follower.rescan(at, &mut |e| engine.ingest(&e));
        follower.poll(at, &mut |e| engine.ingest(&e));
    };
    read(&mut follower, &mut engine, SHUTDOWN_S9 + 2_000);
    let s = engine.snapshot(None);
    assert_eq!(tokens(row(&s, "copilot-cli:/home/ana/web")), (31, 0, 0, 2));
    // The export's batch lands at 06:05, inside the segment: the call counts, and the
    // shutdown's count of the same call is taken out.
    std::fs::write(
        home.join("otel/a.jsonl"),
        r#"{"type":"span","traceId":"t9","spanId":"c9","name":"chat gpt-5-mini","startTime":[1767247499,0],"endTime":[1767247500,0],"attributes":{"gen_ai.operation.name":"chat","gen_ai.response.model":"gpt-5-mini","gen_ai.conversation.id":"s9","gen_ai.usage.input_tokens":31,"gen_ai.usage.output_tokens":2}}"#.to_string() + "\n",
    )
    .expect("write");
    read(&mut follower, &mut engine, SHUTDOWN_S9 + 5_000);
    let s = engine.snapshot(None);
    assert_eq!(tokens(row(&s, "copilot-cli")), (31, 0, 0, 2));
    assert_eq!(tokens(row(&s, "copilot-cli:/home/ana/web")), (0, 0, 0, 0));
    let detail = engine
        .detail("copilot-cli:/home/ana/web")
        .expect("identity");
    assert!(detail.recent.is_empty(), "{:?}", detail.recent);
}
