//! Secrets told by their look: known prefixes (one Aho-Corasick pass) and the characters a
//! token of that kind is made of, with a least length so words like "sk-learn" stay
//! readable: the generic prefix matcher suggested by the shared secret-pattern reference
//! (gitleaks rule prefixes), not gitleaks' full rules.
//!
//! Linear time: a line made of one prefix repeated (`=eyJ=eyJ…`) would have each match
//! scan the rest of the line for its body. A scan remembers where its run of body
//! characters ends, and a later match inside that run reuses it.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::REDACTED;

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
/// matcher prefers the leftmost-longest, and [`known_prefix`] the first. The third column
/// is the issuer's `secret_type` the secret scanner (`crate::secrets`) reports, so redaction
/// and scanning share one table; the scanner checks a token's body more strictly.
const PATTERNS: &[(&str, Body, &str)] = &[
    ("sk-ant-", Body::Word(20), "anthropic_api_key"),
    ("sk-proj-", Body::Word(20), "openai_api_key"),
    ("sk-svcacct-", Body::Word(20), "openai_api_key"),
    ("sk-admin-", Body::Word(20), "openai_api_key"),
    ("sk-", Body::Word(20), "openai_api_key"),
    ("sk_live_", Body::Word(10), "stripe_key"),
    ("sk_test_", Body::Word(10), "stripe_key"),
    ("rk_live_", Body::Word(10), "stripe_key"),
    ("rk_test_", Body::Word(10), "stripe_key"),
    ("ghp_", Body::Word(30), "github_token"),
    ("gho_", Body::Word(30), "github_token"),
    ("ghu_", Body::Word(30), "github_token"),
    ("ghs_", Body::Word(30), "github_token"),
    ("ghr_", Body::Word(30), "github_token"),
    ("github_pat_", Body::Word(20), "github_token"),
    ("glpat-", Body::Word(20), "gitlab_token"),
    ("xoxb-", Body::Word(10), "slack_token"),
    ("xoxp-", Body::Word(10), "slack_token"),
    ("xoxa-", Body::Word(10), "slack_token"),
    ("xoxe-", Body::Word(10), "slack_token"),
    ("xoxo-", Body::Word(10), "slack_token"),
    ("xoxs-", Body::Word(10), "slack_token"),
    ("xoxr-", Body::Word(10), "slack_token"),
    ("xapp-", Body::Word(10), "slack_token"),
    ("AIza", Body::Word(30), "google_api_key"),
    ("AKIA", Body::AwsId, "aws_access_key_id"),
    ("ASIA", Body::AwsId, "aws_access_key_id"),
    ("eyJ", Body::Jwt(30), "jwt"),
    ("-----BEGIN", Body::PrivateKey, "private_key"),
    ("Bearer ", Body::Opaque(16), "token"),
    ("bearer ", Body::Opaque(16), "token"),
];

static MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(PATTERNS.iter().map(|(p, _, _)| p))
        .unwrap_or_else(|_| AhoCorasick::new([""; 0]).expect("an empty matcher builds"))
});

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn jwt_byte(b: u8) -> bool {
    word_byte(b) || b == b'.' || b == b'='
}

fn opaque_byte(b: u8) -> bool {
    word_byte(b) || b"._~+/=".contains(&b)
}

/// The kinds of body whose runs are remembered.
#[derive(Clone, Copy)]
enum Run {
    Word,
    Jwt,
    Opaque,
}

/// Where the last scanned run of each kind ends: a match that starts before that end
/// lies in the same run, which ends there too (body characters are judged one by one).
#[derive(Default)]
struct Runs {
    /// (start, end) of the last run scanned, per [`Run`].
    last: [(usize, usize); 3],
    /// A JSON Web Token run found too short or with too few dots: any token starting
    /// inside it is shorter, with no more dots.
    bad_jwt_until: usize,
}

impl Runs {
    fn end(&mut self, text: &[u8], at: usize, run: Run) -> usize {
        let (start, end) = self.last[run as usize];
        if start <= at && at <= end && end > 0 {
            return end;
        }
        let class = match run {
            Run::Word => word_byte,
            Run::Jwt => jwt_byte,
            Run::Opaque => opaque_byte,
        };
        let end = at + text[at..].iter().take_while(|&&b| class(b)).count();
        self.last[run as usize] = (at, end);
        end
    }

    /// Bytes of the token body starting at `at` (0: not a token of this kind).
    fn body_len(&mut self, text: &[u8], at: usize, body: Body) -> usize {
        let rest = &text[at..];
        match body {
            Body::Word(min) => {
                let n = self.end(text, at, Run::Word) - at;
                if n >= min { n } else { 0 }
            }
            Body::AwsId => {
                let n = rest
                    .iter()
                    .take(16)
                    .take_while(|&&b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
                    .count();
                let next_is_word = rest.get(16).is_some_and(|&b| word_byte(b));
                if n == 16 && !next_is_word { 16 } else { 0 }
            }
            Body::Jwt(min) => {
                if at < self.bad_jwt_until {
                    return 0;
                }
                let end = self.end(text, at, Run::Jwt);
                let dots = memchr::memchr_iter(b'.', &text[at..end]).count();
                if end - at >= min && dots >= 2 {
                    end - at
                } else {
                    self.bad_jwt_until = end;
                    0
                }
            }
            Body::Opaque(min) => {
                let n = self.end(text, at, Run::Opaque) - at;
                if n >= min { n } else { 0 }
            }
            Body::PrivateKey => {
                let head = &rest[..rest.len().min(120)];
                if memchr::memmem::find(head, b"PRIVATE KEY").is_none() {
                    return 0;
                }
                // To the END line's closing dashes, else the rest of the text.
                let end = memchr::memmem::find(rest, b"-----END").and_then(|e| {
                    memchr::memmem::find(&rest[e + 8..], b"-----").map(|d| e + 8 + d + 5)
                });
                end.unwrap_or(rest.len())
            }
        }
    }
}

/// Whether a token can start at `at`: `task-` or `mask-` hold no `sk-` key, but an
/// escape (`\n`, `\t`, `\r`, `\b`, `\f`, `\u0009` in JSON text) or a percent-encoded byte (`%3D`)
/// right before it is not part of the word.
fn starts_word(text: &[u8], at: usize) -> bool {
    let before = |n: usize| at.checked_sub(n).map(|i| text[i]);
    match before(1) {
        None => true,
        Some(b) if !word_byte(b) => true,
        Some(b'n' | b't' | b'r' | b'b' | b'f') if before(2) == Some(b'\\') => true,
        Some(b) if b.is_ascii_hexdigit() => {
            let hex = |n: usize| before(n).is_some_and(|c| c.is_ascii_hexdigit());
            let percent = hex(2) && before(3) == Some(b'%');
            let unicode = (2..=4).all(hex) && before(5) == Some(b'u') && before(6) == Some(b'\\');
            percent || unicode
        }
        Some(_) => false,
    }
}

/// The known token prefix `value` starts with, if any (kept when a credential field's
/// value is redacted, so a person still sees what kind of secret was there).
pub(super) fn known_prefix(value: &str) -> Option<&'static str> {
    PATTERNS
        .iter()
        .map(|(p, _, _)| *p)
        .find(|p| value.starts_with(p) && !p.ends_with(' '))
}

/// A token found by its look: where it lies in the text, its prefix and its issuer's
/// `secret_type` (the table's third column).
#[derive(Clone, Copy)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub prefix: &'static str,
    pub issuer: &'static str,
}

/// Every token in `text`, left to right, none overlapping: one Aho-Corasick pass over the
/// prefixes, a body check only where one matched.
pub(crate) fn find_tokens(text: &str, mut found: impl FnMut(Token)) {
    let bytes = text.as_bytes();
    let mut after = 0;
    let mut runs = Runs::default();
    for m in MATCHER.find_iter(text) {
        if m.start() < after || !starts_word(bytes, m.start()) {
            continue;
        }
        let (prefix, body, issuer) = PATTERNS[m.pattern().as_usize()];
        let len = runs.body_len(bytes, m.end(), body);
        if len == 0 {
            continue;
        }
        after = m.end() + len;
        found(Token {
            start: m.start(),
            end: after,
            prefix,
            issuer,
        });
    }
}

/// `text` with every token it holds replaced by `with(prefix, token)`; borrowed when it
/// holds none.
pub(super) fn replace_tokens<'a>(
    text: &'a str,
    mut with: impl FnMut(&str, &str) -> String,
) -> Cow<'a, str> {
    let mut out = String::new();
    let mut copied = 0;
    find_tokens(text, |token| {
        out.push_str(&text[copied..token.start]);
        out.push_str(&with(token.prefix, &text[token.start..token.end]));
        copied = token.end;
    });
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// `text` with every token it holds cut to its prefix and `…[redacted]`.
pub(super) fn redact_tokens(text: &str) -> String {
    replace_tokens(text, |prefix, _| format!("{prefix}{REDACTED}")).into_owned()
}
