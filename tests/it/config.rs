//! The config file: the example parses, and every kind of mistake is named with its file,
//! line, column and key.

use std::path::{Path, PathBuf};

use tokentop::config::Config;
use tokentop::engine::budget::{BudgetUnit, Scope};
use tokentop::engine::mapping::RawField;
use tokentop::engine::period::{Calendar, Period};
use tokentop::event::IdentityKind;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/config.example.toml")
}

fn error(text: &str) -> String {
    match Config::parse(text, Path::new("tokentop.toml")) {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(e) => e.to_string(),
    }
}

const BUDGET: &str = "[[budget]]\nname = \"daily\"\n";

#[test]
fn the_example_config_parses_and_uses_every_part() {
    let config = Config::load(&example()).expect("example config");
    assert_eq!(
        config.time_zone.as_ref().and_then(|tz| tz.iana_name()),
        Some("Europe/Berlin")
    );
    assert_eq!(config.path.as_deref(), Some(example().as_path()));
    let rules = &config.identities;
    assert!(rules.len() >= 5);
    assert_eq!(rules[0].name.as_deref(), Some("web (prod)"));
    assert_eq!(rules[0].kind, Some(IdentityKind::ApiKey));
    assert_eq!(rules[0].conditions[0].0, RawField::ApiKeyId);
    assert!(
        rules.iter().any(|r| r.name.is_none()),
        "a rule that keeps raw names"
    );
    assert!(
        rules.iter().any(|r| r.conditions.len() == 2),
        "a rule on two fields"
    );
    assert!(rules.iter().any(|r| r.conditions[0].1.is_glob()));

    let budgets = &config.budgets;
    let has = |f: &dyn Fn(&Scope) -> bool| budgets.iter().any(|b| f(&b.scope));
    assert!(has(&|s| matches!(s, Scope::Identity(_))));
    assert!(has(&|s| matches!(s, Scope::Team(_))));
    assert!(has(&|s| matches!(s, Scope::Label(_))));
    assert!(has(&|s| matches!(s, Scope::Model(_))));
    assert!(has(&|s| matches!(s, Scope::All)));
    assert!(
        budgets
            .iter()
            .any(|b| matches!(b.period, Period::Rolling { .. }))
    );
    assert!(
        budgets
            .iter()
            .any(|b| b.period == Period::Calendar(Calendar::Week))
    );
    assert!(budgets.iter().any(|b| b.unit == BudgetUnit::Tokens));
    assert!(
        budgets.iter().any(|b| b.warn_at == vec![0.8]),
        "the default"
    );
    assert!(budgets.iter().any(|b| b.warn_at.len() == 2));
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let text = format!("{BUDGET}all = true\nperiod = \"day\"\nlimt_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:5:1: unknown field `limt_usd`, expected one of `name`, `identity`, `team`, `label`, `model`, `all`, `period`, `rolling`, `limit_usd`, `limit_tokens`, `warn_at`, `ledger`"
    );
    assert_eq!(
        error("time_zone = \"UTC\"\ntimezone = \"UTC\"\n"),
        "tokentop.toml:2:1: unknown field `timezone`, expected one of `time_zone`, `identity`, `budget`, `policy`, `bursts`, `prices`, `providers`, `reconcile`, `serve`, `otlp`, `secrets`"
    );
    assert_eq!(
        error("[[identity]]\nmatch = { api_kye_id = \"k\" }\n"),
        "tokentop.toml:2:11: unknown field `api_kye_id`, expected one of `api_key_id`, `user`, `project`, `session`, `agent`, `workspace`, `identity`"
    );
}

#[test]
fn a_bad_value_is_named_with_its_key() {
    assert_eq!(
        error("[[identity]]\nmatch = { user = \"ana\" }\nkind = \"robot\"\n"),
        "tokentop.toml:3:8: kind: unknown variant `robot`, expected one of `api-key`, `service-account`, `agent`, `human`, `project`, `unknown`"
    );
    let text = format!("{BUDGET}all = true\nperiod = \"day\"\nlimit_usd = \"5\"\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:5:13: limit_usd: invalid type: string \"5\", expected f64"
    );
    let text =
        format!("{BUDGET}all = true\nperiod = \"day\"\nlimit_usd = 5\nwarn_at = [0.5, \"x\"]\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:6:17: warn_at: invalid type: string \"x\", expected f64"
    );
    assert_eq!(
        error("time_zone = \"UTC\"\ntime_zone = \"UTC\"\n"),
        "tokentop.toml:2:1: time_zone: duplicate key"
    );
    assert_eq!(
        error("[[identity]]\nname = \"x\"\n"),
        "tokentop.toml:1:1: missing field `match`"
    );
}

/// Found by fuzzing (fuzz/, target `config`): a character of more than one byte before the
/// key of a bad value (here a byte order mark) made naming the key panic.
#[test]
fn a_bad_value_after_a_wide_character_is_named() {
    assert_eq!(
        error("\u{feff}time_zone = 5\n"),
        "tokentop.toml:1:14: time_zone: invalid type: integer `5`, expected a string"
    );
}

#[test]
fn a_bad_period_is_explained() {
    let text = format!("{BUDGET}all = true\nperiod = \"fortnight\"\nlimit_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:4:10: budget \"daily\": period = \"fortnight\" is not \"hour\", \"day\", \"week\" or \"month\" (for a rolling window write rolling = \"14d\")"
    );
    let text = format!("{BUDGET}all = true\nrolling = \"1y\"\nlimit_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:4:11: budget \"daily\": rolling = \"1y\" is not a length such as \"90m\", \"24h\", \"7d\" or \"2w\" (whole minutes, hours, days or weeks, at most 366d)"
    );
    let text = format!("{BUDGET}all = true\nperiod = \"day\"\nrolling = \"24h\"\nlimit_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:5:11: budget \"daily\": period and rolling are both set: keep one"
    );
    let text = format!("\n{BUDGET}all = true\nlimit_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:2:1: budget \"daily\": no period: set period = \"hour\", \"day\", \"week\" or \"month\", or a rolling window such as rolling = \"24h\""
    );
}

#[test]
fn serve_label_bound_is_200_unless_set_to_one_or_more() {
    assert_eq!(Config::default().serve.max_label_values, 200);
    let path = Path::new("tokentop.toml");
    let config = Config::parse("[serve]\nmax_label_values = 3\n", path).expect("parses");
    assert_eq!(config.serve.max_label_values, 3);
    assert_eq!(
        error("[serve]\nmax_label_values = 0\n"),
        "tokentop.toml:2:20: [serve] max_label_values must be a whole number, 1 or more"
    );
}

#[test]
fn otlp_identity_attributes_and_metric_interval_are_checked() {
    let default = Config::default().otlp;
    assert_eq!(default.identity[0], "user.email");
    assert_eq!(default.metric_interval_ms, 60_000);
    let path = Path::new("tokentop.toml");
    let text = "[otlp]\nidentity = [\"enduser.id\", \"service.name\"]\nmetric_interval_secs = 10\n";
    let config = Config::parse(text, path).expect("parses");
    assert_eq!(config.otlp.identity, ["enduser.id", "service.name"]);
    assert_eq!(config.otlp.metric_interval_ms, 10_000);
    assert_eq!(
        error("[otlp]\nidentity = []\n"),
        "tokentop.toml:2:12: [otlp] identity must list attribute names, e.g. [\"enduser.id\", \"service.name\"]"
    );
    assert_eq!(
        error("[otlp]\nmetric_interval_secs = -1\n"),
        "tokentop.toml:2:24: [otlp] metric_interval_secs must be 0 to 3600 (your agents' OTEL_METRIC_EXPORT_INTERVAL in seconds)"
    );
}

#[test]
fn secrets_are_on_by_default_and_a_bad_ignore_entry_is_named_without_its_value() {
    assert!(Config::default().secrets.enabled);
    let path = Path::new("tokentop.toml");
    let config = Config::parse("[secrets]\nenabled = false\n", path).expect("parses");
    assert!(!config.secrets.enabled);
    let text = "[secrets]\nignore = { types = [\"jwt\"], paths = [\"toolUseResult.*\"] }\n";
    assert!(Config::parse(text, path).expect("parses").secrets.enabled);
    assert_eq!(
        error("[secrets]\nignore = { types = [\"jwtt\"] }\n"),
        "tokentop.toml:2:10: [secrets] ignore: type `jwtt` matches no secret type; use one of anthropic_api_key, openai_api_key, aws_access_key_id, aws_secret_access_key, github_token, gitlab_token, slack_token, stripe_key, google_api_key, jwt, private_key, password, api_key, secret, token"
    );
    // A secret pasted where its fingerprint belongs is never repeated back.
    let pasted = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
    let message = error(&format!(
        "[secrets]\nignore = {{ fingerprints = [\"{pasted}\"] }}\n"
    ));
    assert!(!message.contains(pasted), "{message}");
    assert!(message.contains("is not 32 hex digits"), "{message}");
}

#[test]
fn limits_are_one_and_positive() {
    let text =
        format!("{BUDGET}all = true\nperiod = \"day\"\nlimit_usd = 5\nlimit_tokens = 1000\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:6:16: budget \"daily\": limit_usd and limit_tokens are both set: a budget has one limit"
    );
    let text = format!("{BUDGET}all = true\nperiod = \"day\"\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:1:1: budget \"daily\": no limit: set limit_usd or limit_tokens"
    );
    let text = format!("{BUDGET}all = true\nperiod = \"day\"\nlimit_tokens = 0\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:5:16: budget \"daily\": limit_tokens = 0 must be a number above 0"
    );
    let text =
        format!("{BUDGET}all = true\nperiod = \"day\"\nlimit_usd = 5\nwarn_at = [0.8, 1.2]\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:6:11: budget \"daily\": warn_at = [0.8, 1.2] must list shares of the limit between 0 and 1, such as [0.8] or [0.5, 0.9]"
    );
}

#[test]
fn a_budget_has_exactly_one_scope() {
    let text = format!("\n\n{BUDGET}period = \"day\"\nlimit_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:3:1: budget \"daily\": no scope: set one of identity, team, label, model or all = true"
    );
    let text = format!("{BUDGET}team = \"a\"\nlabel = \"b\"\nperiod = \"day\"\nlimit_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:4:9: budget \"daily\": team and label are both set: a budget has one scope"
    );
    let text = format!("{BUDGET}all = false\nperiod = \"day\"\nlimit_usd = 5\n");
    assert_eq!(
        error(&text),
        "tokentop.toml:3:7: budget \"daily\": all = false covers nothing; write all = true, or another scope"
    );
}

#[test]
fn an_unknown_time_zone_is_named() {
    assert_eq!(
        error("# budgets\ntime_zone = \"Mars/Olympus\"\n"),
        "tokentop.toml:2:13: time_zone = \"Mars/Olympus\" is not a known IANA time zone; use a name such as UTC, Europe/Berlin or America/New_York"
    );
}

#[test]
fn names_and_rules_must_not_contradict() {
    let budget = "all = true\nperiod = \"day\"\nlimit_usd = 5\n";
    let text = format!("{BUDGET}{budget}{BUDGET}{budget}");
    assert_eq!(
        error(&text),
        "tokentop.toml:7:8: budget \"daily\": another budget (line 1) has this name; names must be unique"
    );
    let text = "[[identity]]\nmatch = { user = \"a\" }\nname = \"x\"\nteam = \"one\"\n\n[[identity]]\nmatch = { user = \"b\" }\nname = \"x\"\nteam = \"two\"\n";
    assert_eq!(
        error(text),
        "tokentop.toml:6:1: [[identity]] name \"x\" is also given by an earlier rule with another kind, team or labels; rules that name the same row must agree"
    );
    assert_eq!(
        error("[[identity]]\nmatch = {}\nname = \"x\"\n"),
        "tokentop.toml:2:9: [[identity]] match is empty: give at least one of api_key_id, user, project, session, agent, workspace or identity"
    );
}

#[test]
fn a_missing_file_is_named() {
    let err = Config::load(Path::new("/no/such/tokentop.toml")).expect_err("missing");
    assert_eq!(
        err.to_string(),
        "/no/such/tokentop.toml: No such file or directory (os error 2)"
    );
}

#[test]
fn reconcile_settings_are_checked_where_they_are_written() {
    assert_eq!(
        error("[reconcile]\nsettle = \"2 hours\"\n"),
        "tokentop.toml:2:10: [reconcile] settle = \"2 hours\": use minutes, hours or days such as \"90m\", \"2h\" or \"1d\""
    );
    assert_eq!(
        error("[reconcile]\nunattributed_usd = -1.0\n"),
        "tokentop.toml:2:20: [reconcile] unattributed_usd must be a number of dollars, 0 or more"
    );
    let text = "[[identity]]\nmatch = { workspace = \"wrkspc_*\" }\nname = \"research\"\n";
    let config = tokentop::config::Config::parse(text, std::path::Path::new("t.toml")).unwrap();
    assert_eq!(
        config.identities[0].conditions[0].0,
        tokentop::engine::mapping::RawField::Workspace
    );
}

#[test]
fn policies_name_whom_they_cover_and_which_tools() {
    let text = "[[policy]]\nname = \"no shell\"\nidentity = \"agent-*\"\ndeny = [\"Bash\"]\n\n[[policy]]\nname = \"reads\"\nallow = [\"Read\"]\nseverity = \"warn\"\n";
    let config = Config::parse(text, Path::new("tokentop.toml")).expect("parses");
    assert_eq!(config.policies.len(), 2);
    assert_eq!(
        config.policies[0].breach("Bash").as_deref(),
        Some("denied by Bash")
    );
    assert_eq!(config.policies[0].breach("Read"), None);
    assert_eq!(
        config.policies[1].breach("Write").as_deref(),
        Some("not in its allow list")
    );
    let cases = [
        (
            "[[policy]]\nname = \"p\"\nidentity = \"a\"\n",
            "tokentop.toml:1:1: policy \"p\": no tools named: set deny = [\"Bash\", ...] or allow = [\"Read\", ...]",
        ),
        (
            "[[policy]]\nname = \"p\"\nidentity = \"a\"\nteam = \"t\"\ndeny = [\"Bash\"]\n",
            "tokentop.toml:4:8: policy \"p\": identity and team are both set: a policy covers one of them",
        ),
        (
            "[[policy]]\nname = \"p\"\ndeny = [\"Bash\"]\nseverity = \"loud\"\n",
            "tokentop.toml:4:12: policy \"p\": severity = \"loud\" is not \"crit\", \"warn\" or \"info\"",
        ),
        (
            "[[policy]]\nname = \"p\"\ndeny = [\"\"]\n",
            "tokentop.toml:3:8: policy \"p\": deny has an empty tool name",
        ),
        (
            "[[policy]]\nname = \"p\"\ndeny = [\"Bash\"]\n[[policy]]\nname = \"p\"\ndeny = [\"Write\"]\n",
            "tokentop.toml:4:1: policy \"p\": another policy has this name",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(error(text), want, "{text}");
    }
}
