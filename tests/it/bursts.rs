//! Burst detection and alert episodes, as scenarios: traffic with realistic noise from a
//! seeded generator, fed to the engine in time order with the clock advanced every few
//! seconds, as the live loop does.

use tokentop::engine::alerts::{Alert, AlertKind, Severity};
use tokentop::engine::burst::{BurstSettings, MinVolume};
use tokentop::engine::{ALL_IDENTITIES, Engine};
use tokentop::event::{Event, TimeMs, ToolCall};

use crate::budgets::{engine_with, spend};
use crate::common::{MIN, NOON, engine, event};

const HOUR: TimeMs = 60 * MIN;
/// The clock moves this often, as a live loop's ticks do.
const STEP: TimeMs = 5_000;

/// A small deterministic generator (splitmix64): the same traffic on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    /// In (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Exponential gaps: Poisson arrivals at `per_min`, in milliseconds.
    fn gap(&mut self, per_min: f64) -> TimeMs {
        (-self.uniform().ln() / per_min * MIN as f64).ceil() as TimeMs
    }

    /// Right-skewed sizes, like prompt and completion lengths.
    fn lognormal(&mut self, median: f64, sigma: f64) -> u64 {
        let (u, v) = (self.uniform(), self.uniform());
        let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        (median * (sigma * normal).exp()) as u64
    }
}

/// Requests of one identity (one session) from `from` to `to`, Poisson at `per_min(t)`,
/// with lognormal sizes and a tool call on a third of them.
fn traffic(
    rng: &mut Rng,
    name: &str,
    session: Option<&str>,
    (from, to): (TimeMs, TimeMs),
    per_min: impl Fn(TimeMs) -> f64,
) -> Vec<Event> {
    let mut out = Vec::new();
    let mut t = from;
    loop {
        t += rng.gap(per_min(t).max(0.01));
        if t >= to {
            return out;
        }
        let mut e = event(
            name,
            t,
            rng.lognormal(1_500.0, 0.6),
            rng.lognormal(200.0, 0.6),
        );
        e.attrs.session = session.map(str::to_string);
        if rng.uniform() < 0.33 {
            e.tools = vec![ToolCall::new(None, "search".into())];
        }
        out.push(e);
    }
}

/// Feeds `events` in time order, advancing the clock every [`STEP`] from `from` to `to`.
fn run(e: &mut Engine, mut events: Vec<Event>, from: TimeMs, to: TimeMs) {
    events.sort_by_key(|e| e.time);
    let mut events = events.into_iter().peekable();
    let mut t = from;
    while t <= to {
        while let Some(ev) = events.next_if(|ev| ev.time <= t) {
            e.ingest(&ev);
        }
        e.advance(t);
        t += STEP;
    }
}

fn alerts(e: &Engine, kind: AlertKind) -> Vec<Alert> {
    let mut all = e.snapshot(None).alerts;
    all.retain(|a| a.kind == kind);
    all.reverse();
    all
}

/// A service's daily swing: half again at the peak, half as much at night.
fn diurnal(base: f64) -> impl Fn(TimeMs) -> f64 {
    move |t| base * (1.0 + 0.5 * (std::f64::consts::TAU * t as f64 / (24 * HOUR) as f64).sin())
}

/// A coding agent: working sessions of 5-30 minutes at ~8 requests a minute (context
/// growing as it goes), idle gaps of 2-60 minutes between them.
fn coding_agent(rng: &mut Rng, name: &str, (from, to): (TimeMs, TimeMs)) -> Vec<Event> {
    let mut out = Vec::new();
    let mut t = from;
    let mut session = 0;
    while t < to {
        let length = 5 * MIN + (rng.uniform() * 25.0 * MIN as f64) as TimeMs;
        let id = format!("session-{session}");
        let mut burst = traffic(rng, name, Some(&id), (t, (t + length).min(to)), |_| 8.0);
        for (k, e) in burst.iter_mut().enumerate() {
            e.tokens.cache_read = 20_000 + 4_000 * k as u64 % 130_000;
        }
        out.extend(burst);
        t += length + 2 * MIN + (rng.uniform() * 58.0 * MIN as f64) as TimeMs;
        session += 1;
    }
    out
}

#[test]
fn steady_identities_stay_quiet_for_24_hours() {
    let mut e = engine();
    let mut rng = Rng::new(7);
    let day = (NOON, NOON + 24 * HOUR);
    let mut events = traffic(&mut rng, "svc-steady", None, day, diurnal(60.0));
    events.extend(traffic(&mut rng, "svc-small", None, day, diurnal(25.0)));
    events.extend(coding_agent(&mut rng, "agent-coding", day));
    let n = events.len();
    run(&mut e, events, day.0, day.1);
    let s = e.snapshot(None);
    assert_eq!(s.totals.requests, n as u64);
    assert!(s.alerts.is_empty(), "{:#?}", s.alerts);
}

#[test]
fn a_10x_burst_alarms_within_a_minute_and_its_episode_ends_when_it_stops() {
    let mut e = engine();
    let mut rng = Rng::new(11);
    let (start, burst, calm, end) = (
        NOON,
        NOON + 2 * HOUR,
        NOON + 2 * HOUR + 5 * MIN,
        NOON + 3 * HOUR,
    );
    let rate = move |t: TimeMs| {
        if (burst..calm).contains(&t) {
            300.0
        } else {
            30.0
        }
    };
    let events = traffic(&mut rng, "agent-loop-runner", None, (start, end), rate);
    run(&mut e, events, start, end);
    let found = alerts(&e, AlertKind::Burst);
    assert_eq!(found.len(), 1, "one alert for the episode: {found:#?}");
    let a = &found[0];
    assert_eq!(a.subject, "agent-loop-runner");
    assert_eq!(a.severity, Severity::Critical);
    assert!(
        a.started_at - burst <= MIN,
        "alarmed after {} s",
        (a.started_at - burst) / 1000
    );
    let ended = a.ended_at.expect("the episode ended");
    assert!(
        ended > calm && ended - calm <= 2 * MIN,
        "ended {} s after",
        (ended - calm) / 1000
    );
    let ratio = a.ratio.expect("a usual rate");
    assert!((7.0..14.0).contains(&ratio), "peak {ratio}x");
    assert!(a.reason.starts_with("agent-loop-runner: "), "{}", a.reason);
    assert!(
        a.reason.contains("x its usual") && a.reason.contains("(since 14:0"),
        "{}",
        a.reason
    );
    assert_eq!(e.snapshot(None).active_alerts.total(), 0);
    assert_eq!(
        alerts(&e, AlertKind::GlobalBurst),
        [],
        "one identity bursting alone makes no global burst"
    );
}

#[test]
fn a_new_identity_does_not_alarm_during_warm_up() {
    let mut e = engine();
    let mut rng = Rng::new(3);
    let (start, end) = (NOON, NOON + 2 * HOUR);
    // Ten minutes in, long before 30 minutes of history: a 10x burst for five minutes.
    let early = (start + 10 * MIN)..(start + 15 * MIN);
    let late = (start + 90 * MIN)..(start + 95 * MIN);
    let rate = move |t: TimeMs| {
        if early.contains(&t) || late.contains(&t) {
            300.0
        } else {
            30.0
        }
    };
    let events = traffic(&mut rng, "fresh-key", None, (start, end), rate);
    run(&mut e, events, start, end);
    let found = alerts(&e, AlertKind::Burst);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].started_at >= start + 90 * MIN,
        "only the burst after warm-up"
    );
}

#[test]
fn a_line_stamped_1970_warms_no_one() {
    let mut e = engine();
    let mut rng = Rng::new(29);
    let (start, end) = (NOON, NOON + 25 * MIN);
    // Ten minutes in, long before 30 minutes of its own history: a 10x burst.
    let burst = (start + 10 * MIN)..(start + 15 * MIN);
    let rate = move |t: TimeMs| if burst.contains(&t) { 300.0 } else { 30.0 };
    let mut events = traffic(&mut rng, "fresh-key", None, (start, end), rate);
    for i in 0..4 {
        let name = format!("svc-{i}");
        events.extend(traffic(&mut rng, &name, None, (start, end), |_| 30.0));
    }
    // One line of its own and one of another identity, both at the epoch.
    events.push(event("fresh-key", 0, 10, 10));
    events.push(event("stray", 0, 10, 10));
    run(&mut e, events, start, end);
    assert_eq!(alerts(&e, AlertKind::Burst), [], "still warming up");
    assert_eq!(
        alerts(&e, AlertKind::GlobalBurst),
        [],
        "no one is usual yet"
    );
}

#[test]
fn quiet_identities_do_not_alarm_under_the_minimum_volume() {
    let mut e = engine();
    let mut rng = Rng::new(5);
    let (start, end) = (NOON, NOON + 3 * HOUR);
    let spike = (start + 2 * HOUR)..(start + 2 * HOUR + 10 * MIN);
    let rate = move |t: TimeMs| if spike.contains(&t) { 12.0 } else { 1.2 };
    let events = traffic(&mut rng, "cron-job", None, (start, end), rate);
    run(&mut e, events, start, end);
    assert!(alerts(&e, AlertKind::Burst).is_empty());
}

#[test]
fn parallel_agents_under_one_identity_do_not_alarm() {
    let mut e = engine();
    let mut rng = Rng::new(13);
    let (start, fan_out, end) = (NOON, NOON + 2 * HOUR, NOON + 3 * HOUR);
    let mut events = traffic(&mut rng, "team-project", Some("s0"), (start, end), |_| 30.0);
    for s in ["s1", "s2", "s3"] {
        events.extend(traffic(
            &mut rng,
            "team-project",
            Some(s),
            (fan_out, end),
            |_| 30.0,
        ));
    }
    run(&mut e, events, start, end);
    let row = e.snapshot(None);
    let r = row
        .identities
        .iter()
        .find(|r| r.name == "team-project")
        .expect("row");
    assert!(r.rates.requests_per_min > 90.0, "four sessions at work");
    assert!(alerts(&e, AlertKind::Burst).is_empty());

    // The same volume from one session is a burst.
    let more = traffic(
        &mut rng,
        "team-project",
        Some("s0"),
        (end, end + 10 * MIN),
        |_| 120.0,
    );
    run(&mut e, more, end + STEP, end + 10 * MIN);
    let found = alerts(&e, AlertKind::Burst);
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn a_global_burst_is_every_identity_together() {
    let mut e = engine();
    let mut rng = Rng::new(17);
    let (start, flood, end) = (NOON, NOON + 2 * HOUR, NOON + 2 * HOUR + 10 * MIN);
    let mut events = Vec::new();
    for i in 0..6 {
        let name = format!("svc-{i}");
        events.extend(traffic(&mut rng, &name, None, (start, end), |_| 20.0));
    }
    // A key nobody has seen before, too new for a burst of its own, dwarfs them all.
    events.extend(traffic(&mut rng, "leaked-key", None, (flood, end), |_| {
        1_000.0
    }));
    run(&mut e, events, start, end);
    assert!(
        alerts(&e, AlertKind::Burst).is_empty(),
        "no identity is warm and bursting"
    );
    let global = alerts(&e, AlertKind::GlobalBurst);
    assert_eq!(global.len(), 1, "{global:#?}");
    assert_eq!(global[0].subject, ALL_IDENTITIES);
    assert_eq!(global[0].severity, Severity::Warn);
    assert!(global[0].started_at - flood <= MIN);
    assert!(
        global[0].reason.contains("over 7 identities"),
        "{}",
        global[0].reason
    );
}

/// A new project folder at work alone, after the rest of the fleet went quiet: nothing is
/// usual for the fleet right now, so there is no global baseline to burst over (it read
/// "global burst … over 1 identity, usually none").
#[test]
fn a_new_identity_alone_makes_no_global_burst() {
    let mut e = engine();
    let mut rng = Rng::new(31);
    let (start, quiet, fresh, end) = (NOON, NOON + 2 * HOUR, NOON + 3 * HOUR, NOON + 4 * HOUR);
    let mut events = traffic(&mut rng, "old-project", None, (start, quiet), |_| 20.0);
    events.extend(traffic(&mut rng, "new-project", None, (fresh, end), |_| {
        40.0
    }));
    run(&mut e, events, start, end);
    assert_eq!(alerts(&e, AlertKind::GlobalBurst), []);
    assert_eq!(alerts(&e, AlertKind::Burst), [], "still warming up");
}

#[test]
fn sensitivity_is_a_setting() {
    let run_with = |settings: BurstSettings| {
        let mut e = engine();
        e.set_burst_settings(settings);
        let mut rng = Rng::new(19);
        let (start, end) = (NOON, NOON + 2 * HOUR + 10 * MIN);
        let rate = move |t: TimeMs| if t >= start + 2 * HOUR { 75.0 } else { 30.0 };
        run(
            &mut e,
            traffic(&mut rng, "svc", None, (start, end), rate),
            start,
            end,
        );
        alerts(&e, AlertKind::Burst).len()
    };
    assert_eq!(run_with(BurstSettings::default()), 0, "2.5x is not 3x");
    let eager = BurstSettings {
        min_ratio: 2.0,
        sensitivity: 3.0,
        ..BurstSettings::default()
    };
    assert_eq!(run_with(eager), 1);
}

#[test]
fn the_config_s_bursts_table_sets_them() {
    let e = engine_with(
        "[bursts]\nsensitivity = 3.0\nmin_ratio = 2.0\nwarmup_minutes = 10\nmin_volume = { requests = 5.0 }\n",
    );
    let defaults = BurstSettings::default();
    let expected = BurstSettings {
        sensitivity: 3.0,
        min_ratio: 2.0,
        warmup_minutes: 10,
        min_volume: MinVolume {
            requests: 5.0,
            ..defaults.min_volume
        },
    };
    assert_eq!(e.burst_settings(), &expected);
}

#[test]
fn late_lines_for_closed_minutes_are_learnt_at_the_next_advance() {
    // A backfill: an hour of history arrives after the clock has already moved on.
    let mut e = engine();
    let mut rng = Rng::new(23);
    let now = NOON + 2 * HOUR;
    e.advance(now);
    let history = traffic(&mut rng, "svc", None, (now - 2 * HOUR, now), |_| 30.0);
    history.iter().for_each(|ev| e.ingest(ev));
    let burst = traffic(&mut rng, "svc", None, (now, now + MIN), |_| 300.0);
    run(&mut e, burst, now, now + MIN);
    let found = alerts(&e, AlertKind::Burst);
    assert_eq!(found.len(), 1, "warm at once: {found:#?}");
    assert!(found[0].signal.is_some());
}

#[test]
fn budget_alerts_are_episodes_too() {
    /// Spends `usd` a second before `t`, then moves the clock to `t`.
    fn at(e: &mut Engine, t: TimeMs, usd: f64) {
        e.ingest(&spend("svc-checkout", t - 1_000, usd));
        e.advance(t);
    }
    let mut e = engine_with(
        r#"
[[budget]]
name = "payments daily"
identity = "svc-checkout"
period = "day"
limit_usd = 50
"#,
    );
    at(&mut e, NOON, 30.0);
    at(&mut e, NOON + MIN, 11.0);
    at(&mut e, NOON + 2 * MIN, 4.0);
    at(&mut e, NOON + 3 * MIN, 7.0);
    let s = e.snapshot(None);
    assert_eq!(s.budgets[0].used, 52.0);
    assert_eq!((s.active_alerts.warn, s.active_alerts.critical), (1, 1));
    let warn = alerts(&e, AlertKind::BudgetWarn);
    assert_eq!(warn.len(), 1);
    assert!(
        warn[0]
            .reason
            .contains("svc-checkout: budget payments daily 90% used ($45.00 of $50.00 daily)"),
        "{}",
        warn[0].reason
    );
    assert_eq!(warn[0].identities, ["svc-checkout"]);
    let events = e.take_alert_events();
    assert_eq!(events.len(), 2, "two starts, no repeats");
    // The warning ends a minute after the budget went over; a new day ends the rest.
    let midnight = NOON + 12 * HOUR;
    at(&mut e, NOON + 4 * MIN, 0.0);
    assert_eq!(e.take_alert_events().len(), 1, "the warning ended");
    at(&mut e, midnight, 0.0);
    at(&mut e, midnight + MIN, 0.5);
    let s = e.snapshot(None);
    assert_eq!((s.budgets[0].used, s.active_alerts.total()), (0.5, 0));
    assert_eq!(e.take_alert_events().len(), 1, "the overspend ended");
    assert_eq!(warn[0].signal, None);
}
