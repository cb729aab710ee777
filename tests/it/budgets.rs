//! Budget scenarios: a config, events at their own time, an injected clock, budget states
//! out. Amounts are whole dollars written in the records (`cost_usd`), so the arithmetic
//! in each test can be checked by hand.

use std::path::Path;
use std::sync::Arc;

use tokentop::config::Config;
use tokentop::engine::budget::{BudgetLevel, BudgetState, BudgetUnit};
use tokentop::engine::{Engine, IdentityRow, Snapshot};
use tokentop::event::{Event, TimeMs};
use tokentop::pricing::PriceTable;

use crate::common::{MIN, NOON, copy, event};

const HOUR: TimeMs = 60 * MIN;

/// An engine with the config in `toml`, in the config's time zone (else UTC).
pub fn engine_with(toml: &str) -> Engine {
    let config = Config::parse(toml, Path::new("test.toml")).expect("config");
    let tz = config.time_zone.clone().unwrap_or(jiff::tz::TimeZone::UTC);
    Engine::with_config(Arc::new(PriceTable::builtin().clone()), tz, &config)
}

/// A request of `identity` at `time` that cost `usd` (1,000 input and 100 output tokens).
pub fn spend(identity: &str, time: TimeMs, usd: f64) -> Event {
    let mut e = event(identity, time, 1_000, 100);
    e.record_cost_usd = Some(usd);
    e
}

pub fn at(text: &str) -> TimeMs {
    text.parse::<jiff::Timestamp>()
        .expect("timestamp")
        .as_millisecond()
}

fn budget<'a>(s: &'a Snapshot, name: &str) -> &'a BudgetState {
    s.budgets
        .iter()
        .find(|b| b.name == name)
        .expect("budget in snapshot")
}

fn row<'a>(s: &'a Snapshot, name: &str) -> &'a IdentityRow {
    s.identities
        .iter()
        .find(|r| r.name == name)
        .expect("identity in snapshot")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn state_at(e: &mut Engine, now: TimeMs) -> Snapshot {
    e.advance(now);
    e.snapshot(None)
}

#[test]
fn daily_budgets_reset_at_local_midnight_in_new_york() {
    let mut e = engine_with(
        r#"
time_zone = "America/New_York"
[[budget]]
name = "svc daily"
identity = "svc"
period = "day"
limit_usd = 10
"#,
    );
    // New York is UTC-5 in January: its midnight is 05:00 UTC.
    e.ingest(&spend("svc", at("2026-01-02T04:30:00Z"), 6.0)); // Jan 1, 23:30 in New York
    e.ingest(&spend("svc", at("2026-01-02T04:59:00Z"), 3.0)); // Jan 1, 23:59
    let s = state_at(&mut e, at("2026-01-02T04:59:30Z"));
    let b = budget(&s, "svc daily");
    assert_eq!((b.used, b.level), (9.0, BudgetLevel::Warn), "{b:?}");
    assert_eq!(s.today, "2026-01-01");

    // At local midnight the day's budget starts over, though UTC's day began 5 hours ago.
    let s = state_at(&mut e, at("2026-01-02T05:00:00Z"));
    let b = budget(&s, "svc daily");
    assert_eq!((b.used, b.level), (0.0, BudgetLevel::Ok));
    assert_eq!(s.today, "2026-01-02");

    e.advance(at("2026-01-02T05:10:00Z"));
    e.ingest(&spend("svc", at("2026-01-02T05:10:00Z"), 1.0));
    // A late line from the day before counts for that day, not this one.
    e.ingest(&spend("svc", at("2026-01-02T04:00:00Z"), 50.0));
    let s = state_at(&mut e, at("2026-01-02T05:15:00Z"));
    assert_eq!(budget(&s, "svc daily").used, 1.0);
    // A line stamped a day ahead (a skewed clock) is spend that happened: it counts now
    // (at most a minute past the clock), and does not blank today's sum.
    e.ingest(&spend("svc", at("2026-01-03T12:00:00Z"), 70.0));
    let s = state_at(&mut e, at("2026-01-02T05:15:00Z"));
    assert_eq!(budget(&s, "svc daily").used, 71.0);
    assert_eq!(s.ingest.future, 1);
    assert_eq!(e.budgets(), s.budgets, "Engine::budgets is the snapshot's");
}

#[test]
fn daily_budgets_reset_at_local_midnight_in_tokyo() {
    let mut e = engine_with(
        r#"
time_zone = "Asia/Tokyo"
[[budget]]
name = "all daily"
all = true
period = "day"
limit_usd = 100
"#,
    );
    // Tokyo is UTC+9: midnight there is 15:00 UTC the day before.
    e.ingest(&spend("a", at("2026-01-01T14:59:00Z"), 30.0));
    e.ingest(&spend("b", at("2026-01-01T15:00:00Z"), 20.0));
    let b = budget(&state_at(&mut e, at("2026-01-01T15:30:00Z")), "all daily").clone();
    assert_eq!(b.used, 20.0);
    assert_eq!(b.members, vec!["a", "b"], "`all` covers every identity");
    assert_eq!(b.period, "day");
    assert_eq!(b.scope, "all");
}

#[test]
fn weeks_start_on_monday_and_months_on_the_first_in_the_zone() {
    let mut e = engine_with(
        r#"
time_zone = "Europe/Berlin"
[[budget]]
name = "weekly"
all = true
period = "week"
limit_usd = 100
[[budget]]
name = "monthly"
all = true
period = "month"
limit_usd = 100
[[budget]]
name = "hourly"
all = true
period = "hour"
limit_usd = 100
"#,
    );
    // Sunday 2026-05-31 23:30 in Berlin (UTC+2 in summer) is in the last hour of a week
    // and of May; Monday 00:10 is in a new week, a new month and a new hour.
    e.ingest(&spend("svc", at("2026-05-31T21:30:00Z"), 5.0));
    e.ingest(&spend("svc", at("2026-05-31T22:10:00Z"), 2.0));
    let s = state_at(&mut e, at("2026-05-31T21:59:00Z"));
    let used = |s: &Snapshot, n| budget(s, n).used;
    assert_eq!(
        [used(&s, "weekly"), used(&s, "monthly"), used(&s, "hourly")],
        [5.0; 3]
    );
    let s = state_at(&mut e, at("2026-05-31T22:20:00Z"));
    assert_eq!(
        [used(&s, "weekly"), used(&s, "monthly"), used(&s, "hourly")],
        [2.0; 3]
    );
}

#[test]
fn warn_thresholds_and_over() {
    let mut e = engine_with(
        r#"
[[budget]]
name = "two warnings"
identity = "svc"
period = "day"
limit_usd = 10
warn_at = [0.9, 0.5]

[[budget]]
name = "default warning"
identity = "svc"
period = "day"
limit_usd = 10
"#,
    );
    let levels = |e: &mut Engine, now| {
        let s = state_at(e, now);
        let b = |n| budget(&s, n).level;
        (b("two warnings"), b("default warning"))
    };
    use BudgetLevel::{Ok, Over, Warn};
    e.ingest(&spend("svc", NOON - 5 * HOUR, 4.0));
    assert_eq!(levels(&mut e, NOON - 5 * HOUR), (Ok, Ok));
    e.ingest(&spend("svc", NOON - 4 * HOUR, 1.0)); // 5 = 50%: the first threshold
    assert_eq!(levels(&mut e, NOON - 4 * HOUR), (Warn, Ok));
    e.ingest(&spend("svc", NOON - 3 * HOUR, 3.0)); // 8 = 80%: the default threshold
    assert_eq!(levels(&mut e, NOON - 3 * HOUR), (Warn, Warn));
    e.ingest(&spend("svc", NOON - 2 * HOUR, 1.99)); // 9.99: not over yet
    assert_eq!(levels(&mut e, NOON - 2 * HOUR), (Warn, Warn));
    e.ingest(&spend("svc", NOON - HOUR, 0.01)); // exactly the limit is over
    assert_eq!(levels(&mut e, NOON - HOUR), (Over, Over));
    let s = e.snapshot(None);
    let b = budget(&s, "two warnings");
    assert!(close(b.percent, 100.0), "{b:?}");
    assert_eq!(b.exhausted_at, None, "no forecast once over");
}

#[test]
fn calendar_forecasts_match_hand_arithmetic() {
    let toml = |limit: u32| {
        format!(
            "[[budget]]\nname = \"b\"\nidentity = \"svc\"\nperiod = \"day\"\nlimit_usd = {limit}\n"
        )
    };
    let events = [
        spend("svc", NOON - 10 * HOUR, 5.0),
        spend("svc", NOON - 10 * MIN, 1.0),
        spend("svc", NOON - 5 * MIN, 2.0),
    ];
    let mut e = engine_with(&toml(20));
    events.iter().for_each(|ev| e.ingest(ev));
    let s = state_at(&mut e, NOON);
    let b = budget(&s, "b");
    // used = 5 + 1 + 2 = 8 of 20 = 40%; the last 15 minutes spent 1 + 2 = 3, so the burn
    // rate is 3 × 4 = $12/h; the $12 left last 12 / 12 = 1 h: out at 13:00. The day
    // (UTC) has 12 h left: projected = 8 + 12 × 12 = 152.
    assert_eq!(b.used, 8.0);
    assert!(close(b.percent, 40.0));
    assert!(close(b.burn_per_hour, 12.0), "{b:?}");
    assert_eq!(b.exhausted_at, Some(NOON + HOUR));
    assert!(close(b.projected, 152.0));
    assert_eq!(b.unit, BudgetUnit::Usd);
    let r = row(&s, "svc").budget.clone().expect("row budget");
    assert_eq!((r.name.as_str(), r.exhausted_at), ("b", Some(NOON + HOUR)));

    // With $200, the $192 left would last 16 h at $12/h: after midnight, when the day's
    // budget resets, so there is no exhaustion time.
    let mut e = engine_with(&toml(200));
    events.iter().for_each(|ev| e.ingest(ev));
    let b = budget(&state_at(&mut e, NOON), "b").clone();
    assert_eq!(b.exhausted_at, None);
    assert!(close(b.projected, 152.0));

    // Fifteen quiet minutes later the burn is 0: no forecast, and the projection is what
    // was used.
    let b = budget(&state_at(&mut e, NOON + 15 * MIN), "b").clone();
    assert_eq!(
        (b.burn_per_hour, b.exhausted_at, b.projected),
        (0.0, None, 8.0)
    );
}

/// While spend leaves a rolling window the share used falls: the alert says the share the
/// row says, not the peak's (the row read 127% beside an alert's 129%).
#[test]
fn an_over_budget_alert_says_the_share_the_row_says() {
    let mut e = engine_with(
        "[[budget]]\nname = \"bot hourly\"\nidentity = \"bot\"\nrolling = \"1h\"\nlimit_usd = 25\n",
    );
    e.ingest(&spend("bot", NOON, 10.0));
    e.ingest(&spend("bot", NOON + 10 * MIN, 26.0));
    for (t, share) in [(NOON + 10 * MIN, "144%"), (NOON + 61 * MIN, "104%")] {
        let s = state_at(&mut e, t);
        let percent = row(&s, "bot").budget.as_ref().expect("budget").percent;
        assert_eq!(format!("{percent:.0}%"), share);
        let alert = &s.alerts[0];
        assert!(
            alert
                .reason
                .starts_with(&format!("bot: over budget bot hourly, {share} used")),
            "{}",
            alert.reason
        );
        assert_eq!(alert.value, 36.0, "the peak's amount");
    }
}

#[test]
fn rolling_forecasts_count_spend_leaving_the_window() {
    let toml = |limit: f64| {
        format!("[[budget]]\nname = \"r\"\nall = true\nrolling = \"1h\"\nlimit_usd = {limit}\n")
    };
    let run = |limit: f64| {
        let mut e = engine_with(&toml(limit));
        e.ingest(&spend("svc", NOON - 50 * MIN, 6.0));
        e.ingest(&spend("svc", NOON - 10 * MIN, 3.0));
        budget(&state_at(&mut e, NOON), "r").clone()
    };
    // The window holds 6 + 3 = 9; the last 15 minutes spent 3: $12/h. The $6 leaves the
    // window 10 minutes from now (it is 50 minutes old), the $3 in 50 minutes.
    let b = run(10.0);
    assert_eq!((b.used, b.period.as_str()), (9.0, "rolling 1h"));
    assert!(close(b.burn_per_hour, 12.0));
    // Projected: what the window holds once the rate has filled it, 12 × 1 h.
    assert!(close(b.projected, 12.0));
    // $10: 1 more dollar at $12/h takes 5 minutes, before the $6 leaves.
    assert_eq!(b.exhausted_at, Some(NOON + 5 * MIN));
    // $12.50: by +10 min the window holds 9 + 2 = 11, then the $6 leaves (5); from
    // there 12.5 = 3 + 12 × t gives t = 47.5 min, before the $3 leaves at +50 min.
    // (Ignoring the drop-out would have said 17.5 min.)
    assert_eq!(run(12.5).exhausted_at, Some(NOON + 47 * MIN + 30_000));
    // $14: the window peaks at 3 + 12 × 50 / 60 = 13 before the $3 leaves, then settles
    // at 12: never.
    assert_eq!(run(14.0).exhausted_at, None);

    let mut e = engine_with(&toml(10.0));
    e.ingest(&spend("svc", NOON - 50 * MIN, 6.0));
    e.ingest(&spend("svc", NOON - 10 * MIN, 3.0));
    assert_eq!(budget(&state_at(&mut e, NOON + 11 * MIN), "r").used, 3.0);
}

const TEAMS: &str = r#"
[[identity]]
match = { identity = "svc-checkout" }
team = "payments"
labels = ["prod", "customer-facing"]

[[identity]]
match = { identity = "svc-refunds" }
team = "payments"
labels = ["prod"]

[[identity]]
match = { identity = "agent-*" }
kind = "agent"
team = "platform"
labels = ["agents"]

[[budget]]
name = "checkout daily"
identity = "svc-checkout"
period = "day"
limit_usd = 100

[[budget]]
name = "payments daily"
team = "payments"
period = "day"
limit_usd = 40

[[budget]]
name = "prod tokens"
label = "prod"
period = "month"
limit_tokens = 100000

[[budget]]
name = "claude"
model = "claude-*"
rolling = "24h"
limit_usd = 50

[[budget]]
name = "everything"
all = true
period = "day"
limit_usd = 1000
"#;

#[test]
fn several_budgets_per_identity_and_every_scope() {
    let mut e = engine_with(TEAMS);
    e.ingest(&spend("svc-checkout", NOON - 3 * HOUR, 30.0));
    e.ingest(&spend("svc-refunds", NOON - 2 * HOUR, 6.0));
    let mut claude = spend("agent-triage", NOON - HOUR, 20.0);
    claude.model = "claude-sonnet-4-5".into();
    e.ingest(&claude);
    e.ingest(&spend("loner", NOON - HOUR, 1.0));
    let s = state_at(&mut e, NOON);

    let b = |n| budget(&s, n);
    assert_eq!(b("checkout daily").used, 30.0);
    assert_eq!(b("payments daily").used, 36.0, "team: both members");
    assert_eq!(
        b("payments daily").members,
        vec!["svc-checkout", "svc-refunds"]
    );
    assert_eq!(
        b("payments daily").level,
        BudgetLevel::Warn,
        "36 of 40 = 90%"
    );
    // Label "prod": two requests of 1,000 + 100 tokens.
    assert_eq!(b("prod tokens").used, 2_200.0);
    assert_eq!(b("prod tokens").unit, BudgetUnit::Tokens);
    assert_eq!(b("claude").used, 20.0, "model: only the Claude request");
    assert_eq!(b("claude").members, vec!["agent-triage"]);
    assert_eq!(b("claude").scope, "model claude-*");
    assert_eq!(b("everything").used, 57.0);
    assert_eq!(b("everything").members.len(), 4);

    // svc-checkout is under four budgets; the tightest is the team's, at 90%.
    let r = row(&s, "svc-checkout");
    assert_eq!(r.team.as_deref(), Some("payments"));
    assert_eq!(r.labels, vec!["prod", "customer-facing"]);
    let tight = r.budget.as_ref().expect("budget");
    assert_eq!(tight.name, "payments daily");
    assert!(close(tight.percent, 90.0));
    assert_eq!(tight.level, BudgetLevel::Warn);
    // The agent's tightest is the model budget it used (40%), not everything's 5.7%.
    let agent = row(&s, "agent-triage");
    assert_eq!(
        agent.budget.as_ref().map(|b| (b.name.as_str(), b.shared)),
        Some(("claude", false)),
        "the agent alone used the model"
    );
    assert_eq!(agent.kind, tokentop::event::IdentityKind::Agent);
    assert!(tight.shared, "the team's budget is shared with svc-refunds");
    // An identity no rule names keeps its raw name and is only under `all`: the fleet's
    // budget is the header's, not the row's.
    let loner = row(&s, "loner");
    assert_eq!(loner.team, None);
    assert_eq!(loner.budget, None);

    // A day later the model budget's window has moved past the agent's request: the
    // agent is no longer among its members.
    let s = state_at(&mut e, NOON + 24 * HOUR);
    assert!(budget(&s, "claude").members.is_empty());
    assert_eq!(row(&s, "agent-triage").budget, None);
}

#[test]
fn a_larger_copy_replaces_the_smaller_in_budgets_too() {
    let mut e = engine_with(
        "[[budget]]\nname = \"p\"\nidentity = \"proj\"\nperiod = \"day\"\nlimit_tokens = 1000000\n",
    );
    e.ingest(&copy("proj", NOON - 3_000, "msg_1:req_1", 2, None, false));
    e.ingest(&copy("proj", NOON - 1_000, "msg_1:req_1", 250, None, true));
    let s = state_at(&mut e, NOON);
    // The final copy only: 10 input + 1,000 cache read + 250 output.
    assert_eq!(budget(&s, "p").used, 1_260.0);
    assert_eq!(row(&s, "proj").today.total_tokens(), 1_260);
}

#[test]
fn identities_are_mapped_by_exact_id_and_glob_first_rule_first() {
    let mut e = engine_with(
        r#"
[[identity]]
match = { api_key_id = "key_prod_web" }
name = "web (prod)"
kind = "api-key"
team = "web"
labels = ["prod"]

[[identity]]
match = { api_key_id = "key_batch_??" }
name = "batch jobs"
kind = "service-account"
team = "data"

[[identity]]
match = { api_key_id = "key_*" }
name = "other keys"

[[identity]]
match = { identity = "-home-dev-*", agent = "reviewer" }
name = "code reviewer"
kind = "agent"
"#,
    );
    let keyed = |key: &str, raw: &str| {
        let mut ev = spend(raw, NOON - MIN, 1.0);
        ev.attrs.api_key_id = Some(key.to_string());
        ev
    };
    e.ingest(&keyed("key_prod_web", "openai:unknown"));
    e.ingest(&keyed("key_batch_01", "raw-batch-1"));
    e.ingest(&keyed("key_batch_02", "raw-batch-2"));
    e.ingest(&keyed("key_batch_003", "raw-batch-3")); // three characters: not `??`
    let mut agent = spend("-home-dev-app", NOON - MIN, 1.0);
    agent.attrs.agent = Some("reviewer".into());
    e.ingest(&agent);
    e.ingest(&spend("-home-dev-app", NOON - MIN, 1.0)); // no agent: no match
    let s = state_at(&mut e, NOON);

    let mut names: Vec<&str> = s.identities.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "-home-dev-app",
            "batch jobs",
            "code reviewer",
            "other keys",
            "web (prod)"
        ]
    );
    let web = row(&s, "web (prod)");
    assert_eq!(web.kind, tokentop::event::IdentityKind::ApiKey);
    assert_eq!(
        (web.team.as_deref(), web.labels.clone()),
        (Some("web"), vec!["prod".to_string()])
    );
    let batch = row(&s, "batch jobs");
    assert_eq!(batch.totals.requests, 2, "two keys, one row");
    assert_eq!(batch.kind, tokentop::event::IdentityKind::ServiceAccount);
    assert_eq!(row(&s, "other keys").totals.requests, 1);
    assert_eq!(
        row(&s, "code reviewer").kind,
        tokentop::event::IdentityKind::Agent
    );
    assert!(s.budgets.is_empty());
}

#[test]
fn usd_budgets_count_the_requests_they_leave_unpriced_in_their_scope_and_period() {
    let mut e = engine_with(
        r#"
[[budget]]
name = "svc daily"
identity = "svc"
period = "day"
limit_usd = 10

[[budget]]
name = "svc hour"
identity = "svc"
rolling = "1h"
limit_usd = 10

[[budget]]
name = "svc tokens"
identity = "svc"
period = "day"
limit_tokens = 1000000
"#,
    );
    let unpriced = |identity: &str, time: TimeMs| {
        let mut e = event(identity, time, 1_000, 100);
        e.model = "acme-internal-llm-v2".into();
        e
    };
    e.ingest(&spend("svc", NOON - MIN, 2.0));
    e.ingest(&unpriced("svc", NOON - MIN));
    e.ingest(&unpriced("svc", NOON - 2 * HOUR)); // today, but out of the last hour
    e.ingest(&unpriced("svc", NOON - 13 * HOUR)); // yesterday
    e.ingest(&unpriced("lab", NOON - MIN)); // out of scope
    let s = state_at(&mut e, NOON);
    let counts: Vec<(f64, u64)> = ["svc daily", "svc hour", "svc tokens"]
        .iter()
        .map(|name| budget(&s, name))
        .map(|b| (b.used, b.unpriced_requests))
        .collect();
    assert_eq!(counts, [(2.0, 2), (2.0, 1), (3_300.0, 0)]);
}

#[test]
fn a_team_named_by_the_record_puts_its_identity_under_the_team_budget_unless_a_rule_says() {
    let mut e = engine_with(TEAMS);
    // OTLP resources and LiteLLM keys name their team on the record.
    let mut ada = spend("ada@example.com", NOON - HOUR, 10.0);
    ada.attrs.team = Some("payments".into());
    e.ingest(&ada);
    // A rule's team wins over the record's.
    let mut agent = spend("agent-triage", NOON - HOUR, 5.0);
    agent.attrs.team = Some("payments".into());
    e.ingest(&agent);
    let s = state_at(&mut e, NOON);
    assert_eq!(row(&s, "ada@example.com").team.as_deref(), Some("payments"));
    assert_eq!(row(&s, "agent-triage").team.as_deref(), Some("platform"));
    let team = budget(&s, "payments daily");
    assert_eq!(team.used, 10.0);
    assert_eq!(team.members, vec!["ada@example.com"]);
}

/// An agent's name is a label of every project it wrote logs for, so one budget takes all
/// of that agent's usage; a rule's own labels stay beside it, and other formats get none.
#[test]
fn a_budget_by_agent_label_takes_every_project_of_that_agent() {
    let toml = r#"
[[identity]]
match = { identity = "/srv/api" }
labels = ["prod"]

[[budget]]
name = "codex daily"
label = "codex"
period = "day"
limit_usd = 10
"#;
    let mut e = engine_with(toml);
    for (project, usd) in [("/srv/api", 2.0), ("/srv/web", 3.0)] {
        let mut codex = spend(project, NOON - HOUR, usd);
        codex.format = tokentop::event::Format::Codex;
        e.ingest(&codex);
    }
    e.ingest(&spend("svc-other", NOON - HOUR, 4.0));
    let s = state_at(&mut e, NOON);
    assert_eq!(budget(&s, "codex daily").used, 5.0);
    assert_eq!(
        budget(&s, "codex daily").members,
        vec!["/srv/api", "/srv/web"]
    );
    assert_eq!(row(&s, "/srv/api").labels, vec!["prod", "codex"]);
    assert_eq!(row(&s, "/srv/web").labels, vec!["codex"]);
    assert!(row(&s, "svc-other").labels.is_empty());
}
