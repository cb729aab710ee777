//! The live engine's provider ledger: polled buckets reconciled with the logs per mapped
//! identity and UTC day, the `unattributed` alert a settled day over the threshold raises,
//! and what the snapshot carries for the Providers view.

use std::path::Path;
use std::sync::Arc;

use tokentop::config::Config;
use tokentop::engine::Engine;
use tokentop::engine::alerts::AlertKind;
use tokentop::event::{TimeMs, Tokens};
use tokentop::parse::provider::{Family, Provider, ProviderBucket, ProviderUpdate, Report, Width};
use tokentop::parse::{LineContext, Parsed, parse_line};
use tokentop::pricing::PriceTable;

/// 2026-08-01 00:00 UTC.
pub const AUG1: TimeMs = 1_785_542_400_000;
pub const DAY: TimeMs = 86_400_000;
pub const H: TimeMs = 3_600_000;

pub fn engine(extra: &str) -> Engine {
    let text = format!(
        "[[identity]]\nmatch = {{ api_key_id = \"key_pay\" }}\nname = \"payments\"\n\n\
         [[identity]]\nmatch = {{ identity = \"payments-svc\" }}\nname = \"payments\"\n\n\
         [reconcile]\nunattributed_usd = 1.0\nsettle = \"2h\"\n{extra}"
    );
    let config = Config::parse(&text, Path::new("test.toml")).expect("config");
    let mut engine = Engine::with_config(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        &config,
    );
    engine.keep_utc_days();
    engine
}

/// One day of `key`'s usage: `input` uncached tokens of gpt-4o, read after the day ended.
pub fn day_usage(day: TimeMs, key: &str, input: u64) -> ProviderUpdate {
    ProviderUpdate {
        provider: Provider::OpenAi,
        family: Family::Usage,
        width: Width::Day,
        range: (day, day + DAY),
        fetched_at: day + DAY + H,
        buckets: vec![ProviderBucket {
            provider: Provider::OpenAi,
            report: Report::Usage,
            start: day,
            end: day + DAY,
            api_key_id: Some(key.into()),
            project: None,
            user: None,
            model: Some("gpt-4o".into()),
            service_tier: None,
            tokens: Tokens {
                input,
                ..Tokens::default()
            },
            requests: Some(10),
            billed_usd: None,
        }],
    }
}

/// A logged request of `payments-svc` at `ts` that cost `usd`.
pub fn logged(engine: &mut Engine, ts: &str, usd: f64) {
    let line = format!(
        r#"{{"tokentop":1,"ts":"{ts}","identity":"payments-svc","model":"gpt-4o","tokens":{{"input":1000,"output":10}},"cost_usd":{usd}}}"#
    );
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: None,
        read_time: AUG1,
    };
    match parse_line(line.as_bytes(), &ctx) {
        Parsed::Event(e) => engine.ingest(&e),
        other => panic!("{other:?}"),
    }
}

#[test]
fn spend_no_log_explains_on_a_settled_day_raises_one_unattributed_alert() {
    let mut engine = engine("");
    // Four million gpt-4o input tokens: $10 at $2.50 per million.
    engine.apply_provider(day_usage(AUG1, "key_pay", 4_000_000));
    logged(&mut engine, "2026-08-01T12:00:00Z", 3.0);
    // 01:00 on Aug 2: the day ended an hour ago, under the 2 h settle.
    engine.advance(AUG1 + DAY + H);
    let snap = engine.snapshot(None);
    let view = snap.providers.as_ref().expect("a provider view");
    let row = view
        .rows
        .iter()
        .find(|r| r.identity == "payments")
        .expect("row");
    assert!((row.provider_usd - 10.0).abs() < 1e-9, "{row:?}");
    assert!((row.logged_usd - 3.0).abs() < 1e-9);
    assert!((row.unattributed_usd - 7.0).abs() < 1e-9);
    assert!(!row.settled && !row.over, "not settled yet: {row:?}");
    assert!(
        snap.alerts
            .iter()
            .all(|a| a.kind != AlertKind::Unattributed)
    );
    // 03:00: settled; $7 over the $1 threshold.
    engine.advance(AUG1 + DAY + 3 * H);
    let events = engine.take_alert_events();
    let started: Vec<_> = events
        .iter()
        .filter(|e| e.alert.kind == AlertKind::Unattributed)
        .collect();
    assert_eq!(started.len(), 1, "{events:?}");
    let alert = &started[0].alert;
    assert_eq!(alert.identities, ["payments"]);
    assert!(alert.reason.contains("$7.00"), "{}", alert.reason);
    assert!(alert.reason.contains("2026-08-01"), "{}", alert.reason);
    assert!(
        alert.reason.contains("($10.00 estimated, $3.00 logged)"),
        "{}",
        alert.reason
    );
    // Still over a minute later: the same episode, no second alert.
    engine.advance(AUG1 + DAY + 3 * H + 60_000);
    assert!(engine.take_alert_events().is_empty());
}

#[test]
fn on_the_first_of_a_month_the_last_day_of_the_month_before_is_reconciled() {
    let mut engine = engine("");
    // $10 of gpt-4o on July 31 that no log explains, seen at 03:00 on August 1.
    engine.apply_provider(day_usage(AUG1 - DAY, "key_pay", 4_000_000));
    engine.advance(AUG1 + 3 * H);
    let events = engine.take_alert_events();
    let alert = events
        .iter()
        .find(|e| e.alert.kind == AlertKind::Unattributed)
        .map(|e| &e.alert)
        .expect("an unattributed alert for July 31");
    assert!(alert.reason.contains("2026-07-31"), "{}", alert.reason);
    assert!(alert.reason.contains("$10.00"), "{}", alert.reason);
}

#[test]
fn spend_the_logs_explain_raises_nothing_and_an_unmapped_key_is_listed() {
    let mut engine = engine("");
    engine.apply_provider(day_usage(AUG1, "key_pay", 4_000_000));
    engine.apply_provider(day_usage(AUG1, "key_stray", 400_000));
    logged(&mut engine, "2026-08-01T12:00:00Z", 9.5);
    engine.advance(AUG1 + DAY + 3 * H);
    assert!(
        engine
            .take_alert_events()
            .iter()
            .all(|e| e.alert.kind != AlertKind::Unattributed)
    );
    let snap = engine.snapshot(None);
    let view = snap.providers.expect("view");
    assert_eq!(view.unmapped.len(), 1);
    assert_eq!(view.unmapped[0].api_key_id.as_deref(), Some("key_stray"));
    assert!((view.unmapped[0].estimated_usd - 1.0).abs() < 1e-9);
}

#[test]
fn the_view_shows_today_by_provider_with_its_estimate() {
    let mut engine = engine("");
    let now = AUG1 + 10 * H;
    let mut today = day_usage(AUG1, "key_pay", 400_000);
    today.fetched_at = now;
    today.range = (AUG1, now);
    engine.apply_provider(today);
    logged(&mut engine, "2026-08-01T09:00:00Z", 0.25);
    engine.advance(now);
    let view = engine.snapshot(None).providers.expect("view");
    assert_eq!(view.today.len(), 1);
    let t = &view.today[0];
    assert_eq!(
        (t.day.as_str(), t.tokens.input, t.requests, t.keys),
        ("2026-08-01", 400_000, Some(10), 1)
    );
    assert!((t.usd - 1.0).abs() < 1e-9);
    assert_eq!(format!("{:?}", t.basis), "Estimated");
    assert!((view.logged_today_usd - 0.25).abs() < 1e-9);
    // Today's row is there, pending: never a finding however large.
    assert!(
        view.rows
            .iter()
            .any(|r| r.day == "2026-08-01" && !r.settled && !r.over)
    );
}

#[test]
fn no_provider_no_view() {
    let mut engine = engine("");
    logged(&mut engine, "2026-08-01T09:00:00Z", 0.25);
    engine.advance(AUG1 + 10 * H);
    assert!(engine.snapshot(None).providers.is_none());
}

#[test]
fn a_budget_on_the_provider_ledger_counts_the_keys_usage_and_not_the_logs() {
    let budgets = "\n[[budget]]\nname = \"pay-provider\"\nidentity = \"payments\"\nperiod = \"day\"\nlimit_usd = 5.0\nledger = \"provider\"\n\n\
                   [[budget]]\nname = \"pay-logs\"\nidentity = \"payments\"\nperiod = \"day\"\nlimit_usd = 5.0\n";
    let mut engine = engine(budgets);
    let now = AUG1 + 10 * H;
    // $10 of usage by the payments key today, read now; $0.25 in the logs.
    let mut today = day_usage(AUG1, "key_pay", 4_000_000);
    (today.fetched_at, today.range) = (now, (AUG1, now));
    engine.apply_provider(today);
    logged(&mut engine, "2026-08-01T09:00:00Z", 0.25);
    engine.advance(now);
    let states = engine.budgets();
    let by_name = |n: &str| states.iter().find(|s| s.name == n).expect(n).clone();
    let provider = by_name("pay-provider");
    assert!((provider.used - 10.0).abs() < 1e-9, "{provider:?}");
    assert_eq!(provider.members, ["payments"]);
    assert_eq!(format!("{:?}", provider.level), "Over");
    let logs = by_name("pay-logs");
    assert!((logs.used - 0.25).abs() < 1e-9, "{logs:?}");
    // A poll that finds less replaces the earlier figure: $2.50 now.
    let mut again = day_usage(AUG1, "key_pay", 1_000_000);
    (again.fetched_at, again.range) = (now + 60_000, (AUG1, now + 60_000));
    engine.apply_provider(again);
    engine.advance(now + 60_000);
    let provider = engine
        .budgets()
        .into_iter()
        .find(|s| s.name == "pay-provider")
        .unwrap();
    assert!((provider.used - 2.5).abs() < 1e-9, "{provider:?}");
}

#[test]
fn a_ledger_other_than_logs_or_provider_is_refused_with_what_to_write() {
    let text = "[[budget]]\nname = \"b\"\nall = true\nperiod = \"day\"\nlimit_usd = 5.0\nledger = \"bill\"\n";
    let err = Config::parse(text, Path::new("c.toml")).expect_err("refused");
    let message = err.to_string();
    assert!(message.contains("ledger = \"bill\""), "{message}");
    assert!(message.contains("\"provider\""), "{message}");
}

/// Every key the demo's built-in provider reports, the unexplained one included, maps
/// through the demo's `[[identity]]` rules onto one of the demo's identities: the Providers
/// view lists no unmapped key, and the overview keeps its rows.
#[test]
fn every_demo_provider_key_maps_onto_a_demo_identity() {
    use tokentop::demo::mock_provider::Mock;
    use tokentop::parse::provider::{anthropic, openai};

    let start = AUG1 + 12 * H;
    let mock = Mock::new(start);
    let config = tokentop::demo::config().expect("demo config");
    let mut engine = Engine::with_config(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        &config,
    );
    engine.keep_utc_days();
    let q = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let since = AUG1 - DAY;
    let openai_q = q(&[
        ("start_time", (since / 1000).to_string()),
        ("end_time", (start / 1000).to_string()),
        ("bucket_width", "1d".into()),
    ]);
    let anthropic_q = q(&[
        ("starting_at", tokentop::timefmt::format_rfc3339_ms(since)),
        ("ending_at", tokentop::timefmt::format_rfc3339_ms(start)),
        ("bucket_width", "1d".into()),
    ]);
    let body = |path: &str, query: &[(String, String)]| {
        mock.answer(path, query, start).expect(path).to_string()
    };
    let mut buckets = openai::page(&body("/v1/organization/usage/completions", &openai_q))
        .unwrap()
        .buckets;
    buckets.extend(
        openai::page(&body("/v1/organization/usage/embeddings", &openai_q))
            .unwrap()
            .buckets,
    );
    buckets.extend(
        anthropic::messages_page(&body(
            "/v1/organizations/usage_report/messages",
            &anthropic_q,
        ))
        .unwrap()
        .buckets,
    );
    assert!(buckets.len() > 10, "{}", buckets.len());
    for (provider, family) in [
        (Provider::OpenAi, Family::Usage),
        (Provider::Anthropic, Family::Usage),
    ] {
        engine.apply_provider(ProviderUpdate {
            provider,
            family,
            width: Width::Day,
            range: (since, start),
            fetched_at: start,
            buckets: buckets
                .iter()
                .filter(|b| b.provider == provider)
                .cloned()
                .collect(),
        });
    }
    engine.advance(start);
    let view = engine.snapshot(None).providers.expect("view");
    assert!(view.unmapped.is_empty(), "{:?}", view.unmapped);
    let names: std::collections::BTreeSet<&str> =
        view.rows.iter().map(|r| r.identity.as_str()).collect();
    assert!(
        names.contains("svc-checkout") && names.contains("svc-support-bot"),
        "{names:?}"
    );
    let demo = [
        "svc-support-bot",
        "agent-loop-runner",
        "svc-checkout",
        "agent-triage",
        "svc-search-rag",
        "-home-dev-payments-api",
        "web (prod)",
        "-home-dev-infra-terraform",
        "key_partner_acme",
        "batch-nightly-summarizer",
        "mobile (ios)",
        "svc-labs-experimental",
    ];
    assert!(names.iter().all(|n| demo.contains(n)), "{names:?}");
}
