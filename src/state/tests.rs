mod kept;
mod open;

use super::*;
use crate::engine::providers::ProviderLedger;
use crate::event::{TimeMs, Tokens};
use crate::parse::provider::{Family, Provider, ProviderBucket, ProviderUpdate, Report, Width};

const M: TimeMs = 60_000;
const H: TimeMs = 3_600_000;
const D: TimeMs = 86_400_000;
/// 2026-12-07T00:00Z, a day's start.
const DAY0: TimeMs = 1_796_601_600_000;

fn bucket(
    provider: Provider,
    report: Report,
    start: TimeMs,
    width: Width,
    model: &str,
    input: u64,
) -> ProviderBucket {
    ProviderBucket {
        provider,
        report,
        start,
        end: start + width.ms(),
        api_key_id: Some("key_a1".into()),
        project: Some("proj_1".into()),
        user: (report == Report::ClaudeCode).then(|| "dev@example.com".into()),
        model: Some(model.into()),
        service_tier: None,
        tokens: Tokens {
            input,
            cache_read: input / 2,
            cache_write_5m: 3,
            cache_write_1h: 4,
            output: input / 10,
            reasoning: 1,
        },
        requests: (provider == Provider::OpenAi).then_some(input / 100),
        billed_usd: (report == Report::Cost).then_some(input as f64 / 1000.0),
    }
}

fn update(
    provider: Provider,
    family: Family,
    width: Width,
    range: (TimeMs, TimeMs),
    fetched_at: TimeMs,
    buckets: Vec<ProviderBucket>,
) -> ProviderUpdate {
    ProviderUpdate {
        provider,
        family,
        width,
        range,
        fetched_at,
        buckets,
    }
}

/// Buckets of `[from, to)` in `width`, one per slot, `input` growing with the slot.
fn series(
    provider: Provider,
    report: Report,
    width: Width,
    from: TimeMs,
    to: TimeMs,
    model: &str,
) -> Vec<ProviderBucket> {
    (0..)
        .map(|i| from + i * width.ms())
        .take_while(|&s| s < to)
        .map(|s| {
            bucket(
                provider,
                report,
                s,
                width,
                model,
                1000 + ((s - from) / width.ms()) as u64,
            )
        })
        .collect()
}

/// A morning of polls: the week in days, today in hours, the last half hour in minutes,
/// bills, and re-polls that change and drop buckets.
fn polls() -> Vec<ProviderUpdate> {
    use {Family::*, Provider::*, Width::*};
    let now = DAY0 + 10 * H + 30 * M;
    let mut day_usage = series(OpenAi, Report::Usage, Day, DAY0 - 5 * D, DAY0 + D, "gpt-5");
    day_usage.push(bucket(
        OpenAi,
        Report::Usage,
        DAY0 - D,
        Day,
        "gpt-5-mini",
        77,
    ));
    // A provider answering outside what was asked replaces nothing.
    day_usage.push(bucket(
        OpenAi,
        Report::Usage,
        DAY0 - 9 * D,
        Day,
        "gpt-5",
        99,
    ));
    let mut hours = series(
        OpenAi,
        Report::Usage,
        Hour,
        DAY0 - D,
        DAY0 + 11 * H,
        "gpt-5",
    );
    hours.push(bucket(
        OpenAi,
        Report::Usage,
        DAY0 + 9 * H,
        Hour,
        "to-be-dropped",
        5,
    ));
    let mut anthropic_days = series(
        Anthropic,
        Report::Usage,
        Day,
        DAY0 - 3 * D,
        DAY0 + D,
        "claude-opus-4-5",
    );
    anthropic_days.push(bucket(
        Anthropic,
        Report::ClaudeCode,
        DAY0,
        Day,
        "claude-opus-4-5",
        400,
    ));
    vec![
        update(OpenAi, Usage, Day, (DAY0 - 5 * D, DAY0 + D), now, day_usage),
        update(OpenAi, Usage, Hour, (DAY0 - D, DAY0 + 11 * H), now, hours),
        update(
            OpenAi,
            Usage,
            Minute,
            (DAY0 + 10 * H, DAY0 + 10 * H + 31 * M),
            now,
            series(
                OpenAi,
                Report::Usage,
                Minute,
                DAY0 + 10 * H,
                DAY0 + 10 * H + 31 * M,
                "gpt-5",
            ),
        ),
        update(
            OpenAi,
            Cost,
            Day,
            (DAY0 - 5 * D, DAY0 + D),
            now,
            series(OpenAi, Report::Cost, Day, DAY0 - 5 * D, DAY0 + D, "gpt-5"),
        ),
        update(
            Anthropic,
            Usage,
            Day,
            (DAY0 - 3 * D, DAY0 + D),
            now,
            anthropic_days,
        ),
        update(
            Anthropic,
            Usage,
            Hour,
            (DAY0, DAY0 + 11 * H),
            now,
            series(
                Anthropic,
                Report::Usage,
                Hour,
                DAY0 + 2 * H,
                DAY0 + 11 * H,
                "claude-opus-4-5",
            ),
        ),
        // Re-polls five minutes later: hour 9 lost its second model, hour 10 changed.
        update(
            OpenAi,
            Usage,
            Hour,
            (DAY0 + 9 * H, DAY0 + 11 * H),
            now + 5 * M,
            vec![
                bucket(OpenAi, Report::Usage, DAY0 + 9 * H, Hour, "gpt-5", 2000),
                bucket(OpenAi, Report::Usage, DAY0 + 10 * H, Hour, "gpt-5", 3000),
            ],
        ),
        // Minutes overlapping the last poll, one of them now empty.
        update(
            OpenAi,
            Usage,
            Minute,
            (DAY0 + 10 * H + 25 * M, DAY0 + 10 * H + 36 * M),
            now + 5 * M,
            series(
                OpenAi,
                Report::Usage,
                Minute,
                DAY0 + 10 * H + 26 * M,
                DAY0 + 10 * H + 36 * M,
                "gpt-5",
            ),
        ),
        // Yesterday read again after it ended: its day bucket now describes it.
        update(
            OpenAi,
            Usage,
            Day,
            (DAY0 - D, DAY0),
            now + 5 * M,
            vec![bucket(OpenAi, Report::Usage, DAY0 - D, Day, "gpt-5", 9000)],
        ),
        // A bill read in hours is kept by day, as the ledger keeps it.
        update(
            Anthropic,
            Cost,
            Hour,
            (DAY0, DAY0 + 11 * H),
            now + 5 * M,
            vec![bucket(
                Anthropic,
                Report::Cost,
                DAY0,
                Day,
                "claude-opus-4-5",
                1234,
            )],
        ),
    ]
}

/// What a ledger shows, in one order, owned.
fn effective(ledger: &ProviderLedger) -> Vec<ProviderBucket> {
    let mut all: Vec<ProviderBucket> = ledger.effective().into_iter().cloned().collect();
    all.sort_by_key(|b| format!("{b:?}"));
    all
}

fn ledger_of(updates: impl IntoIterator<Item = ProviderUpdate>) -> ProviderLedger {
    let mut ledger = ProviderLedger::default();
    for u in updates {
        ledger.apply(u);
    }
    ledger
}

fn temp_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokentop").join("state.db");
    (dir, path)
}

#[test]
fn a_reopened_store_rebuilds_the_ledger_it_was_fed() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    for u in polls() {
        store.save(&u).expect("save");
    }
    drop(store);
    let loaded = Store::open(&path)
        .expect("reopen")
        .load(TimeMs::MIN)
        .expect("load");

    let direct = effective(&ledger_of(polls()));
    let rebuilt = effective(&ledger_of(loaded.clone()));
    assert!(
        direct.len() > 20,
        "the scenario shows buckets: {}",
        direct.len()
    );
    assert_eq!(rebuilt, direct);
    assert!(
        !rebuilt
            .iter()
            .any(|b| b.model.as_deref() == Some("to-be-dropped"))
    );
    let yesterday: Vec<u64> = rebuilt
        .iter()
        .filter(|b| {
            b.provider == Provider::OpenAi && b.report == Report::Usage && b.start == DAY0 - D
        })
        .map(|b| b.tokens.input)
        .collect();
    assert_eq!(
        yesterday,
        vec![9000],
        "yesterday from its re-read day bucket"
    );

    // Runs of slots read together come back as one update each, never overlapping.
    let minutes: Vec<((TimeMs, TimeMs), TimeMs)> = loaded
        .iter()
        .filter(|u| u.provider == Provider::OpenAi && u.width == Width::Minute)
        .map(|u| (u.range, u.fetched_at))
        .collect();
    let now = DAY0 + 10 * H + 30 * M;
    assert_eq!(
        minutes,
        vec![
            ((DAY0 + 10 * H, DAY0 + 10 * H + 25 * M), now),
            (
                (DAY0 + 10 * H + 25 * M, DAY0 + 10 * H + 36 * M),
                now + 5 * M
            ),
        ]
    );
    let anthropic_cost: Vec<(Width, (TimeMs, TimeMs))> = loaded
        .iter()
        .filter(|u| u.provider == Provider::Anthropic && u.family == Family::Cost)
        .map(|u| (u.width, u.range))
        .collect();
    assert_eq!(anthropic_cost, vec![(Width::Day, (DAY0, DAY0 + D))]);
}

#[test]
fn load_since_leaves_out_earlier_slots_and_their_buckets() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    for u in polls() {
        store.save(&u).expect("save");
    }
    let all = store.load(TimeMs::MIN).expect("load all");
    let recent = store.load(DAY0).expect("load recent");
    assert!(recent.iter().all(|u| u.range.0 >= DAY0));
    let buckets = |us: &[ProviderUpdate]| {
        let mut b: Vec<String> = us
            .iter()
            .flat_map(|u| &u.buckets)
            .filter(|b| b.start >= DAY0)
            .map(|b| format!("{b:?}"))
            .collect();
        b.sort();
        b
    };
    assert_eq!(buckets(&recent), buckets(&all));
    assert!(
        recent
            .iter()
            .flat_map(|u| &u.buckets)
            .all(|b| b.start >= DAY0)
    );
    assert!(all.iter().flat_map(|u| &u.buckets).any(|b| b.start < DAY0));
}

#[test]
fn saving_forgets_what_the_ledger_forgets() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    let mut updates = polls();
    let later = DAY0 + 3 * D + H;
    updates.push(update(
        Provider::OpenAi,
        Family::Usage,
        Width::Hour,
        (DAY0 + 3 * D, DAY0 + 3 * D + H),
        later,
        vec![bucket(
            Provider::OpenAi,
            Report::Usage,
            DAY0 + 3 * D,
            Width::Hour,
            "gpt-5",
            10,
        )],
    ));
    for u in &updates {
        store.save(u).expect("save");
    }
    let loaded = store.load(TimeMs::MIN).expect("load");
    assert!(
        loaded
            .iter()
            .all(|u| u.width == Width::Day || u.range.0 >= DAY0 + D),
        "minutes and hours of two days before are gone"
    );
    let mut direct = ledger_of(updates);
    direct.forget(later);
    assert_eq!(effective(&ledger_of(loaded)), effective(&direct));

    store.forget(DAY0 + 70 * D).expect("forget");
    assert_eq!(
        store.load(TimeMs::MIN).expect("load").len(),
        0,
        "62 days on, nothing is kept"
    );
}

#[test]
fn a_row_naming_an_unknown_provider_is_damage_not_a_panic() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    store.save(&polls()[0]).expect("save");
    store
        .conn
        .execute("UPDATE provider_slot SET provider = 'acme'", [])
        .expect("edit");
    let err = store.load(TimeMs::MIN).expect_err("unknown name");
    assert!(err.to_string().contains("unknown name \"acme\""), "{err}");
}
