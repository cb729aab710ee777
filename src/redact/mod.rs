//! Secrets in log text (API keys, tokens, passwords, cookies, private keys) are never
//! shown: whatever tokentop draws or writes from a raw record (an event's line in its
//! popup, a rejected line's example) goes through one policy first, [`redact`] for text
//! and [`redact_json`] for a parsed record. A token keeps its prefix, so a person still
//! sees what kind of secret was there (`sk-ant-api03-…[redacted]`), never the secret.
//!
//! The policy, in order: JSON escapes of printable characters are decoded (no `\u0041`
//! hides a key, [`escapes`]); the value after a credential's name goes whole, whatever it
//! looks like ([`pairs`]: JSON fields, headers, URL parameters, shell assignments); then
//! tokens told by their look ([`tokens`]). Each step is one linear pass.

pub(crate) mod escapes;
pub(crate) mod pairs;
mod tag;
pub(crate) mod tokens;

pub use tag::tag;

const REDACTED: &str = "…[redacted]";

/// Authorization schemes kept before a redacted credential (`Basic …[redacted]`).
const SCHEMES: &[&str] = &["basic", "bearer", "digest", "token", "negotiate"];

/// Whether a field (JSON, header) of this name holds a credential whatever it looks like:
/// `authorization`, `api_key` / `x-api-key`, `password`, `secret`, `cookie`,
/// `private_key`, `*token` (not the `*_tokens` counts, nor a key's id or name:
/// `api_key_id` names an identity).
pub fn is_secret_field(name: &str) -> bool {
    // Lower-case letters and digits only; on the stack, as this runs for every `:` and `=`.
    let mut stack = [0u8; 128];
    let mut len = 0;
    let heap: Vec<u8>;
    let squeezed: &[u8] = if name.len() <= stack.len() {
        for b in name.bytes().filter(u8::is_ascii_alphanumeric) {
            stack[len] = b.to_ascii_lowercase();
            len += 1;
        }
        &stack[..len]
    } else {
        heap = name
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        &heap
    };
    // A plain window search: names are short, and a memmem searcher costs more to build.
    let has = |part: &str| squeezed.windows(part.len()).any(|w| w == part.as_bytes());
    // The shortest credential name is `token`: most JSON keys (`type`, `id`, `text`) are shorter.
    if squeezed.len() < 5 || squeezed.ends_with(b"id") || squeezed.ends_with(b"name") {
        return false;
    }
    [
        "authorization",
        "apikey",
        "password",
        "passwd",
        "secret",
        "cookie",
        "privatekey",
    ]
    .into_iter()
    .any(has)
        || squeezed.ends_with(b"token")
}

/// A credential's value redacted, its quotes, authorization scheme or token prefix kept;
/// `None` when it holds nothing to hide (empty, `null`, `true`, `false`).
fn redacted_value(value: &str) -> Option<String> {
    let (open, inner, close) = ["\\\"", "\"", "'"]
        .iter()
        .find_map(|q| {
            let inner = value.strip_prefix(q)?;
            Some(match inner.strip_suffix(q) {
                Some(inner) => (*q, inner, *q),
                None => (*q, inner, ""),
            })
        })
        .unwrap_or(("", value, ""));
    if inner.is_empty() || (open.is_empty() && ["null", "true", "false"].contains(&inner)) {
        return None;
    }
    let kept = match inner.split_once(' ') {
        Some((scheme, rest))
            if !rest.is_empty() && SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) =>
        {
            &inner[..scheme.len() + 1]
        }
        _ => tokens::known_prefix(inner).unwrap_or(""),
    };
    Some(format!("{open}{kept}{REDACTED}{close}"))
}

/// A JSON value with every secret redacted: strings by [`redact`] (decoded, so escapes
/// cannot hide a key), and the whole value of a credential field ([`is_secret_field`])
/// whatever its type.
pub fn redact_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => *text = redact(text),
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if !is_secret_field(name) {
                    redact_json(field);
                    continue;
                }
                let hidden = match &*field {
                    Value::Null | Value::Bool(_) => None,
                    Value::String(text) => redacted_value(text),
                    other => Some(REDACTED.to_string()).filter(|_| !is_empty(other)),
                };
                if let Some(hidden) = hidden {
                    *field = Value::String(hidden);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// An empty array or object hides nothing.
fn is_empty(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Object(fields) => fields.is_empty(),
        _ => false,
    }
}

/// `text` with every secret it holds redacted (its kind of token kept); printable
/// characters written as JSON escapes come out decoded.
pub fn redact(text: &str) -> String {
    let decoded = escapes::decode(text);
    tokens::redact_tokens(&pairs::redact_pairs(&decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_prefix_and_lose_the_rest() {
        let anthropic = format!("sk-ant-api03-{}AA", "a".repeat(93));
        let text = format!(r#"{{"content":"use {anthropic} now","x":1}}"#);
        assert_eq!(
            redact(&text),
            r#"{"content":"use sk-ant-…[redacted] now","x":1}"#
        );
        let openai = format!("sk-proj-{}T3BlbkFJ{}", "B".repeat(58), "c".repeat(58));
        assert_eq!(redact(&openai), "sk-proj-…[redacted]");
        assert_eq!(redact("key=AKIAIOSFODNN7EXAMPLE;"), "key=AKIA…[redacted];");
        let gh = format!("token ghp_{}\\n", "x".repeat(36));
        assert_eq!(redact(&gh), "token ghp_…[redacted]\\n");
        assert_eq!(
            redact("jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_nature-1"),
            "jwt=eyJ…[redacted]"
        );
        assert_eq!(
            redact("xoxb-1234567890-abcdefghij end"),
            "xoxb-…[redacted] end"
        );
    }

    #[test]
    fn a_private_key_goes_whole() {
        let pem =
            "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\nb";
        assert_eq!(redact(pem), "a\n-----BEGIN…[redacted]\nb");
        let public = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----";
        assert_eq!(redact(public), public, "a public key is no secret");
    }

    #[test]
    fn escapes_and_percent_encoding_do_not_hide_a_key() {
        let key = format!("sk-ant-api03-{}AA", "a".repeat(93));
        for before in ["x\\t", "x\\n", "line\\r", "q%3D", "%20", "a\\u0009"] {
            let text = format!("{before}{key}");
            assert_eq!(
                redact(&text),
                format!("{before}sk-ant-…[redacted]"),
                "{text}"
            );
        }
        assert_eq!(
            redact("Authorization: Bearer abc.DEF-123_456/789+xyz="),
            "Authorization: Bearer …[redacted]"
        );
        assert_eq!(redact("Bearer short"), "Bearer short");
    }

    #[test]
    fn credential_fields_are_redacted_whatever_their_value() {
        let mut value = serde_json::json!({
            "headers": {"Authorization": "opaque-0123", "x-api-key": "k", "Accept": "json"},
            "api_key_id": "key_846a32c3bb81",
            "password": "hunter2",
            "input_tokens": 12,
            "refresh_token": "r-1",
            "content": [{"text": "1\tghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}],
        });
        redact_json(&mut value);
        assert_eq!(value["headers"]["Authorization"], "…[redacted]");
        assert_eq!(value["headers"]["x-api-key"], "…[redacted]");
        assert_eq!(value["headers"]["Accept"], "json");
        assert_eq!(value["password"], "…[redacted]");
        assert_eq!(value["refresh_token"], "…[redacted]");
        assert_eq!(value["input_tokens"], 12, "a count is no credential");
        assert_eq!(value["content"][0]["text"], "1\tghp_…[redacted]");
        assert_eq!(
            value["api_key_id"], "key_846a32c3bb81",
            "a key's id names it, it is no secret (and it is the identity)"
        );
    }

    #[test]
    fn credential_fields_go_whatever_their_type() {
        let mut value = serde_json::json!({
            "password": 12345,
            "client_secret": {"value": "s3cr3t"},
            "api_key": ["k1", "k2"],
            "authorization": "Basic dXNlcjpwYXNzd29yZA==",
            "x-api-key": "sk-proj-abc",
            "cookie": "session=abc; theme=dark",
            "secret": null,
            "token": "",
        });
        redact_json(&mut value);
        assert_eq!(value["password"], "…[redacted]");
        assert_eq!(value["client_secret"], "…[redacted]");
        assert_eq!(value["api_key"], "…[redacted]");
        assert_eq!(value["authorization"], "Basic …[redacted]");
        assert_eq!(value["x-api-key"], "sk-proj-…[redacted]", "its kind stays");
        assert_eq!(value["cookie"], "…[redacted]");
        assert_eq!(value["secret"], serde_json::Value::Null, "nothing to hide");
        assert_eq!(value["token"], "");
    }

    #[test]
    fn credential_names_in_text_lose_their_values() {
        let cases = [
            (
                r#"{"password":"hunter2","client_secret": "abc", "n":1}"#,
                r#"{"password":"…[redacted]","client_secret": "…[redacted]", "n":1}"#,
            ),
            (
                r#"{"password":12345,"x":[1]}"#,
                r#"{"password":…[redacted],"x":[1]}"#,
            ),
            (
                r#"{"api_key":{"id":"a","v":"}"},"ok":true}"#,
                r#"{"api_key":…[redacted],"ok":true}"#,
            ),
            (
                r#"{"body":"{"password":"hunter2","user":"bo"}"}"#,
                r#"{"body":"{"password":"…[redacted]","user":"bo"}"}"#,
            ),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZA==\r\nAccept: */*",
                "Authorization: Basic …[redacted]\r\nAccept: */*",
            ),
            (
                "Cookie: session=abc123; theme=dark
Host: x",
                "Cookie: …[redacted]
Host: x",
            ),
            ("X-Api-Key: 0123456789abcdef", "X-Api-Key: …[redacted]"),
            (
                "GET /v1?page=2&sig=abc%2F&token=t0k&access_token=q&key=k1&secret=s&password=p HTTP/1.1",
                "GET /v1?page=2&sig=…[redacted]&token=…[redacted]&access_token=…[redacted]&key=…[redacted]&secret=…[redacted]&password=…[redacted] HTTP/1.1",
            ),
            (
                "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCY; GITHUB_TOKEN=\"abc def\" make",
                "export AWS_SECRET_ACCESS_KEY=…[redacted]; GITHUB_TOKEN=\"…[redacted]\" make",
            ),
            (
                "MY_SERVICE_TOKEN='x y z' run",
                "MY_SERVICE_TOKEN='…[redacted]' run",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "{text}");
        }
    }

    #[test]
    fn counts_ids_and_names_are_no_credentials() {
        for text in [
            r#"{"input_tokens":12,"max_tokens":100,"api_key_id":"key_1","token_count":3}"#,
            "secret_name=prod-db page=2 key_id=k1",
            "see https://example.com/a:b and 12:30",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn json_escapes_cannot_hide_a_key() {
        let key = format!("sk-ant-api03-\\u0041{}", "\\u0062".repeat(30));
        assert_eq!(
            redact(&format!(r#"{{"text":"{key}"}}"#)),
            r#"{"text":"sk-ant-…[redacted]"}"#
        );
        assert_eq!(
            redact(r#"{"pass\u0077ord":"hunter2"}"#),
            r#"{"password":"…[redacted]"}"#
        );
    }

    #[test]
    fn ordinary_words_stay() {
        for text in [
            "pip install sk-learn",
            "task-ant-12345678901234567890",
            "AKIA is a prefix",
            "eyJ alone",
            "ghp_short",
            "claude-sonnet-4-5-20250929",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn multibyte_text_around_a_key_is_kept() {
        let text = format!("clé: sk-{} — fin", "Z".repeat(24));
        assert_eq!(redact(&text), "clé: sk-…[redacted] — fin");
    }
}
