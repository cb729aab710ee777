//! What each provider is asked, page by page: paths, parameters, headers and the parser of
//! each answer (formats.md §1.2-1.3 and §2.2-2.4). Array parameters use brackets, as the
//! official SDKs send them.

use crate::event::TimeMs;
use crate::parse::provider::{Family, Page, PageError, Provider, Width, anthropic, openai};

/// Parses one page of an endpoint's answer.
pub type ParsePage = fn(&str) -> Result<Page, PageError>;

/// One report to read to its last page.
pub struct Endpoint {
    /// The path after the base URL.
    pub path: &'static str,
    pub query: Vec<(&'static str, String)>,
    pub parse: ParsePage,
    pub family: Family,
}

/// Claude Code records per page (the maximum).
const CLAUDE_CODE_RECORDS: &str = "1000";
const DAY_MS: TimeMs = 86_400_000;

/// The reports of `family` read for `[start, end)` in `width` buckets (costs come in days
/// only, whatever `width` says; Claude Code's per-user report is read with daily usage).
pub fn endpoints(
    provider: Provider,
    family: Family,
    width: Width,
    (start, end): (TimeMs, TimeMs),
) -> Vec<Endpoint> {
    let width = match family {
        Family::Cost => Width::Day,
        Family::Usage => width,
    };
    let all = match provider {
        Provider::OpenAi => openai_endpoints(width, start, end),
        Provider::Anthropic => anthropic_endpoints(width, start, end),
    };
    all.into_iter().filter(|e| e.family == family).collect()
}

fn group_by(dims: &[&str]) -> Vec<(&'static str, String)> {
    dims.iter().map(|d| ("group_by[]", d.to_string())).collect()
}

fn openai_endpoints(width: Width, start: TimeMs, end: TimeMs) -> Vec<Endpoint> {
    let range = vec![
        ("start_time", start.div_euclid(1000).to_string()),
        // Exclusive: a partial last second is still asked for.
        ("end_time", (end + 999).div_euclid(1000).to_string()),
        ("bucket_width", width.param().to_string()),
        ("limit", width.max_per_page().to_string()),
    ];
    let day = [
        ("start_time", range[0].1.clone()),
        ("end_time", range[1].1.clone()),
        ("bucket_width", Width::Day.param().to_string()),
        ("limit", Width::Day.max_per_page().to_string()),
    ];
    let usage_dims = ["api_key_id", "project_id", "user_id", "model"];
    let with = |dims: &[&str]| {
        let mut q = range.clone();
        q.extend(group_by(dims));
        q
    };
    vec![
        Endpoint {
            path: "/organization/usage/completions",
            query: with(&usage_dims),
            parse: openai::page,
            family: Family::Usage,
        },
        Endpoint {
            path: "/organization/usage/embeddings",
            query: with(&usage_dims),
            parse: openai::page,
            family: Family::Usage,
        },
        Endpoint {
            path: "/organization/costs",
            query: {
                let mut q = day.to_vec();
                q.extend(group_by(&["api_key_id", "project_id"]));
                q
            },
            parse: openai::page,
            family: Family::Cost,
        },
    ]
}

fn anthropic_endpoints(width: Width, start: TimeMs, end: TimeMs) -> Vec<Endpoint> {
    let range = |width: Width| {
        vec![
            ("starting_at", crate::timefmt::format_rfc3339_ms(start)),
            ("ending_at", crate::timefmt::format_rfc3339_ms(end)),
            ("bucket_width", width.param().to_string()),
            ("limit", width.max_per_page().to_string()),
        ]
    };
    let with = |width: Width, dims: &[&str]| {
        let mut q = range(width);
        q.extend(group_by(dims));
        q
    };
    let mut list = vec![
        Endpoint {
            path: "/v1/organizations/usage_report/messages",
            query: with(
                width,
                &["api_key_id", "workspace_id", "model", "service_tier"],
            ),
            parse: anthropic::messages_page,
            family: Family::Usage,
        },
        Endpoint {
            path: "/v1/organizations/cost_report",
            query: with(Width::Day, &["workspace_id", "description"]),
            parse: anthropic::cost_page,
            family: Family::Cost,
        },
    ];
    if width != Width::Day {
        return list;
    }
    // Claude Code analytics take one UTC day per request.
    let mut day = start.div_euclid(DAY_MS) * DAY_MS;
    while day < end {
        list.push(Endpoint {
            path: "/v1/organizations/usage_report/claude_code",
            query: vec![
                ("starting_at", crate::timefmt::utc_day(day)),
                ("limit", CLAUDE_CODE_RECORDS.to_string()),
            ],
            parse: anthropic::claude_code_page,
            family: Family::Usage,
        });
        day += DAY_MS;
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_asks_exactly_the_range_in_day_buckets() {
        let range = (1_785_542_400_000, 1_785_715_200_500);
        let list = endpoints(Provider::OpenAi, Family::Usage, Width::Day, range);
        let q = &list[0].query;
        assert!(q.contains(&("start_time", "1785542400".into())));
        assert!(q.contains(&("end_time", "1785715201".into())));
        assert!(q.contains(&("bucket_width", "1d".into())));
        assert!(q.contains(&("group_by[]", "api_key_id".into())));
        assert_eq!(list.len(), 2);
        let costs = endpoints(Provider::OpenAi, Family::Cost, Width::Minute, range);
        assert_eq!(costs[0].path, "/organization/costs");
        assert!(costs[0].query.contains(&("bucket_width", "1d".into())));
    }

    #[test]
    fn usage_in_minutes_asks_for_a_day_of_them_per_page() {
        let range = (1_785_542_400_000, 1_785_542_400_000 + 3_600_000);
        for provider in [Provider::OpenAi, Provider::Anthropic] {
            let list = endpoints(provider, Family::Usage, Width::Minute, range);
            assert!(list.iter().all(|e| !e.path.contains("claude_code")));
            let q = &list[0].query;
            assert!(q.contains(&("bucket_width", "1m".into())), "{provider:?}");
            assert!(q.contains(&("limit", "1440".into())), "{provider:?}");
        }
    }

    #[test]
    fn anthropic_asks_claude_code_one_day_at_a_time() {
        let start = 1_785_542_400_000 + 3_600_000;
        let range = (start, start + 2 * DAY_MS);
        let list = endpoints(Provider::Anthropic, Family::Usage, Width::Day, range);
        let q = &list[0].query;
        assert!(q.contains(&("starting_at", "2026-08-01T01:00:00.000Z".into())));
        let days: Vec<&str> = list[1..].iter().map(|e| e.query[0].1.as_str()).collect();
        assert_eq!(days, ["2026-08-01", "2026-08-02", "2026-08-03"]);
    }
}
