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
        // A token starts a word: `task-` or `mask-` do not hold an `sk-` key.
        let starts_word = m.start() == 0 || !word_byte(bytes[m.start() - 1]);
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
            redact("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig_nature-1"),
            "Bearer eyJ…[redacted]"
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
