//! The normalized usage event: every parser produces it, the engine consumes it.
//!
//! Token classes are disjoint so that sums never count a token twice: `input` is the
//! uncached part of the prompt, cache reads and writes are separate, and `reasoning` is
//! the part of `output` that was reasoning (already inside `output`, never added again).

use serde::{Deserialize, Serialize};

mod origin;
pub(crate) use self::origin::line_hash;
pub use self::origin::{Origin, SourceId};

/// Milliseconds since the Unix epoch, UTC. Every time in tokentop is one of these.
pub type TimeMs = i64;

/// Token counts of one request, in disjoint classes (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tokens {
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub output: u64,
    /// Part of `output`; shown on its own, never added to totals.
    pub reasoning: u64,
}

impl Tokens {
    /// Every input class: what the model read, cached or not.
    pub fn all_input(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write())
    }

    pub fn cache_write(&self) -> u64 {
        self.cache_write_5m.saturating_add(self.cache_write_1h)
    }

    /// All tokens billed for the request (reasoning is inside output).
    pub fn total(&self) -> u64 {
        self.all_input().saturating_add(self.output)
    }

    /// Class by class, `f` of this count and `other`'s.
    pub fn zip_with(&self, other: &Tokens, f: impl Fn(u64, u64) -> u64) -> Tokens {
        Tokens {
            input: f(self.input, other.input),
            cache_read: f(self.cache_read, other.cache_read),
            cache_write_5m: f(self.cache_write_5m, other.cache_write_5m),
            cache_write_1h: f(self.cache_write_1h, other.cache_write_1h),
            output: f(self.output, other.output),
            reasoning: f(self.reasoning, other.reasoning),
        }
    }
}

/// What sort of call produced the usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    Completion,
    Embedding,
    Retrieval,
    Tool,
}

impl Kind {
    /// Every kind, in the order breakdowns list them.
    pub const ALL: [Kind; 4] = [
        Kind::Completion,
        Kind::Embedding,
        Kind::Retrieval,
        Kind::Tool,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Completion => "completion",
            Kind::Embedding => "embedding",
            Kind::Retrieval => "retrieval",
            Kind::Tool => "tool",
        }
    }
}

/// The kind of non-human (or human) identity behind the usage. Inferred from the source
/// format until a config file says otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    ApiKey,
    ServiceAccount,
    Agent,
    Human,
    Project,
    #[default]
    Unknown,
}

impl IdentityKind {
    pub fn label(self) -> &'static str {
        match self {
            IdentityKind::ApiKey => "api-key",
            IdentityKind::ServiceAccount => "service-account",
            IdentityKind::Agent => "agent",
            IdentityKind::Human => "human",
            IdentityKind::Project => "project",
            IdentityKind::Unknown => "unknown",
        }
    }

    /// The label as the overview's KIND column writes it: `service-account` is cut to fit.
    pub fn short_label(self) -> &'static str {
        match self {
            IdentityKind::ServiceAccount => "svc-acct",
            other => other.label(),
        }
    }
}

/// The log format a record came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    ClaudeCode,
    Tokentop,
    /// Codex CLI rollouts (`~/.codex/sessions`) and `codex exec --json` output.
    Codex,
    /// OpenAI response objects logged one per line (chat, responses, embeddings).
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages responses and streaming events logged one per line.
    Anthropic,
    /// A provider response inside tokentop's wrapper (`"tokentop_wrap": 1`).
    Wrapper,
    /// LiteLLM's logging payload (`StandardLoggingPayload`), one per line.
    #[serde(rename = "litellm")]
    LiteLlm,
    /// Gemini CLI chat recordings (`~/.gemini/tmp/<project>/chats/session-*.jsonl`, and
    /// the legacy whole `session-*.json` documents).
    GeminiCli,
    /// Qwen Code chat records (`~/.qwen/projects/<project>/chats/<session>.jsonl`).
    QwenCode,
    /// OpenCode's SQLite store (`opencode.db`: `message` rows) and its legacy JSON tree.
    #[serde(rename = "opencode")]
    OpenCode,
    /// Goose's SQLite store (`sessions.db`: `usage_ledger` rows, else session counters).
    Goose,
    /// Kimi CLI wire logs (`~/.kimi/sessions/<md5>/<session>/wire.jsonl`).
    KimiCli,
    /// pi session logs (`~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl`).
    Pi,
    /// GitHub Copilot CLI: its OpenTelemetry file export and session `events.jsonl`.
    CopilotCli,
}

impl Format {
    /// The coding agent that wrote the log, as the label its rows carry (`label:codex` in
    /// the filter, `label = "codex"` in budgets and policies); `None` for provider and
    /// proxy formats, whose rows are keys and services rather than an agent's projects.
    pub fn agent(self) -> Option<&'static str> {
        match self {
            Format::ClaudeCode => Some("claude-code"),
            Format::Codex => Some("codex"),
            Format::GeminiCli => Some("gemini-cli"),
            Format::QwenCode => Some("qwen-code"),
            Format::OpenCode => Some("opencode"),
            Format::Goose => Some("goose"),
            Format::KimiCli => Some("kimi-cli"),
            Format::Pi => Some("pi"),
            Format::CopilotCli => Some("copilot-cli"),
            Format::Tokentop
            | Format::OpenAi
            | Format::Anthropic
            | Format::Wrapper
            | Format::LiteLlm => None,
        }
    }
}

/// A coding agent's identity: `<agent>:<project>` (shown by path, as for Claude Code),
/// or the agent's label alone when no project is known.
pub fn agent_identity(label: &str, project: Option<&str>) -> String {
    project.map_or_else(|| label.to_string(), |p| format!("{label}:{p}"))
}

/// The raw fields an identity was derived from, kept for drill-down and later mapping.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityAttrs {
    pub api_key_id: Option<String>,
    pub user: Option<String>,
    pub project: Option<String>,
    pub session: Option<String>,
    /// Sub-agent id (Claude Code `agentId`) or agent name.
    pub agent: Option<String>,
    /// The team the record names (an OTLP `team.id` or `department` resource attribute,
    /// LiteLLM's key team): the identity's team unless an identity rule gives one.
    #[serde(default)]
    pub team: Option<String>,
}

/// One tool call made by the model in a response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Provider id (`toolu_...`, `call_...`), used to count each call once across copies.
    pub id: Option<String>,
    pub name: String,
    /// MCP server, for tools named `mcp__<server>__<tool>`.
    pub mcp_server: Option<String>,
}

impl ToolCall {
    pub fn new(id: Option<String>, name: String) -> Self {
        let mcp_server = name
            .strip_prefix("mcp__")
            .and_then(|rest| rest.split_once("__"))
            .map(|(server, _)| server.to_string());
        ToolCall {
            id,
            name,
            mcp_server,
        }
    }
}

/// Identifies the copies of one response: a 128-bit hash of the provider's ids, so that
/// remembering a response costs 16 bytes and no allocation, and comparing is one compare.
/// The hash is seeded per process: log content cannot be crafted to collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DedupKey(pub u128);

impl DedupKey {
    /// The key of the concatenation of `parts` (same key as the joined text).
    pub fn of(parts: &[&str]) -> Self {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::LazyLock;
        static SEEDS: LazyLock<[foldhash::quality::FixedState; 2]> = LazyLock::new(|| {
            let random = std::collections::hash_map::RandomState::new();
            [1u8, 2].map(|n| foldhash::quality::FixedState::with_seed(random.hash_one(n)))
        });
        let mut joined = [0u8; 256];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let owned;
        let bytes: &[u8] = if len <= joined.len() {
            let mut at = 0;
            for part in parts {
                joined[at..at + part.len()].copy_from_slice(part.as_bytes());
                at += part.len();
            }
            &joined[..len]
        } else {
            owned = parts.concat();
            owned.as_bytes()
        };
        let [a, b] = SEEDS.each_ref().map(|seed| {
            let mut h = seed.build_hasher();
            h.write(bytes);
            h.finish()
        });
        DedupKey((u128::from(a) << 64) | u128::from(b))
    }
}

/// A session's running total after one request (see [`Event::cumulative`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    /// The session whose maximum the total counts against: its id within what names it
    /// uniquely (the format; for Goose, whose ids are a day and a number, its database).
    pub series: DedupKey,
    pub total: Tokens,
}

impl From<&str> for DedupKey {
    fn from(text: &str) -> Self {
        DedupKey::of(&[text])
    }
}

/// Facts about an event that change how it is counted or shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// Token counts were estimated, not reported by the provider.
    pub estimated: bool,
    /// Made by a sub-agent (Claude Code `isSidechain`).
    pub sidechain: bool,
    /// Made locally with no API call (Claude Code `<synthetic>`): no cost, never unpriced.
    pub no_cost: bool,
    /// This copy carries the final counts of its response (e.g. `stop_reason` set).
    pub final_copy: bool,
    /// The record carried no time, so `time` is when the line was read: right for a live
    /// tail, wrong by however long the line waited when a file is read after the fact.
    pub time_from_read: bool,
    /// The agent's own telemetry of a request (a Claude Code OTel `api_request`, a Codex
    /// `sse_event`): its counts are final and its identity is the user's, so it wins over
    /// any log copy of the same request, whatever their sizes. On a tool result (Claude
    /// Code's or Codex's `tool_result`), its call moves from a log copy's identity too.
    #[serde(default)]
    pub telemetry: bool,
    /// The usage of many requests over an export interval (an OTLP metric point): its
    /// tokens and cost count, but it is no request and has no request's size.
    #[serde(default)]
    pub aggregate: bool,
    /// The record held no usage: the event only carries what its content exposed (a
    /// secret in a prompt or a tool result) to the record's identity, and counts nothing.
    #[serde(default)]
    pub no_usage: bool,
}

/// One request's usage, normalized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: TimeMs,
    /// The identity the usage is attributed to (display key).
    pub identity: String,
    pub identity_kind: IdentityKind,
    pub attrs: IdentityAttrs,
    pub format: Format,
    pub provider: String,
    pub model: String,
    pub kind: Kind,
    pub tokens: Tokens,
    pub tools: Vec<ToolCall>,
    /// Copies of one response share this key; the engine keeps the largest copy.
    pub dedup_key: Option<DedupKey>,
    pub latency_ms: Option<u64>,
    /// Cost written in the record itself, which wins over the price table.
    pub record_cost_usd: Option<f64>,
    /// For a format that logs its session's running total (Codex, Goose), that total after
    /// this request (`tokens` is then its growth since the previous count of the same
    /// file): the engine counts only what grew past the session's running maximum, so that
    /// a copy of a session, made at any point, counts once.
    #[serde(default)]
    pub cumulative: Option<Running>,
    pub flags: Flags,
    /// The line the event was read from, set by the reader (parsers leave it `None`, and so
    /// does stdin, which cannot be read back): how the raw record is fetched on demand.
    #[serde(skip)]
    pub origin: Option<Origin>,
    /// The 1-based number of that line in its file or stream, set by the reader (stdin
    /// too): where a finding's record is, for people.
    #[serde(skip)]
    pub line: Option<u64>,
    /// Secrets found in the record's content, set by the reader when it scans (boxed: most
    /// events have none).
    #[serde(skip)]
    pub secrets: Option<Box<Exposed>>,
}

impl Event {
    /// A record without usage, as an event that counts nothing ([`Flags::no_usage`]): it
    /// carries what the record's content exposed to its identity. `time` is `None` when the
    /// record has none (`read_time` then stands for it, flagged).
    pub fn carrier(
        time: Option<TimeMs>,
        read_time: TimeMs,
        identity: String,
        attrs: IdentityAttrs,
        format: Format,
        provider: &str,
    ) -> Event {
        Event {
            time: time.unwrap_or(read_time),
            identity,
            identity_kind: IdentityKind::Agent,
            attrs,
            format,
            provider: provider.to_string(),
            model: String::new(),
            kind: Kind::Completion,
            tokens: Tokens::default(),
            tools: Vec::new(),
            dedup_key: None,
            latency_ms: None,
            record_cost_usd: None,
            cumulative: None,
            flags: Flags {
                time_from_read: time.is_none(),
                no_usage: true,
                ..Flags::default()
            },
            origin: None,
            line: None,
            secrets: None,
        }
    }
}

/// What a scan found in one record: every secret, by type, place and fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposed {
    pub found: Vec<crate::secrets::Found>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcp_server_is_split_from_tool_name() {
        let t = ToolCall::new(None, "mcp__github__create_issue".into());
        assert_eq!(t.mcp_server.as_deref(), Some("github"));
        let t = ToolCall::new(None, "Bash".into());
        assert_eq!(t.mcp_server, None);
        let t = ToolCall::new(None, "mcp__broken".into());
        assert_eq!(t.mcp_server, None);
    }

    #[test]
    fn dedup_keys_of_parts_equal_keys_of_the_joined_text() {
        assert_eq!(
            DedupKey::of(&["msg_1", ":", "req_1"]),
            DedupKey::from("msg_1:req_1")
        );
        assert_ne!(DedupKey::from("msg_1:req_1"), DedupKey::from("msg_1:req_2"));
        let long = "x".repeat(300);
        assert_eq!(
            DedupKey::of(&[&long, "y"]),
            DedupKey::from(format!("{long}y").as_str())
        );
    }

    #[test]
    fn totals_do_not_add_reasoning_twice() {
        let t = Tokens {
            input: 10,
            cache_read: 100,
            cache_write_5m: 5,
            cache_write_1h: 1,
            output: 50,
            reasoning: 30,
        };
        assert_eq!(t.all_input(), 116);
        assert_eq!(t.total(), 166);
    }
}
