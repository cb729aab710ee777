//! Secrets in log text (API keys, tokens, private keys) are never shown: whatever tokentop
//! draws or writes from a raw record (an event's line in its popup, a rejected line's
//! example) goes through [`redact`] first. A token keeps its prefix, so a person still
//! sees what kind of secret was there (`sk-ant-api03-…[redacted]`), never the secret.
//!
//! Matching is by known prefixes (one Aho-Corasick pass) and the characters a token of
//! that kind is made of, with a least length so words like "sk-learn" stay readable:
//! the generic prefix matcher suggested by the shared secret-pattern reference (gitleaks
//! rule prefixes), not gitleaks' full rules.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

const REDACTED: &str = "…[redacted]";

/// What follows a prefix in a token of its kind.
#[derive(Clone, Copy)]
enum Body {
    /// Letters, digits, `_` and `-`, at least this many.
    Word(usize),
    /// Upper-case letters and digits 2-7 (AWS key ids), exactly 16.
    AwsId,
    /// A JSON Web Token: base64url parts joined by dots, at least this many characters.
    Jwt(usize),
    /// A PEM private key: everything up to its END line.
    PrivateKey,
    /// An opaque credential (after `Bearer `): letters, digits and `-._~+/=`, at least
    /// this many.
    Opaque(usize),
}

/// Prefixes, longest first where one starts another (`sk-ant-` before `sk-`): the
/// matcher prefers the leftmost-longest.
const PATTERNS: &[(&str, Body)] = &[
    ("sk-ant-", Body::Word(20)),
    ("sk-proj-", Body::Word(20)),
    ("sk-svcacct-", Body::Word(20)),
    ("sk-admin-", Body::Word(20)),
    ("sk-", Body::Word(20)),
    ("sk_live_", Body::Word(10)),
    ("sk_test_", Body::Word(10)),
    ("rk_live_", Body::Word(10)),
    ("rk_test_", Body::Word(10)),
    ("ghp_", Body::Word(30)),
    ("gho_", Body::Word(30)),
    ("ghu_", Body::Word(30)),
    ("ghs_", Body::Word(30)),
    ("ghr_", Body::Word(30)),
    ("github_pat_", Body::Word(20)),
    ("xoxb-", Body::Word(10)),
    ("xoxp-", Body::Word(10)),
    ("xoxa-", Body::Word(10)),
    ("xoxe-", Body::Word(10)),
    ("xoxo-", Body::Word(10)),
    ("xoxs-", Body::Word(10)),
    ("xoxr-", Body::Word(10)),
    ("xapp-", Body::Word(10)),
    ("AIza", Body::Word(30)),
    ("AKIA", Body::AwsId),
    ("ASIA", Body::AwsId),
    ("eyJ", Body::Jwt(30)),
    ("-----BEGIN", Body::PrivateKey),
    ("Bearer ", Body::Opaque(16)),
    ("bearer ", Body::Opaque(16)),
];

static MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(PATTERNS.iter().map(|(p, _)| p))
        .unwrap_or_else(|_| AhoCorasick::new([""; 0]).expect("an empty matcher builds"))
});

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Bytes of the token body starting at `at` (0: not a token of this kind).
fn body_len(text: &[u8], at: usize, body: Body) -> usize {
    let rest = &text[at..];
    match body {
        Body::Word(min) => {
            let n = rest.iter().take_while(|&&b| word_byte(b)).count();
            if n >= min { n } else { 0 }
        }
        Body::AwsId => {
            let n = rest
                .iter()
                .take_while(|&&b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
                .count();
            let next_is_word = rest.get(16).is_some_and(|&b| word_byte(b));
            if n >= 16 && !next_is_word { 16 } else { 0 }
        }
        Body::Jwt(min) => {
            let n = rest
                .iter()
                .take_while(|&&b| word_byte(b) || b == b'.' || b == b'=')
                .count();
            let dots = rest[..n].iter().filter(|&&b| b == b'.').count();
            if n >= min && dots >= 2 { n } else { 0 }
        }
        Body::Opaque(min) => {
            let n = rest
                .iter()
                .take_while(|&&b| word_byte(b) || b"._~+/=".contains(&b))
                .count();
            if n >= min { n } else { 0 }
        }
        Body::PrivateKey => {
            let head = &rest[..rest.len().min(120)];
            let is_private = head
                .windows(b"PRIVATE KEY".len())
                .any(|w| w == b"PRIVATE KEY");
            if !is_private {
                return 0;
            }
            // To the END line's closing dashes, else the rest of the text.
            let end = find(rest, b"-----END")
                .and_then(|e| find(&rest[e + 8..], b"-----").map(|d| e + 8 + d + 5));
            end.unwrap_or(rest.len())
        }
    }
}

/// Whether a token can start at `at`: `task-` or `mask-` hold no `sk-` key, but an
/// escape (`\n`, `\t`, `\r`, `\u0009` in JSON text) or a percent-encoded byte (`%3D`)
/// right before it is not part of the word.
fn starts_word(text: &[u8], at: usize) -> bool {
    let before = |n: usize| at.checked_sub(n).map(|i| text[i]);
    match before(1) {
        None => true,
        Some(b) if !word_byte(b) => true,
        Some(b'n' | b't' | b'r') if before(2) == Some(b'\\') => true,
        Some(b) if b.is_ascii_hexdigit() => {
            let hex = |n: usize| before(n).is_some_and(|c| c.is_ascii_hexdigit());
            let percent = hex(2) && before(3) == Some(b'%');
            let unicode = (2..=4).all(hex) && before(5) == Some(b'u') && before(6) == Some(b'\\');
            percent || unicode
        }
        Some(_) => false,
    }
}

/// Whether a JSON field of this name holds a credential whatever it looks like:
/// `authorization`, `api_key` / `x-api-key`, `password`, `secret`, `*token` (not the
/// `*_tokens` counts, nor a key's id or name: `api_key_id` names an identity).
pub fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let squeezed: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if squeezed.ends_with("id") || squeezed.ends_with("name") {
        return false;
    }
    squeezed.contains("authorization")
        || squeezed.contains("apikey")
        || squeezed.contains("password")
        || squeezed.contains("secret")
        || squeezed.ends_with("token")
}

/// A JSON value with every secret redacted: strings by [`redact`] (decoded, so escapes
/// cannot hide a key), and the whole value of a credential field ([`is_secret_field`]).
pub fn redact_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => *text = redact(text),
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match field {
                    Value::String(text) if is_secret_field(name) && !text.is_empty() => {
                        *text = REDACTED.to_string();
                    }
                    other => redact_json(other),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `text` with every secret it holds cut to its prefix and `…[redacted]`.
pub fn redact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for m in MATCHER.find_iter(text) {
        if m.start() < copied {
            continue;
        }
        let starts_word = starts_word(bytes, m.start());
        let (prefix, body) = PATTERNS[m.pattern().as_usize()];
        let len = if starts_word {
            body_len(bytes, m.end(), body)
        } else {
            0
        };
        if len == 0 {
            continue;
        }
        out.push_str(&text[copied..m.start()]);
        out.push_str(prefix);
        out.push_str(REDACTED);
        copied = m.end() + len;
    }
    out.push_str(&text[copied..]);
    out
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
