//! Fake keys are built at run time from a seeded generator, so the repository holds no
//! key-shaped literal for a push-protection scanner to stop.

use super::*;

const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const WORD: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const AWS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGITS: &[u8] = b"0123456789";

/// `len` characters of `alphabet`, the same for the same seed.
fn random(alphabet: &[u8], len: usize, seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(alphabet[(state % alphabet.len() as u64) as usize])
        })
        .collect()
}

fn key() -> FingerprintKey {
    FingerprintKey::from_bytes([42; 32])
}

/// One realistic secret of each type, and the text around it.
fn examples() -> Vec<(&'static str, String, String)> {
    let pem_body: Vec<String> = (0..4).map(|i| random(BASE64, 64, 100 + i)).collect();
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
        pem_body.join("\n")
    );
    let jwt = format!(
        "eyJ{}.eyJ{}.{}",
        random(BASE62, 33, 20),
        random(BASE62, 61, 21),
        random(WORD, 43, 22)
    );
    let slack = format!(
        "xoxb-{}-{}-{}",
        random(DIGITS, 12, 30),
        random(DIGITS, 13, 31),
        random(BASE62, 24, 32)
    );
    vec![
        (
            "anthropic_api_key",
            format!("sk-ant-api03-{}AA", random(WORD, 93, 1)),
            "key: {} end".into(),
        ),
        (
            "openai_api_key",
            format!("sk-proj-{}", random(WORD, 156, 2)),
            "OPENAI_API_KEY={}".into(),
        ),
        (
            "openai_api_key",
            format!("sk-{}", random(BASE62, 48, 3)),
            "use {} please".into(),
        ),
        (
            "aws_access_key_id",
            format!("AKIA{}", random(AWS, 16, 4)),
            "aws_access_key_id = {}".into(),
        ),
        (
            "aws_secret_access_key",
            random(BASE64, 40, 5),
            "export AWS_SECRET_ACCESS_KEY={}\n".into(),
        ),
        (
            "github_token",
            format!("ghp_{}", random(BASE62, 36, 6)),
            "git clone https://{}@github.com/o/r".into(),
        ),
        (
            "github_token",
            format!(
                "github_pat_{}_{}",
                random(BASE62, 22, 7),
                random(BASE62, 59, 8)
            ),
            "{}".into(),
        ),
        (
            "gitlab_token",
            format!("glpat-{}", random(WORD, 20, 9)),
            "PRIVATE-TOKEN: {}".into(),
        ),
        ("slack_token", slack, "SLACK_BOT_TOKEN='{}'".into()),
        (
            "stripe_key",
            format!("sk_live_{}", random(BASE62, 24, 10)),
            "stripe.api_key = \"{}\"".into(),
        ),
        (
            "google_api_key",
            format!("AIza{}", random(WORD, 35, 11)),
            "?key={}&q=1".into(),
        ),
        ("jwt", jwt, "cookie jwt {};".into()),
        ("private_key", pem, "cat id_rsa\n{}\n".into()),
        (
            "password",
            format!("Tr0ub4dor3{}", random(BASE62, 4, 12)),
            "PGPASSWORD={} psql".into(),
        ),
        (
            "password",
            random(BASE62, 14, 13),
            "{\"db\": {\"password\": \"{}\"}}".into(),
        ),
        (
            "api_key",
            random(BASE62, 32, 14),
            "curl -H 'x-api-key: {}' https://api".into(),
        ),
        (
            "secret",
            random(WORD, 30, 15),
            "client_secret={}&grant_type=x".into(),
        ),
        (
            "token",
            random(BASE62, 30, 16),
            "SERVICE_TOKEN={} ./run".into(),
        ),
        (
            "token",
            random(BASE62, 40, 17),
            "Authorization: Bearer {}".into(),
        ),
    ]
}

#[test]
fn each_type_is_found_with_its_range() {
    for (secret_type, secret, around) in examples() {
        let text = around.replace("{}", &secret);
        let start = text.find(&secret).unwrap_or(usize::MAX);
        let want = vec![Hit {
            secret_type,
            range: start..start + secret.len(),
        }];
        assert_eq!(scan(&text), want, "{secret_type} in {around}");
    }
}

#[test]
fn every_reported_type_is_listed() {
    for (secret_type, _, _) in examples() {
        assert!(TYPES.contains(&secret_type), "{secret_type}");
    }
    assert_eq!(TYPES.len(), 15);
}

#[test]
fn a_known_format_types_a_named_value() {
    let gh = format!("ghp_{}", random(BASE62, 36, 40));
    let ant = format!("sk-ant-api03-{}AA", random(WORD, 93, 41));
    let types = |text: String| {
        scan(&text)
            .iter()
            .map(|h| h.secret_type)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        types(format!("GITHUB_TOKEN={gh} gh pr list")),
        ["github_token"]
    );
    assert_eq!(
        types(format!("x-api-key: \"{ant}\"")),
        ["anthropic_api_key"]
    );
    assert_eq!(
        types(format!("Authorization: Bearer {ant}")),
        ["anthropic_api_key"]
    );
    let basic = random(BASE64, 24, 42);
    assert_eq!(types(format!("Authorization: Basic {basic}")), ["password"]);
}

#[test]
fn placeholders_references_and_code_are_not_flagged() {
    let aws_doc = format!("AKIAIOSFODNN7{}", "EXAMPLE");
    let texts = [
        "password=...".to_string(),
        "password: ****".into(),
        "export GITHUB_TOKEN=${GITHUB_TOKEN}".into(),
        "TOKEN=$TOKEN make".into(),
        "api_key: <your-key>".into(),
        "\"api_key\": \"<your-api-key>\"".into(),
        "token=xxxxxxxxxxxxxxxx".into(),
        "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx".into(),
        format!("ghp_{}", "x".repeat(36)),
        format!("aws_access_key_id = {aws_doc}"),
        "Authorization: Bearer $TOKEN".into(),
        "Authorization: Bearer YOUR_API_KEY_HERE".into(),
        "password = get_password()".into(),
        "token = tokenizer.encode(text)".into(),
        "password=password".into(),
        "  token: string;".into(),
        "self.api_key = api_key".into(),
        "\"max_tokens\": 4096, \"input_tokens\": 12".into(),
        "secret_name=prod-db-credentials".into(),
        "\"token\": \"{{ token }}\"".into(),
        "password: Enter your password below".into(),
        "TOKEN_FILE=/run/secrets/token".into(),
        "auth_token: https://example.com/callback".into(),
        "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----".into(),
        "pip install sk-learn; task-ant-12345678901234567890".into(),
        "claude-sonnet-4-5-20250929 eyJhbGciOi".into(),
        "session_token = None".into(),
        "password=changeme123".into(),
        // A response's log-probabilities and a form's labels hold words, not secrets.
        "{\"logprobs\": {\"content\": [{\"token\": \"beautiful\"}]}}".into(),
        "{\"password\": \"Passwort\", \"api_key\": \"API-Schl\u{fc}ssel\"}".into(),
        // Both seen in the real Claude Code logs: a token cut short by hand, a price.
        "\"accessToken\": \"sk-ant-oat01-...\", \"refreshToken\": \"sk-ant-oat01-...\"".into(),
        "\"input_cost_per_token\": 3.2e-05, \"output_cost_per_token\": 1.5e-06".into(),
    ];
    for text in texts {
        assert_eq!(scan(&text), vec![], "{text}");
    }
}

#[test]
fn tokens_of_the_wrong_form_are_not_reported() {
    let texts = [
        // 30 characters: the GitHub form before 2021, too short for today's tokens.
        format!("ghp_{}", random(BASE62, 30, 90)),
        // Google keys are 35 characters after the prefix, no more, no fewer.
        format!("AIza{}", random(WORD, 34, 91)),
        format!("AIza{}", random(WORD, 36, 92)),
        // An Anthropic key names its kind and version (`api03-`).
        format!("sk-ant-{}", random(BASE62, 60, 93)),
        // A bare `sk-` key is letters and digits only: this is a slug.
        format!(
            "sk-{}-{}-{}",
            random(BASE62, 12, 94),
            random(BASE62, 12, 95),
            random(BASE62, 12, 96)
        ),
        format!("sk_live_{}", random(BASE62, 12, 97)),
        format!("glpat-{}", random(WORD, 12, 98)),
        format!("xoxb-{}", random(BASE62, 30, 99)),
        // A JSON Web Token's payload is a JSON object too (`eyJ`), and it is signed.
        format!(
            "eyJ{}.{}.{}",
            random(BASE62, 20, 100),
            random(BASE62, 40, 101),
            random(WORD, 43, 102)
        ),
        format!(
            "eyJ{}.eyJ{}.",
            random(BASE62, 20, 103),
            random(BASE62, 40, 104)
        ),
        // A public key is no secret.
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
            random(BASE64, 128, 105)
        ),
    ];
    for text in texts {
        assert_eq!(scan(&text), vec![], "{text}");
    }
}

#[test]
fn json_paths_name_nested_arrays() {
    let gh = format!("ghp_{}", random(BASE62, 36, 50));
    let record = serde_json::json!({
        "type": "assistant",
        "message": {"content": [
            {"type": "text", "text": "listing"},
            {"type": "tool_use", "input": {"command": "ls"}},
            {"type": "tool_use", "input": {"command": format!("export GITHUB_TOKEN={gh}")}},
        ]},
        "grid": [[1, "a"], [2, format!("token {gh}")]],
    });
    let found = scan_json(&record.to_string(), &key());
    let paths: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.secret_type, f.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("github_token", "message.content[2].input.command"),
            ("github_token", "grid[1][1]"),
        ]
    );
    assert_eq!(found[0].fingerprint, key().fingerprint(&gh));
    assert_eq!(
        found[0].fingerprint, found[1].fingerprint,
        "one secret, one print"
    );
}

#[test]
fn json_escapes_do_not_hide_a_key_or_a_name() {
    let gh = random(BASE62, 36, 60);
    let line = format!(r#"{{"text":"\u0067hp_{gh}","n":1}}"#);
    let found = scan_json(&line, &key());
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].secret_type, found[0].path.as_str()),
        ("github_token", "text")
    );
    assert_eq!(
        found[0].fingerprint,
        key().fingerprint(&format!("ghp_{gh}"))
    );
    let pass = random(BASE62, 16, 61);
    let line = format!(r#"{{"db":{{"pass\u0077ord":"{pass}"}}}}"#);
    let found = scan_json(&line, &key());
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].secret_type, found[0].path.as_str()),
        ("password", "db.password")
    );
    assert_eq!(found[0].fingerprint, key().fingerprint(&pass));
    let escaped_newline = format!(r#"{{"out":"a\nAKIA{}\n"}}"#, random(AWS, 16, 62));
    assert_eq!(scan_json(&escaped_newline, &key()).len(), 1);
}

#[test]
fn otel_tool_parameters_holding_json_are_scanned_as_text() {
    let openai = format!("sk-proj-{}", random(WORD, 120, 70));
    let pass = format!("{}7", random(BASE62, 17, 71));
    let params = serde_json::json!({
        "command": format!("curl -H 'Authorization: Bearer {openai}' https://api"),
        "env": {"password": pass},
    });
    let record = serde_json::json!({
        "attributes": {"event.name": "tool_result", "tool_name": "Bash",
                       "tool_parameters": params.to_string()},
    });
    let found = scan_json(&record.to_string(), &key());
    let got: Vec<_> = found
        .iter()
        .map(|f| (f.secret_type, f.path.as_str(), f.fingerprint))
        .collect();
    let path = "attributes.tool_parameters";
    assert_eq!(
        got,
        [
            ("openai_api_key", path, key().fingerprint(&openai)),
            ("password", path, key().fingerprint(&pass)),
        ]
    );
}

#[test]
fn records_without_secrets_and_plain_lines() {
    let usage = r#"{"message":{"usage":{"input_tokens":12,"output_tokens":3}},"text":"no key"}"#;
    assert_eq!(scan_json(usage, &key()), vec![]);
    let logprobs = r#"{"choices":[{"logprobs":{"content":[{"token":"wonderful","top_logprobs":[{"token":"marvelous"}]}]}}]}"#;
    assert_eq!(scan_json(logprobs, &key()), vec![]);
    let gh = format!("ghp_{}", random(BASE62, 36, 80));
    let found = scan_json(&format!("not json {gh}"), &key());
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].secret_type, found[0].path.as_str()),
        ("github_token", "")
    );
}

#[test]
fn debug_output_never_holds_the_value() {
    for (_, secret, around) in examples() {
        let line = serde_json::json!({"text": around.replace("{}", &secret)}).to_string();
        let found = scan_json(&line, &key());
        assert_eq!(found.len(), 1, "{around}");
        let shown = format!("{found:?} {:?}", scan(&around.replace("{}", &secret)));
        assert!(!shown.contains(&secret), "{shown}");
        assert!(shown.contains(&found[0].fingerprint.to_string()));
    }
}

/// LiteLLM logs a key's hash, never the key (`user_api_key_hash`, and SpendLogs' own
/// `api_key`): a digest is no secret to rotate. Its own fixture holds both forms.
#[test]
fn digests_of_keys_are_not_reported() {
    let digest = "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b";
    let line = format!(
        r#"{{"metadata":{{"user_api_key_hash":"{digest}","user_api_key_alias":"checkout"}},"api_key":"{digest}"}}"#
    );
    assert_eq!(scan_json(&line, &key()), vec![]);
    let fixture = include_str!("../../tests/fixtures/litellm.jsonl");
    for line in fixture.lines() {
        assert_eq!(scan_json(line, &key()), vec![], "{line}");
    }
}

/// A credential used as an object key never shows in a path: a token is a finding at
/// `<redacted>`, and a random-looking key is hidden where the path passes it.
#[test]
fn a_secret_as_an_object_key_is_never_written_into_a_path() {
    let aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9w8E7r6T";
    let line =
        format!(r#"{{"toolUseResult":{{"creds":{{"{aws}":{{"password":"Tr0ub4dor&3xq"}}}}}}}}"#);
    let found = scan_json(&line, &key());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, "toolUseResult.creds.<redacted>.password");
    let gh = format!("ghp_{}", random(BASE62, 36, 81));
    let line = format!(r#"{{"tokens":{{"{gh}":"ci"}}}}"#);
    let found = scan_json(&line, &key());
    assert_eq!(
        (found[0].secret_type, found[0].path.as_str()),
        ("github_token", "tokens.<redacted>")
    );
    // Names stay names.
    let line = r#"{"cacheCreationInputTokens":{"password":"Tr0ub4dor&3xq"}}"#;
    assert_eq!(
        scan_json(line, &key())[0].path,
        "cacheCreationInputTokens.password"
    );
}
