//! The formats.md §1.7 examples, and what a broken page does.

use super::*;

const COMPLETIONS_PAGE: &str =
    include_str!("../../../tests/fixtures/providers/openai_completions.json");
const EMBEDDINGS_PAGE: &str =
    include_str!("../../../tests/fixtures/providers/openai_embeddings.json");
const MODERATIONS_PAGE: &str =
    include_str!("../../../tests/fixtures/providers/openai_moderations.json");
const COSTS_PAGE: &str = include_str!("../../../tests/fixtures/providers/openai_costs.json");

#[test]
fn completions_split_input_into_uncached_cached_and_written() {
    let page = page(COMPLETIONS_PAGE).unwrap();
    assert!(page.has_more);
    assert_eq!(
        page.next_page.as_deref(),
        Some("page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=")
    );
    assert_eq!(page.buckets.len(), 2, "the empty second bucket has no rows");
    let first = &page.buckets[0];
    assert_eq!(
        (first.start, first.end),
        (1_785_542_400_000, 1_785_628_800_000)
    );
    assert_eq!(first.report, Report::Usage);
    assert_eq!(first.api_key_id.as_deref(), Some("key_7HcVtq2WnR8sJd4L"));
    assert_eq!(
        first.project.as_deref(),
        Some("proj_Fq3kZr8TQm2vYb1nLx0aP7cD")
    );
    assert_eq!(first.user, None);
    assert_eq!(first.model.as_deref(), Some("gpt-4.1-mini-2025-04-14"));
    assert_eq!(first.tokens.input, 630_121);
    assert_eq!(first.tokens.cache_read, 1_210_112);
    assert_eq!(first.tokens.cache_write_5m, 0);
    assert_eq!(first.tokens.output, 95_410);
    assert_eq!(first.requests, Some(412));
    assert_eq!(first.billed_usd, None);
    // An older result without input_uncached_tokens: input minus cached.
    let second = &page.buckets[1];
    assert_eq!(second.tokens.input, 52_000);
    assert_eq!(second.requests, Some(37));
}

#[test]
fn uncached_input_is_derived_when_the_field_is_missing() {
    let body = r#"{"object":"page","has_more":false,"next_page":null,"data":[{"object":"bucket",
        "start_time":0,"end_time":60,"results":[{"object":"organization.usage.completions.result",
        "input_tokens":1000,"input_cached_tokens":300,"input_cache_write_tokens":200,
        "output_tokens":5,"num_model_requests":1}]}]}"#;
    let b = &page(body).unwrap().buckets[0];
    assert_eq!(
        (b.tokens.input, b.tokens.cache_read, b.tokens.cache_write_5m),
        (500, 300, 200)
    );
}

#[test]
fn embeddings_are_input_only() {
    let page = page(EMBEDDINGS_PAGE).unwrap();
    assert!(!page.has_more);
    assert_eq!(page.next_page, None);
    let b = &page.buckets[0];
    assert_eq!(b.model.as_deref(), Some("text-embedding-3-small"));
    assert_eq!(b.tokens.input, 4_312_871);
    assert_eq!(b.tokens.output, 0);
    assert_eq!(b.requests, Some(1290));
}

#[test]
fn other_result_kinds_are_skipped_and_counted() {
    let page = page(MODERATIONS_PAGE).unwrap();
    assert!(page.buckets.is_empty());
    assert_eq!(page.skipped, 1);
}

#[test]
fn costs_are_billed_usd_from_numbers_or_strings() {
    let page = page(COSTS_PAGE).unwrap();
    let billed: Vec<f64> = page.buckets.iter().filter_map(|b| b.billed_usd).collect();
    assert_eq!(billed, [0.94519, 0.12101, 0.15266, 0.31]);
    assert!(page.buckets.iter().all(|b| b.report == Report::Cost));
    assert_eq!(
        page.buckets[0].project.as_deref(),
        Some("proj_Fq3kZr8TQm2vYb1nLx0aP7cD")
    );
    assert_eq!(page.buckets[0].tokens, Default::default());
    let strings = COSTS_PAGE
        .replace(
            "\"value\": 0.94519",
            "\"value\": \"0.945190000000000000000000000000000000001\"",
        )
        .replace("\"value\": 0.31", "\"value\": \"0E-6176\"");
    let billed: Vec<f64> = page_of(&strings)
        .buckets
        .iter()
        .filter_map(|b| b.billed_usd)
        .collect();
    assert_eq!(billed, [0.94519, 0.12101, 0.15266, 0.0]);
}

fn page_of(body: &str) -> Page {
    page(body).unwrap()
}

#[test]
fn broken_pages_are_errors_that_say_why() {
    let cases = [
        ("", "not the JSON page"),
        ("{\"data\": [", "not the JSON page"),
        ("[]", "not the JSON page"),
        ("{\"data\":[],\"next_page\":null}", "has_more"),
        (
            r#"{"data":[{"start_time":0,"end_time":1,"results":[{"input_tokens":1}]}],"has_more":false,"next_page":null}"#,
            "object",
        ),
        (
            r#"{"data":[{"start_time":0,"end_time":1,"results":[{"object":"organization.costs.result"}]}],"has_more":false,"next_page":null}"#,
            "no amount",
        ),
        (
            r#"{"data":[{"start_time":0,"end_time":1,"results":[{"object":"organization.costs.result","amount":{"value":"1,5","currency":"usd"}}]}],"has_more":false,"next_page":null}"#,
            "\"1,5\"",
        ),
        (
            r#"{"data":[{"start_time":0,"end_time":1,"results":[{"object":"organization.costs.result","amount":{"value":1,"currency":"eur"}}]}],"has_more":false,"next_page":null}"#,
            "not USD",
        ),
        (
            r#"{"data":[{"start_time":9223372036854775807,"end_time":1,"results":[]}],"has_more":false,"next_page":null}"#,
            "time",
        ),
    ];
    for (body, why) in cases {
        let err = page(body).expect_err(body).to_string();
        assert!(err.contains(why), "{body:?}: {err}");
    }
}

#[test]
fn an_empty_page_has_no_buckets() {
    let p = page(r#"{"object":"page","data":[],"has_more":false,"next_page":null}"#).unwrap();
    assert_eq!(p, Page::default());
}
