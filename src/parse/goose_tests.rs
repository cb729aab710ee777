//! Rows written from the reference's example (shared/reference/agent-logs-more.md, 6.4),
//! with invented values.
use super::*;

fn event(parsed: Parsed) -> Event {
    match parsed {
        Parsed::Event(e) => *e,
        other => panic!("{other:?}"),
    }
}

fn session(input: u64, output: u64, total: u64, updated: &str) -> String {
    format!(
        r#"{{"id":"20260426_8","working_dir":"/home/u/proj","session_type":"user","created_at":"2026-04-26 09:15:02","updated_at":"{updated}","input_tokens":9800,"output_tokens":420,"total_tokens":10220,"accumulated_input_tokens":{input},"accumulated_output_tokens":{output},"accumulated_total_tokens":{total},"provider_name":"anthropic","model_config_json":"{{\"model_name\":\"claude-sonnet-4-5\",\"context_limit\":200000}}"}}"#
    )
}

#[test]
fn a_session_snapshot_replaces_the_one_before() {
    let mut state = State::default();
    let first = event(state.session(&session(154000, 6100, 160100, "2026-04-26 09:20:00"), 7));
    assert_eq!((first.tokens.input, first.tokens.output), (154000, 6100));
    assert_eq!(first.time, 1777195200000);
    assert_eq!(first.identity, "goose:/home/u/proj");
    assert_eq!(first.model, "claude-sonnet-4-5");
    assert_eq!(first.attrs.session.as_deref(), Some("20260426_8"));
    assert_eq!(first.cumulative.map(|c| c.total.total()), Some(160100));
    // The next snapshot: only what grew.
    let next = event(state.session(&session(164000, 6600, 170600, "2026-04-26 09:25:00"), 7));
    assert_eq!((next.tokens.input, next.tokens.output), (10000, 500));
    assert_eq!(next.cumulative.map(|c| c.total.total()), Some(170600));
    // The same snapshot again adds nothing.
    let same = state.session(&session(164000, 6600, 170600, "2026-04-26 09:25:00"), 7);
    assert_eq!(same, Parsed::NoUsage);
}

#[test]
fn the_total_beyond_input_and_output_is_reasoning_and_old_schemas_use_plain_counts() {
    let mut state = State::default();
    let e = event(state.session(&session(1000, 100, 1150, "2026-04-26 09:20:00"), 7));
    assert_eq!((e.tokens.output, e.tokens.reasoning), (150, 50));
    let old = r#"{"id":"s2","working_dir":"","created_at":"2026-04-26T09:15:02Z","input_tokens":30,"output_tokens":4,"total_tokens":34}"#;
    let e = event(state.session(old, 7));
    assert_eq!((e.tokens.input, e.tokens.output), (30, 4));
    assert_eq!(
        (e.identity.as_str(), e.model.as_str()),
        ("goose", "unknown")
    );
    assert_eq!(e.time, 1777194902000);
}

#[test]
fn a_ledger_row_is_one_request_with_its_cache_apart() {
    let row = r#"{"id":41,"session_id":"20260426_8","created_timestamp":1777194962,"model":"claude-sonnet-4-5","input_tokens":9800,"output_tokens":420,"total_tokens":10220,"cache_read_tokens":8000,"cache_write_tokens":300,"cost":0.021,"cost_source":"provider_reported","is_compaction":0,"working_dir":"/home/u/proj","provider_name":"anthropic"}"#;
    let e = event(ledger(row, 7));
    assert_eq!(
        e.tokens,
        Tokens {
            input: 1500,
            cache_read: 8000,
            cache_write_5m: 300,
            cache_write_1h: 0,
            output: 420,
            reasoning: 0,
        }
    );
    assert_eq!(e.time, 1777194962000);
    assert_eq!(e.record_cost_usd, Some(0.021));
    assert_eq!(e.provider, "anthropic");
    assert!(e.dedup_key.is_some() && e.cumulative.is_none());
    let again = event(ledger(row, 9));
    assert_eq!(again.dedup_key, e.dedup_key);
}

#[test]
fn bad_rows_say_why() {
    let mut state = State::default();
    assert_eq!(
        state.session(r#"{"input_tokens":1}"#, 7),
        Parsed::Rejected(RejectReason::MissingField)
    );
    assert_eq!(
        state.session(r#"{"id":"s","accumulated_input_tokens":-4}"#, 7),
        Parsed::Rejected(RejectReason::InvalidField)
    );
    assert_eq!(
        ledger(r#"{"input_tokens":1}"#, 7),
        Parsed::Rejected(RejectReason::MissingField)
    );
    assert_eq!(ledger("{", 7), Parsed::Rejected(RejectReason::InvalidJson));
}

/// The cache grows faster than the input that includes it: the uncached input made by
/// subtraction dips, but every counter grew, so only the growth counts (the cost too),
/// not the whole session again.
#[test]
fn a_dip_of_a_subtracted_class_is_growth_not_a_reset() {
    let row = |input: u64, cache_read: u64, cost: f64| {
        format!(
            r#"{{"id":"s9","working_dir":"/p","updated_at":"2026-04-26 09:20:00","accumulated_input_tokens":{input},"accumulated_output_tokens":10,"accumulated_cache_read_tokens":{cache_read},"accumulated_cost":{cost}}}"#
        )
    };
    let mut state = State::default();
    event(state.session(&row(1000, 0, 2.0), 7));
    let next = event(state.session(&row(1100, 600, 2.1), 7));
    assert_eq!(next.tokens.cache_read, 600);
    assert_eq!((next.tokens.input, next.tokens.output), (0, 0));
    let cost = next.record_cost_usd.expect("own cost");
    assert!((cost - 0.1).abs() < 1e-9, "{cost}");
}
