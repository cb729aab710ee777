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
/// matcher prefers the leftmost-longest, and [`known_prefix`] the first.
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

/// The known token prefix `value` starts with, if any (kept when a credential field's
/// value is redacted, so a person still sees what kind of secret was there).
pub(super) fn known_prefix(value: &str) -> Option<&'static str> {
    PATTERNS
        .iter()
        .map(|(p, _)| *p)
        .find(|p| value.starts_with(p) && !p.ends_with(' '))
}

/// `text` with every token it holds replaced by `with(prefix, token)`; borrowed when it
/// holds none.
pub(super) fn replace_tokens<'a>(
    text: &'a str,
    mut with: impl FnMut(&str, &str) -> String,
) -> Cow<'a, str> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut runs = Runs::default();
    for m in MATCHER.find_iter(text) {
        if m.start() < copied || !starts_word(bytes, m.start()) {
            continue;
        }
        let (prefix, body) = PATTERNS[m.pattern().as_usize()];
        let len = runs.body_len(bytes, m.end(), body);
        if len == 0 {
            continue;
        }
        out.push_str(&text[copied..m.start()]);
        out.push_str(&with(prefix, &text[m.start()..m.end() + len]));
        copied = m.end() + len;
    }
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
