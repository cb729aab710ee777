use super::*;
use crate::parse::provider::Provider;
use crate::timefmt::parse_rfc3339_ms;

const MINUTE: TimeMs = 60_000;
const INTERVAL: TimeMs = 60_000;

fn t(s: &str) -> TimeMs {
    parse_rfc3339_ms(s).unwrap()
}

fn jobs(plan: &Plan) -> Vec<Job> {
    plan.due.iter().map(|f| f.job).collect()
}

fn range_of(plan: &Plan, job: Job) -> (TimeMs, TimeMs) {
    plan.due.iter().find(|f| f.job == job).unwrap().range
}

/// Plans at `now` and records every due read as made then, as the poller does.
fn round(known: &mut Known, now: TimeMs) -> Plan {
    let plan = plan(now, INTERVAL, known);
    for f in &plan.due {
        known.read(f.job, now);
    }
    plan
}

fn stored(family: Family, width: Width, fetched_at: TimeMs) -> ProviderUpdate {
    ProviderUpdate {
        provider: Provider::OpenAi,
        family,
        width,
        range: (fetched_at - DAY_MS, fetched_at),
        fetched_at,
        buckets: Vec::new(),
    }
}

#[test]
fn a_first_start_backfills_the_month_and_today_then_polls_minutes() {
    let now = t("2026-08-15T10:20:00Z");
    let plan = plan(now, INTERVAL, &Known::default());
    assert_eq!(jobs(&plan), Job::ALL);
    let widths: Vec<(Family, Width)> = plan.due.iter().map(|f| (f.family, f.width)).collect();
    assert_eq!(
        widths,
        [
            (Family::Usage, Width::Day),
            (Family::Cost, Width::Day),
            (Family::Usage, Width::Hour),
            (Family::Usage, Width::Minute),
        ]
    );
    let month = (t("2026-08-01T00:00:00Z"), now);
    assert_eq!(range_of(&plan, Job::MonthUsage), month);
    assert_eq!(range_of(&plan, Job::MonthCost), month);
    assert_eq!(
        range_of(&plan, Job::TodayHours),
        (t("2026-08-15T00:00:00Z"), now)
    );
    assert_eq!(
        range_of(&plan, Job::RecentMinutes),
        (t("2026-08-15T10:00:00Z"), now)
    );
    assert_eq!(plan.next, now + INTERVAL);
}

#[test]
fn minutes_reach_into_the_previous_hour_during_its_first_ten_minutes() {
    let cases = [
        ("2026-08-15T10:09:59Z", "2026-08-15T09:00:00Z"),
        ("2026-08-15T10:10:00Z", "2026-08-15T10:00:00Z"),
        ("2026-08-15T00:03:00Z", "2026-08-14T23:00:00Z"),
    ];
    for (now, start) in cases {
        assert_eq!(
            Job::RecentMinutes.range(t(now)),
            (t(start), t(now)),
            "{now}"
        );
    }
}

#[test]
fn later_rounds_poll_only_minutes_until_a_boundary() {
    let mut known = Known::default();
    let start = t("2026-08-15T10:20:30Z");
    round(&mut known, start);
    let plan = round(&mut known, start + INTERVAL);
    assert_eq!(jobs(&plan), [Job::RecentMinutes]);
    assert_eq!(plan.next, start + 2 * INTERVAL);
    // Nothing is due before its time.
    assert!(plan_at(&known, start + INTERVAL + 1).due.is_empty());
}

fn plan_at(known: &Known, now: TimeMs) -> Plan {
    plan(now, INTERVAL, known)
}

#[test]
fn the_hour_just_ended_is_read_whole_right_after_the_boundary() {
    let mut known = Known::default();
    let mut now = t("2026-08-15T10:20:30Z");
    round(&mut known, now);
    for _ in 0..39 {
        now += INTERVAL;
        assert_eq!(jobs(&round(&mut known, now)), [Job::RecentMinutes]);
    }
    assert_eq!(now, t("2026-08-15T10:59:30Z"));
    // The next wake-up is the boundary itself, not the next minute poll.
    let boundary = t("2026-08-15T11:00:00Z");
    assert_eq!(plan_at(&known, now + 1).next, boundary);
    let plan = round(&mut known, boundary);
    assert_eq!(jobs(&plan), [Job::TodayHours]);
    assert_eq!(
        range_of(&plan, Job::TodayHours),
        (t("2026-08-15T00:00:00Z"), boundary)
    );
    assert_eq!(plan.next, now + INTERVAL);
    // The month comes round again an hour after it was read, with the minutes.
    let plan = round(&mut known, t("2026-08-15T11:20:30Z"));
    assert_eq!(
        jobs(&plan),
        [Job::MonthUsage, Job::MonthCost, Job::RecentMinutes]
    );
}

#[test]
fn right_after_midnight_yesterday_is_read_again_in_days_and_hours() {
    let mut known = Known::default();
    let before = t("2026-08-14T23:59:30Z");
    round(&mut known, before);
    let midnight = t("2026-08-15T00:00:00Z");
    assert_eq!(plan_at(&known, before + 1).next, midnight);
    let plan = round(&mut known, midnight);
    assert_eq!(
        jobs(&plan),
        [Job::MonthUsage, Job::MonthCost, Job::TodayHours]
    );
    assert_eq!(
        range_of(&plan, Job::MonthUsage),
        (t("2026-08-01T00:00:00Z"), midnight)
    );
    assert_eq!(
        range_of(&plan, Job::TodayHours),
        (t("2026-08-14T23:00:00Z"), midnight)
    );
}

#[test]
fn on_the_first_of_a_month_the_last_day_of_the_previous_one_is_still_read() {
    let now = t("2026-09-01T00:00:30Z");
    let plan = plan(now, INTERVAL, &Known::default());
    let yesterday = (t("2026-08-31T00:00:00Z"), now);
    assert_eq!(range_of(&plan, Job::MonthUsage), yesterday);
    assert_eq!(range_of(&plan, Job::MonthCost), yesterday);
    assert_eq!(
        Job::MonthCost.range(t("2026-09-02T05:00:00Z")).0,
        t("2026-09-01T00:00:00Z")
    );
    assert_eq!(
        crate::timefmt::utc_month_start(t("2026-02-28T23:59:59Z")),
        t("2026-02-01T00:00:00Z")
    );
}

#[test]
fn a_restart_with_a_fresh_store_skips_the_backfill() {
    let now = t("2026-08-15T10:20:00Z");
    let restored = [
        stored(Family::Usage, Width::Day, now - 20 * MINUTE),
        stored(Family::Cost, Width::Day, now - 20 * MINUTE),
        stored(Family::Usage, Width::Hour, now - 30_000),
        stored(Family::Usage, Width::Minute, now - 30_000),
    ];
    let known = Known::restored(&restored, now, INTERVAL);
    let plan = plan_at(&known, now);
    assert!(plan.due.is_empty(), "{plan:?}");
    assert_eq!(plan.next, now + 30_000);
    assert_eq!(jobs(&plan_at(&known, now + 30_000)), [Job::RecentMinutes]);
    // Today's hours wait for the boundary; the month, for an hour after its stored read.
    assert_eq!(
        jobs(&plan_at(&known, now + 39 * MINUTE + 59_000)),
        [Job::RecentMinutes]
    );
    assert_eq!(
        jobs(&plan_at(&known, now + 40 * MINUTE)),
        [
            Job::MonthUsage,
            Job::MonthCost,
            Job::TodayHours,
            Job::RecentMinutes
        ]
    );
}

#[test]
fn a_stale_store_backfills_what_is_stale() {
    let now = t("2026-08-15T10:20:00Z");
    let restored = [
        // An hour and more: the month again.
        stored(Family::Usage, Width::Day, now - 61 * MINUTE),
        // Yesterday's: the day has ended since, so the month again.
        stored(Family::Cost, Width::Day, t("2026-08-14T23:50:00Z")),
        // This hour, but older than the interval: today's hours again.
        stored(Family::Usage, Width::Hour, now - 5 * MINUTE),
        stored(Family::Usage, Width::Minute, now - 5 * MINUTE),
    ];
    let plan = plan_at(&Known::restored(&restored, now, INTERVAL), now);
    assert_eq!(jobs(&plan), Job::ALL);
}

#[test]
fn the_latest_stored_read_counts_and_a_future_one_is_not_trusted() {
    let now = t("2026-08-15T10:20:00Z");
    let restored = [
        stored(Family::Usage, Width::Day, now - 3 * HOUR_MS),
        stored(Family::Usage, Width::Day, now - 10 * MINUTE),
        stored(Family::Cost, Width::Day, now + HOUR_MS),
    ];
    let known = Known::restored(&restored, now, INTERVAL);
    assert_eq!(known.last(Job::MonthUsage), Some(now - 10 * MINUTE));
    let plan = plan_at(&known, now);
    assert_eq!(
        jobs(&plan),
        [Job::MonthCost, Job::TodayHours, Job::RecentMinutes]
    );
}

#[test]
fn a_failed_read_is_tried_again_one_interval_later() {
    let mut known = Known::default();
    round(&mut known, t("2026-08-15T10:59:00Z"));
    let boundary = t("2026-08-15T11:00:00Z");
    assert_eq!(
        jobs(&plan_at(&known, boundary)),
        [Job::TodayHours, Job::RecentMinutes]
    );
    known.failed(Job::TodayHours, boundary);
    known.read(Job::RecentMinutes, boundary);
    let plan = plan_at(&known, boundary + 1);
    assert!(plan.due.is_empty(), "{plan:?}");
    assert_eq!(plan.next, boundary + INTERVAL);
    let retry = plan_at(&known, boundary + INTERVAL);
    assert_eq!(jobs(&retry), [Job::TodayHours, Job::RecentMinutes]);
    // Once read, it waits for the next boundary again.
    known.read(Job::TodayHours, boundary + INTERVAL);
    known.read(Job::RecentMinutes, boundary + INTERVAL);
    let later = plan_at(&known, boundary + 2 * INTERVAL);
    assert_eq!(jobs(&later), [Job::RecentMinutes]);
}

#[test]
fn updates_map_onto_their_jobs() {
    for job in Job::ALL {
        assert_eq!(Job::of(job.family(), job.width()), job);
    }
    assert_eq!(Job::of(Family::Cost, Width::Minute), Job::MonthCost);
}
