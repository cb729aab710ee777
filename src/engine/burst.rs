//! Burst detection: is an identity working far faster than it usually does? Pure: the
//! minutes to learn from and the rates now come in as arguments.
//!
//! # The rule
//! Each identity is compared with itself on four rates: tokens, cost, requests and tool
//! calls per minute. The *current* rate is the last 60 seconds (5-second resolution). The
//! *usual* rate is worked out once per closed minute from the per-minute buckets of the
//! last hour, which the engine keeps anyway:
//!
//! - only *active* minutes count (at least one request): an agent that works in spurts is
//!   compared with its spurts, not with its idle minutes, and an identity back from a quiet
//!   night is compared with its working pace, not with the night;
//! - each minute's value is divided by the units (sessions or agents, see `units`) active
//!   in it, and the current rate by the units active now: four agents of one identity at
//!   the usual pace per agent are not a burst; one agent at four times its pace is;
//! - on a log scale, `ln(value + c)` (c a small pseudo-count per rate), the level is the
//!   median and the spread σ is 1.4826 × the median absolute deviation (MAD), floored at
//!   0.1 (10%) and, for counts, at Poisson's `√λ / (λ + 1)`.
//!
//! A rate bursts when, per unit, it is above `exp(level + sensitivity × σ) − c` *and* at
//! least `min_ratio` times the usual rate, *and* the raw rate reaches `min_volume` (quiet
//! identities never alarm over a handful of calls), once the identity is warm: its own
//! events have spanned `warmup_minutes` (see `warmup`), with at least
//! [`MIN_ACTIVE_MINUTES`] active minutes learnt. The threshold is thus a multiple of the
//! usual rate that grows with the identity's own variability: about 3x (`min_ratio`) for
//! a steady service, more for a coding agent.
//!
//! # Why median/MAD of logs over the minute ring rather than an EWMA
//! - Robust: the median ignores up to half the minutes, so a runaway that recurs (the
//!   demo's `agent-loop-runner` bursts in 2 minutes of every 10) stays unusual. A mean-based
//!   EWMA learns it: its mean is ~5x the quiet pace and its mean deviation larger still, so
//!   `mean + k·deviation` ends above the bursts.
//! - A log scale because usage swings by factors: in the real Claude Code logs under
//!   tests/, a session's busiest minute has 4-5x the tokens of its median minute (context
//!   grows, then compacts). On a linear scale such skew makes every busy minute an outlier.
//! - Late data costs nothing: the minute buckets already take late lines and larger copies
//!   of a response, and a baseline is worked out again (within [`STALE_EVERY_MS`]) when a
//!   line for a closed minute arrives. A backfill of history warms the baselines at once,
//!   and a slow reader never teaches the detector an empty minute; an EWMA folds each
//!   minute in once, for good.
//! - Memory: a detector adds two numbers per rate (the last good level and spread, kept
//!   when an identity has been idle for over an hour, so that it is compared with its last
//!   known pace when it comes back) and nothing per event. The price is time: logs and
//!   medians of at most 60 numbers per rate, per active identity, once a minute (about
//!   6 µs an identity in a release build: 60 ms a minute for 10,000 busy identities).
//!
//! The trade-off: a change of pace that lasts over half an hour becomes the new usual (the
//! median moves), and the burst episode ends. Budgets are there for sustained spend.
//!
//! Every identity together is checked too: see `fleet` for global bursts.
//!

pub use super::signal::{BurstSettings, MinVolume, Signal};
use crate::event::TimeMs;

/// A baseline is not trusted with fewer active minutes than this: a median of a handful
/// of minutes is noise.
pub const MIN_ACTIVE_MINUTES: usize = 10;
/// The closed minutes a baseline reads: the last hour.
pub const BASELINE_MINUTES: usize = 60;
/// Baselines made stale by late lines are worked out again at most this often.
pub const STALE_EVERY_MS: TimeMs = 5_000;
const MINUTE_MS: TimeMs = 60_000;
/// MAD × this estimates a standard deviation for normally distributed values.
const MAD_TO_SIGMA: f64 = 1.4826;
/// The spread (of logs) is never taken below this, about 10%: perfectly regular traffic
/// would otherwise alarm on any wobble.
const SPREAD_FLOOR: f64 = 0.1;

/// One closed minute as a baseline reads it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Minute {
    /// In [`Signal::ALL`] order.
    pub values: [f64; 4],
    /// Sessions or agents active in the minute (0 when the events name none).
    pub units: u32,
}

/// The usual rates of one identity, per unit, as logs (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Baseline {
    log_level: [f32; 4],
    log_spread: [f32; 4],
}

/// The median of `xs` (reordered in place); `xs` is not empty.
fn median(xs: &mut [f64]) -> f64 {
    let (mid, odd) = (xs.len() / 2, xs.len() % 2 == 1);
    let (lower, upper, _) = xs.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if odd {
        return upper;
    }
    let below = lower.iter().copied().fold(f64::MIN, f64::max);
    (below + upper) / 2.0
}

impl Baseline {
    /// The baseline of the active minutes among `minutes`, or `None` with fewer than
    /// [`MIN_ACTIVE_MINUTES`] of them.
    pub fn of(minutes: &[Minute]) -> Option<Baseline> {
        let mut logs = [[0.0f64; BASELINE_MINUTES]; 4];
        let mut n = 0;
        let requests = Signal::Requests.index();
        for m in minutes.iter().filter(|m| m.values[requests] > 0.0) {
            if n == BASELINE_MINUTES {
                break;
            }
            let units = f64::from(m.units.max(1));
            for signal in Signal::ALL {
                let per_unit = m.values[signal.index()] / units;
                logs[signal.index()][n] = (per_unit + signal.pseudo_count()).ln();
            }
            n += 1;
        }
        if n < MIN_ACTIVE_MINUTES {
            return None;
        }
        let mut baseline = Baseline {
            log_level: [0.0; 4],
            log_spread: [0.0; 4],
        };
        for signal in Signal::ALL {
            let ys = &mut logs[signal.index()][..n];
            let level = median(ys);
            ys.iter_mut().for_each(|y| *y = (*y - level).abs());
            let mut spread = (median(ys) * MAD_TO_SIGMA).max(SPREAD_FLOOR);
            if signal.counts() {
                let lambda = (level.exp() - signal.pseudo_count()).max(0.0);
                spread = spread.max(lambda.sqrt() / (lambda + 1.0));
            }
            baseline.log_level[signal.index()] = level as f32;
            baseline.log_spread[signal.index()] = spread as f32;
        }
        Some(baseline)
    }

    /// The usual rate per unit (the median active minute).
    pub fn level(&self, signal: Signal) -> f64 {
        let log = f64::from(self.log_level[signal.index()]);
        (log.exp() - signal.pseudo_count()).max(0.0)
    }

    /// The spread of the logs: 0.5 means the rate usually swings by a factor of e^0.5.
    pub fn log_spread(&self, signal: Signal) -> f64 {
        f64::from(self.log_spread[signal.index()])
    }

    /// The rate per unit above which `signal` bursts.
    pub fn threshold(&self, signal: Signal, settings: &BurstSettings) -> f64 {
        let log = f64::from(self.log_level[signal.index()]);
        let far =
            (log + settings.sensitivity * self.log_spread(signal)).exp() - signal.pseudo_count();
        far.max(settings.min_ratio * self.level(signal))
    }
}

/// One rate far above its usual, at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Burst {
    pub signal: Signal,
    /// The rate now, every unit together.
    pub value: f64,
    /// The rate now per active unit: what is compared.
    pub per_unit: f64,
    /// Units active now (0: the events name none).
    pub units: u32,
    /// The usual rate per unit.
    pub level: f64,
    pub threshold: f64,
}

/// Who bursts, for the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject<'a> {
    /// One identity, whose units are sessions.
    Identity(&'a str),
    /// Every identity together (named by `subject`), whose units are identities.
    All(&'a str),
}

fn times(r: f64) -> String {
    // 9.96 reads "10x", not "10.0x".
    if r >= 9.95 {
        format!("{r:.0}x")
    } else {
        format!("{r:.1}x")
    }
}

impl Burst {
    /// How far past its threshold: picks the rate an alert names, and an episode's peak.
    pub fn margin(&self) -> f64 {
        self.per_unit / self.threshold.max(f64::MIN_POSITIVE)
    }

    /// Times the usual rate, when there is a usual rate at all.
    pub fn ratio(&self) -> Option<f64> {
        (self.level > 0.0).then(|| self.per_unit / self.level)
    }

    /// One line for a person: `agent-loop-runner: 412 req/min, 14x its usual 29/min`.
    pub fn reason(&self, subject: Subject) -> String {
        let s = self.signal;
        let usual = match self.ratio() {
            Some(r) => format!("{} {{whose}} usual {}", times(r), s.short(self.level)),
            None => "usually none".to_string(),
        };
        match subject {
            Subject::Identity(name) if self.units > 1 => {
                let usual = usual.replace("{whose}", "its");
                let per = if self.level > 0.0 { " per session" } else { "" };
                let n = self.units;
                format!(
                    "{name}: {} over {n} sessions, {usual}{per}",
                    s.rate(self.value)
                )
            }
            Subject::Identity(name) => {
                let usual = usual.replace("{whose}", "its");
                format!("{name}: {}, {usual}", s.rate(self.value))
            }
            Subject::All(name) => {
                let usual = usual.replace("{whose}", "their");
                let n = self.units;
                let many = if n == 1 { "identity" } else { "identities" };
                format!("{name}: {} over {n} {many}, {usual}", s.rate(self.value))
            }
        }
    }
}

/// The baseline of one identity (or of all of them) and when it was worked out.
#[derive(Clone, Debug, Default)]
pub struct Detector {
    baseline: Option<Baseline>,
    /// When (engine time) the baseline was last worked out.
    worked_at: Option<TimeMs>,
    /// A line arrived for a minute the baseline has already read.
    stale: bool,
}

impl Detector {
    /// Whether the baseline should be worked out again at `now`: a minute has closed since,
    /// or lines arrived for closed minutes and [`STALE_EVERY_MS`] has passed (a backfill
    /// makes every identity stale on every batch: once in a while is enough).
    pub fn due(&self, now: TimeMs) -> bool {
        let Some(worked_at) = self.worked_at else {
            return true;
        };
        worked_at.div_euclid(MINUTE_MS) != now.div_euclid(MINUTE_MS)
            || (self.stale && now - worked_at >= STALE_EVERY_MS)
    }

    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// Works the baseline out from the closed minutes before `now`; with too few active
    /// minutes the last good baseline stays.
    pub fn refresh(&mut self, now: TimeMs, minutes: &[Minute]) {
        if let Some(baseline) = Baseline::of(minutes) {
            self.baseline = Some(baseline);
        }
        self.skip(now);
    }

    /// Notes that nothing new can be learnt at `now` (no data in the last hour).
    pub fn skip(&mut self, now: TimeMs) {
        self.worked_at = Some(now);
        self.stale = false;
    }

    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    /// The usual rates and the thresholds with `units` active, once warm: what this
    /// identity adds to the global expectation.
    pub fn usual(
        &self,
        settings: &BurstSettings,
        warm: bool,
        units: u32,
    ) -> Option<([f64; 4], [f64; 4])> {
        let baseline = self.baseline.as_ref().filter(|_| warm)?;
        let u = f64::from(units.max(1));
        Some((
            Signal::ALL.map(|s| baseline.level(s) * u),
            Signal::ALL.map(|s| baseline.threshold(s, settings) * u),
        ))
    }

    /// The rate furthest past its threshold, if any is, given the rates of the last
    /// minute (in [`Signal::ALL`] order) and the units active in it. A cold identity
    /// (`warm` false) never bursts.
    pub fn check(
        &self,
        settings: &BurstSettings,
        warm: bool,
        now: [f64; 4],
        units: u32,
    ) -> Option<Burst> {
        let baseline = self.baseline.as_ref().filter(|_| warm)?;
        let per = f64::from(units.max(1));
        Signal::ALL
            .iter()
            .filter_map(|&signal| {
                let value = now[signal.index()];
                let threshold = baseline.threshold(signal, settings);
                let burst = Burst {
                    signal,
                    value,
                    per_unit: value / per,
                    units,
                    level: baseline.level(signal),
                    threshold,
                };
                (value >= settings.min_volume.of(signal) && burst.per_unit > threshold)
                    .then_some(burst)
            })
            .max_by(|a, b| a.margin().total_cmp(&b.margin()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady(requests: f64, n: usize) -> Vec<Minute> {
        (0..n)
            .map(|i| Minute {
                values: [
                    requests * 1000.0,
                    requests * 0.01,
                    requests + (i % 5) as f64 - 2.0,
                    0.0,
                ],
                units: 1,
            })
            .collect()
    }

    fn rates(requests: f64) -> [f64; 4] {
        [requests * 1000.0, requests * 0.01, requests, 0.0]
    }

    #[test]
    fn medians_of_odd_and_even_lengths() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [7.0]), 7.0);
    }

    #[test]
    fn the_median_ignores_a_recurring_burst_and_idle_minutes() {
        let mut minutes = steady(30.0, 40);
        for m in minutes.iter_mut().step_by(5) {
            m.values = rates(400.0);
        }
        minutes.extend(std::iter::repeat_n(Minute::default(), 20));
        let b = Baseline::of(&minutes).expect("enough active minutes");
        let level = b.level(Signal::Requests);
        assert!((29.0..=31.5).contains(&level), "{level}");
        let settings = BurstSettings::default();
        let threshold = b.threshold(Signal::Requests, &settings);
        assert!((90.0..=120.0).contains(&threshold), "{threshold}");
    }

    #[test]
    fn too_few_active_minutes_keep_the_last_good_baseline() {
        assert_eq!(Baseline::of(&steady(30.0, MIN_ACTIVE_MINUTES - 1)), None);
        let mut d = Detector::default();
        assert!(d.due(0));
        d.refresh(100 * MINUTE_MS, &steady(30.0, 30));
        let before = d.baseline().copied();
        let t = 200 * MINUTE_MS;
        d.refresh(t, &[Minute::default(); 60]);
        assert_eq!(d.baseline().copied(), before);
        assert!(!d.due(t + 59_000) && d.due(t + MINUTE_MS));
        d.mark_stale();
        assert!(!d.due(t + 1_000) && d.due(t + STALE_EVERY_MS));
    }

    #[test]
    fn bursts_need_warmth_volume_ratio_and_distance() {
        let settings = BurstSettings::default();
        let mut d = Detector::default();
        d.refresh(100 * MINUTE_MS, &steady(30.0, 60));
        assert_eq!(d.check(&settings, true, rates(35.0), 1), None);
        let burst = d
            .check(&settings, true, rates(300.0), 1)
            .expect("a 10x burst");
        assert_eq!(burst.ratio().map(f64::round), Some(10.0));
        assert_eq!(d.check(&settings, false, rates(300.0), 1), None, "cold");
        let mut quiet = Detector::default();
        quiet.refresh(100 * MINUTE_MS, &steady(2.0, 60));
        assert_eq!(
            quiet.check(&settings, true, [0.0, 0.0, 19.0, 0.0], 1),
            None,
            "under the minimum volume"
        );
    }

    #[test]
    fn parallel_units_at_the_usual_pace_are_not_a_burst() {
        let settings = BurstSettings::default();
        let mut d = Detector::default();
        d.refresh(100 * MINUTE_MS, &steady(30.0, 60));
        assert_eq!(d.check(&settings, true, rates(120.0), 4), None);
        assert!(
            d.check(&settings, true, rates(120.0), 1).is_some(),
            "one unit at 4x"
        );
    }

    #[test]
    fn reasons_read_at_3_am() {
        let burst = Burst {
            signal: Signal::Requests,
            value: 412.0,
            per_unit: 412.0,
            units: 1,
            level: 29.0,
            threshold: 87.0,
        };
        let naming = Subject::Identity("agent-loop-runner");
        assert_eq!(
            burst.reason(naming),
            "agent-loop-runner: 412 req/min, 14x its usual 29/min"
        );
        let spread = Burst {
            units: 4,
            per_unit: 103.0,
            ..burst
        };
        assert_eq!(
            spread.reason(naming),
            "agent-loop-runner: 412 req/min over 4 sessions, 3.6x its usual 29/min per session"
        );
        let tools = Burst {
            signal: Signal::ToolCalls,
            value: 25.0,
            per_unit: 25.0,
            level: 0.0,
            threshold: 0.0,
            units: 0,
        };
        assert_eq!(
            tools.reason(naming),
            "agent-loop-runner: 25 tool calls/min, usually none"
        );
        let all = Burst { units: 7, ..burst };
        assert_eq!(
            all.reason(Subject::All("all identities")),
            "all identities: 412 req/min over 7 identities, 14x their usual 29/min"
        );
    }
}
