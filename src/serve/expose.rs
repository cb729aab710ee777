//! The Prometheus text exposition (format 0.0.4): a pure function from what the exporter
//! holds ([`Exposition`]) to text. It sums nothing: every value is already there.

use std::collections::BTreeMap;
use std::fmt::Write;

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the token histograms' buckets: powers of 4, 1 to 4^10 (about 1M).
pub const TOKEN_BUCKETS: [u64; 11] = [
    1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576,
];
/// Upper bounds of the tool-call histogram's buckets: 0, then powers of 2 to 128.
pub const TOOL_CALL_BUCKETS: [u64; 9] = [0, 1, 2, 4, 8, 16, 32, 64, 128];

/// One identity's and model's counters since start.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ModelCounts {
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    /// Reasoning included.
    pub output: u64,
    pub reasoning: u64,
    pub cost_usd: f64,
}

/// A histogram since start: counts per bucket (not cumulative), its count and sum.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    /// One count per bound of its buckets (those past the last bound are only in `count`).
    pub counts: Vec<u64>,
    pub count: u64,
    pub sum: u64,
}

impl Histogram {
    pub fn new(bounds: &[u64]) -> Self {
        Histogram {
            counts: vec![0; bounds.len()],
            count: 0,
            sum: 0,
        }
    }

    /// Counts one observation.
    pub fn observe(&mut self, bounds: &[u64], value: u64) {
        if let Some(i) = bounds.iter().position(|&b| value <= b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum = self.sum.saturating_add(value);
    }
}

/// Per identity: input, output and tool-call histograms.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestHistograms {
    pub input: Histogram,
    pub output: Histogram,
    pub tool_calls: Histogram,
}

impl Default for RequestHistograms {
    fn default() -> Self {
        RequestHistograms {
            input: Histogram::new(&TOKEN_BUCKETS),
            output: Histogram::new(&TOKEN_BUCKETS),
            tool_calls: Histogram::new(&TOOL_CALL_BUCKETS),
        }
    }
}

/// One budget as a gauge.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetGauge {
    pub name: String,
    /// Used over limit (1 = at the limit).
    pub ratio: f64,
    pub limit: f64,
    /// `usd` or `tokens`.
    pub unit: &'static str,
}

/// One source's lines and lag.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceLines {
    pub source: String,
    pub events: u64,
    pub without_usage: u64,
    /// Rejected lines by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Now minus the newest event time read; `None` before the first event.
    pub lag_seconds: Option<f64>,
}

/// Everything `/metrics` shows, labels already bounded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exposition {
    /// By (identity, model).
    pub tokens: BTreeMap<(String, String), ModelCounts>,
    /// By identity.
    pub requests: BTreeMap<String, u64>,
    pub unpriced_requests: BTreeMap<String, u64>,
    /// By (identity, tool, MCP server or "").
    pub tool_calls: BTreeMap<(String, String, String), u64>,
    pub histograms: BTreeMap<String, RequestHistograms>,
    pub budgets: Vec<BudgetGauge>,
    /// By (kind, severity).
    pub alerts_active: BTreeMap<(String, String), u64>,
    pub alerts_total: BTreeMap<(String, String), u64>,
    pub sources: Vec<SourceLines>,
}

/// A label value with backslash, double quote and newline escaped, as the format asks.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `{a="x",b="y"}` from pairs.
fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// A float as Prometheus reads it (integers without a fraction).
fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{x}")
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, pairs: &[(&str, &str)], value: &str) {
    let _ = writeln!(out, "{name}{} {value}", labels(pairs));
}

/// The whole exposition.
pub fn render(e: &Exposition) -> String {
    let mut out = String::new();
    header(
        &mut out,
        "tokentop_tokens_total",
        "counter",
        "Tokens since start by class; the classes sum to the total (output includes reasoning).",
    );
    for ((identity, model), c) in &e.tokens {
        let classes = [
            ("input", c.input),
            ("cache_read", c.cache_read),
            ("cache_write_5m", c.cache_write_5m),
            ("cache_write_1h", c.cache_write_1h),
            ("output", c.output),
        ];
        for (class, n) in classes {
            let pairs = [
                ("identity", &**identity),
                ("class", class),
                ("model", model),
            ];
            sample(&mut out, "tokentop_tokens_total", &pairs, &n.to_string());
        }
    }
    header(
        &mut out,
        "tokentop_reasoning_tokens_total",
        "counter",
        "Reasoning tokens since start (already inside the output class).",
    );
    for ((identity, model), c) in &e.tokens {
        let pairs = [("identity", &**identity), ("model", model)];
        let n = c.reasoning.to_string();
        sample(&mut out, "tokentop_reasoning_tokens_total", &pairs, &n);
    }
    header(
        &mut out,
        "tokentop_cost_usd_total",
        "counter",
        "Cost in US dollars since start, of the priced requests (provider estimates left out).",
    );
    for ((identity, model), c) in &e.tokens {
        let pairs = [("identity", &**identity), ("model", model)];
        sample(
            &mut out,
            "tokentop_cost_usd_total",
            &pairs,
            &number(c.cost_usd),
        );
    }
    per_identity(
        &mut out,
        "tokentop_requests_total",
        "Requests since start, each response once.",
        &e.requests,
    );
    per_identity(
        &mut out,
        "tokentop_unpriced_requests_total",
        "Requests since start that no price covers (their cost is not in tokentop_cost_usd_total).",
        &e.unpriced_requests,
    );
    header(
        &mut out,
        "tokentop_tool_calls_total",
        "counter",
        "Tool calls since start, each call once; mcp_server is empty for tools of no MCP server.",
    );
    for ((identity, tool, server), n) in &e.tool_calls {
        let pairs = [
            ("identity", &**identity),
            ("tool", tool),
            ("mcp_server", server),
        ];
        sample(
            &mut out,
            "tokentop_tool_calls_total",
            &pairs,
            &n.to_string(),
        );
    }
    budgets(&mut out, &e.budgets);
    alerts(&mut out, e);
    histograms(&mut out, &e.histograms);
    sources(&mut out, &e.sources);
    out
}

fn per_identity(out: &mut String, name: &str, help: &str, values: &BTreeMap<String, u64>) {
    header(out, name, "counter", help);
    for (identity, n) in values {
        sample(out, name, &[("identity", identity)], &n.to_string());
    }
}

fn budgets(out: &mut String, budgets: &[BudgetGauge]) {
    header(
        out,
        "tokentop_budget_used_ratio",
        "gauge",
        "A budget's use in its current period over its limit (1 = at the limit).",
    );
    for b in budgets {
        let pairs = [("budget", &*b.name)];
        sample(out, "tokentop_budget_used_ratio", &pairs, &number(b.ratio));
    }
    header(
        out,
        "tokentop_budget_limit",
        "gauge",
        "A budget's limit per period, in its unit.",
    );
    for b in budgets {
        let pairs = [("budget", &*b.name), ("unit", b.unit)];
        sample(out, "tokentop_budget_limit", &pairs, &number(b.limit));
    }
}

fn alerts(out: &mut String, e: &Exposition) {
    let kinds = [
        (
            "tokentop_alerts_active",
            "gauge",
            "Alerts open now.",
            &e.alerts_active,
        ),
        (
            "tokentop_alerts_total",
            "counter",
            "Alerts started since start, by their severity when they started.",
            &e.alerts_total,
        ),
    ];
    for (name, kind, help, values) in kinds {
        header(out, name, kind, help);
        for ((alert, severity), n) in values {
            let pairs = [("kind", &**alert), ("severity", severity)];
            sample(out, name, &pairs, &n.to_string());
        }
    }
}

/// A histogram's name, help, bucket bounds and where it is among an identity's.
type HistogramMetric = (
    &'static str,
    &'static str,
    &'static [u64],
    fn(&RequestHistograms) -> &Histogram,
);

fn histograms(out: &mut String, all: &BTreeMap<String, RequestHistograms>) {
    let metrics: [HistogramMetric; 3] = [
        (
            "tokentop_request_input_tokens",
            "Input tokens per request (every input class), since start.",
            &TOKEN_BUCKETS,
            |h| &h.input,
        ),
        (
            "tokentop_request_output_tokens",
            "Output tokens per request (reasoning included), since start.",
            &TOKEN_BUCKETS,
            |h| &h.output,
        ),
        (
            "tokentop_request_tool_calls",
            "Tool calls per request, since start.",
            &TOOL_CALL_BUCKETS,
            |h| &h.tool_calls,
        ),
    ];
    for (name, help, bounds, pick) in metrics {
        header(out, name, "histogram", help);
        for (identity, h) in all {
            let h = pick(h);
            let mut cumulative = 0;
            for (bound, n) in bounds.iter().zip(&h.counts) {
                cumulative += n;
                let le = bound.to_string();
                let pairs = [("identity", &**identity), ("le", &*le)];
                sample(
                    out,
                    &format!("{name}_bucket"),
                    &pairs,
                    &cumulative.to_string(),
                );
            }
            let pairs = [("identity", &**identity), ("le", "+Inf")];
            sample(out, &format!("{name}_bucket"), &pairs, &h.count.to_string());
            let pairs = [("identity", &**identity)];
            sample(out, &format!("{name}_sum"), &pairs, &h.sum.to_string());
            sample(out, &format!("{name}_count"), &pairs, &h.count.to_string());
        }
    }
}

fn sources(out: &mut String, sources: &[SourceLines]) {
    header(
        out,
        "tokentop_source_lines_total",
        "counter",
        "Lines read per source by outcome (event, without_usage, rejected with its reason).",
    );
    let name = "tokentop_source_lines_total";
    for s in sources {
        let src = &*s.source;
        let events = s.events.to_string();
        sample(out, name, &[("source", src), ("outcome", "event")], &events);
        let without = s.without_usage.to_string();
        let pairs = [("source", src), ("outcome", "without_usage")];
        sample(out, name, &pairs, &without);
        for (reason, n) in &s.rejected {
            let pairs = [("source", src), ("outcome", "rejected"), ("reason", reason)];
            sample(out, name, &pairs, &n.to_string());
        }
    }
    header(
        out,
        "tokentop_ingest_lag_seconds",
        "gauge",
        "Now minus the time of the newest event read from the source.",
    );
    for s in sources {
        if let Some(lag) = s.lag_seconds {
            let pairs = [("source", &*s.source)];
            sample(out, "tokentop_ingest_lag_seconds", &pairs, &number(lag));
        }
    }
}
