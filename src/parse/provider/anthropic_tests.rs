//! The formats.md §2 examples, and what a broken page does.

use super::*;

const MESSAGES: &str = include_str!("../../../tests/fixtures/providers/anthropic_messages.json");
const COSTS: &str = include_str!("../../../tests/fixtures/providers/anthropic_cost_report.json");
const CLAUDE_CODE: &str =
    include_str!("../../../tests/fixtures/providers/anthropic_claude_code.json");

#[test]
fn messages_usage_comes_by_class_without_a_request_count() {
    let page = messages_page(MESSAGES).unwrap();
    assert!(!page.has_more);
    assert_eq!(page.buckets.len(), 2);
    let b = &page.buckets[0];
    assert_eq!(b.provider, Provider::Anthropic);
    assert_eq!(b.report, Report::Usage);
    assert_eq!(b.start, 1_785_542_400_000);
    assert_eq!(b.end, 1_785_628_800_000);
    assert_eq!(
        b.api_key_id.as_deref(),
        Some("apikey_01Rj2N8SVvo6BePZj99NhmiT")
    );
    assert_eq!(
        b.project.as_deref(),
        Some("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")
    );
    assert_eq!(b.model.as_deref(), Some("claude-sonnet-4-5-20250929"));
    assert_eq!(b.tokens.input, 310_877);
    assert_eq!(b.tokens.cache_read, 2_210_455);
    assert_eq!(b.tokens.cache_write_5m, 184_320);
    assert_eq!(b.tokens.cache_write_1h, 0);
    assert_eq!(b.tokens.output, 96_012);
    assert_eq!(b.requests, None);
    assert_eq!(page.buckets[1].project, None, "the default workspace");
}

#[test]
fn costs_are_cents_as_decimal_strings() {
    let page = cost_page(COSTS).unwrap();
    let usd: Vec<f64> = page.buckets.iter().filter_map(|b| b.billed_usd).collect();
    assert_eq!(usd, [0.932631, 1.44018, 0.04]);
    assert!(page.buckets.iter().all(|b| b.api_key_id.is_none()));
    assert_eq!(page.buckets[2].model, None);
    assert_eq!(page.buckets[0].service_tier.as_deref(), Some("standard"));
}

#[test]
fn claude_code_rows_are_per_actor_day_and_model() {
    let page = claude_code_page(CLAUDE_CODE).unwrap();
    assert_eq!(page.buckets.len(), 2);
    let (a, b) = (&page.buckets[0], &page.buckets[1]);
    assert_eq!(a.report, Report::ClaudeCode);
    assert_eq!(a.user.as_deref(), Some("dev1@example.com"));
    assert_eq!(b.user.as_deref(), Some("ci-review-bot"));
    assert_eq!(a.end - a.start, 86_400_000);
    assert_eq!(
        (
            a.tokens.input,
            a.tokens.output,
            a.tokens.cache_read,
            a.tokens.cache_write_5m
        ),
        (45_230, 12_450, 8_790, 2_340)
    );
    assert_eq!(
        a.billed_usd, None,
        "Claude Code's cost is Anthropic's estimate, not a bill"
    );
    let bare = CLAUDE_CODE.replace("2026-08-01T00:00:00Z", "2026-08-01");
    assert_eq!(claude_code_page(&bare).unwrap().buckets[0].start, a.start);
}

#[test]
fn broken_pages_are_errors_that_say_why() {
    type Parse = fn(&str) -> Result<Page, PageError>;
    let cases: [(Parse, &str, &str); 6] = [
        (messages_page, "<html>502</html>", "not the JSON page"),
        (
            messages_page,
            r#"{"data":[{"starting_at":"yesterday","ending_at":"2026-08-02T00:00:00Z","results":[]}],"has_more":false,"next_page":null}"#,
            "\"yesterday\"",
        ),
        (
            messages_page,
            r#"{"data":[{"starting_at":"2026-08-01T00:00:00Z","ending_at":"2026-08-02T00:00:00Z","results":[{"output_tokens":-1}]}],"has_more":false,"next_page":null}"#,
            "not the JSON page",
        ),
        (
            cost_page,
            r#"{"data":[{"starting_at":"2026-08-01T00:00:00Z","ending_at":"2026-08-02T00:00:00Z","results":[{"amount":"12 cents","currency":"USD"}]}],"has_more":false,"next_page":null}"#,
            "\"12 cents\"",
        ),
        (
            cost_page,
            r#"{"data":[{"starting_at":"2026-08-01T00:00:00Z","ending_at":"2026-08-02T00:00:00Z","results":[{"amount":"1","currency":"EUR"}]}],"has_more":false,"next_page":null}"#,
            "not USD",
        ),
        (
            claude_code_page,
            r#"{"data":[{"date":"08/01/2026","actor":{}}],"has_more":false,"next_page":null}"#,
            "08/01/2026",
        ),
    ];
    for (parse, body, why) in cases {
        let err = parse(body).expect_err(body).to_string();
        assert!(err.contains(why), "{body:?}: {err}");
    }
}
