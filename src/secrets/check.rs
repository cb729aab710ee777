//! The hand checks run only where the shared prefilter found a candidate: a token's body
//! judged by its issuer's format (stricter than redaction, which may hide too much but
//! must not report too much), and the value after a credential's name judged by whether
//! it looks like a literal secret rather than a placeholder, a variable or code.

use std::ops::Range;

use crate::redact::tokens::{self, Token};

/// Where the secret of `token` lies in `text` once its issuer's format is checked, and its
/// type; `None` when the candidate is no secret of that kind (too short, a placeholder).
pub(super) fn token(text: &str, token: Token) -> Option<(&'static str, Range<usize>)> {
    let body_at = token.start + token.prefix.len();
    let body = &text[body_at..token.end];
    let body_len = match token.issuer {
        "anthropic_api_key" => anthropic(body),
        "openai_api_key" => openai(token.prefix, body),
        "github_token" if token.prefix == "github_pat_" => at_least(body.len(), 70),
        "github_token" => at_least(run(body, u8::is_ascii_alphanumeric), 36),
        "gitlab_token" => at_least(body.len(), 20),
        "slack_token" => slack(body),
        "stripe_key" => at_least(run(body, u8::is_ascii_alphanumeric), 16),
        "google_api_key" => (body.len() == 35).then_some(35),
        "aws_access_key_id" => Some(body.len()),
        "jwt" => jwt(body),
        "private_key" => private_key(body),
        "token" => return bearer(text, body_at..token.end),
        _ => None,
    }?;
    let range = token.start..body_at + body_len;
    let random = looks_random(&text[body_at..range.end]);
    (random && !placeholder(&text[range.clone()])).then_some((token.issuer, range))
}

fn at_least(len: usize, min: usize) -> Option<usize> {
    (len >= min).then_some(len)
}

/// Bytes at the start of `body` of one class.
fn run(body: &str, class: fn(&u8) -> bool) -> usize {
    body.bytes().take_while(class).count()
}

/// `sk-ant-` then a kind and version (`api03-`, `admin01-`, `oat01-`) and 32 or more.
fn anthropic(body: &str) -> Option<usize> {
    let letters = run(body, u8::is_ascii_lowercase);
    let digits = run(&body[letters..], u8::is_ascii_digit);
    let dash = letters + digits;
    let ok = letters > 0 && digits == 2 && body.as_bytes().get(dash) == Some(&b'-');
    ok.then_some(body.len()).filter(|&len| len >= dash + 1 + 32)
}

/// `sk-proj-` (and `svcacct-`, `admin-`) then 40 or more; a bare `sk-` then 32 or more
/// letters and digits only (the legacy form; other vendors' `sk-` keys of that form are
/// typed OpenAI too, which still names a key to rotate).
fn openai(prefix: &str, body: &str) -> Option<usize> {
    if prefix != "sk-" {
        return at_least(body.len(), 40);
    }
    let len = run(body, u8::is_ascii_alphanumeric);
    (len == body.len())
        .then_some(len)
        .and_then(|l| at_least(l, 32))
}

/// `xox?-` / `xapp-` then 20 or more, in dash-separated parts with digits in them.
fn slack(body: &str) -> Option<usize> {
    let ok = body.contains('-') && body.bytes().any(|b| b.is_ascii_digit());
    ok.then_some(body.len()).and_then(|l| at_least(l, 20))
}

/// Three base64url parts after `eyJ`: a header and a payload that are JSON objects
/// (both start `eyJ`, base64 of `{"`) and a signature; the range ends after the third.
fn jwt(body: &str) -> Option<usize> {
    let mut parts = body.splitn(4, '.');
    let header = parts.next()?;
    let payload = parts.next()?;
    let signature = parts.next()?;
    let signature = &signature[..run(signature, |b| {
        b.is_ascii_alphanumeric() || b"-_=".contains(b)
    })];
    let ok = header.len() >= 7 && payload.starts_with("eyJ") && payload.len() >= 10;
    (ok && signature.len() >= 16).then_some(header.len() + payload.len() + signature.len() + 2)
}

/// A PEM private key whose base64 body holds at least 64 characters (an example with
/// `...` in its body does not).
fn private_key(body: &str) -> Option<usize> {
    let header_end = body.find("-----").map(|e| e + 5)?;
    let inner_end = body[header_end..]
        .find("-----END")
        .map_or(body.len(), |e| header_end + e);
    let base64 = body[header_end..inner_end]
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
        .count();
    (base64 >= 64 && !body[header_end..inner_end].contains("...")).then_some(body.len())
}

/// `Bearer` then a token: typed by its format when it has one, else a generic `token`.
fn bearer(text: &str, body: Range<usize>) -> Option<(&'static str, Range<usize>)> {
    let mut typed = None;
    tokens::find_tokens(&text[body.clone()], |inner| {
        if typed.is_none() && inner.start == 0 {
            let inner = Token {
                start: body.start + inner.start,
                end: body.start + inner.end,
                ..inner
            };
            typed = Some(token(text, inner));
        }
    });
    match typed {
        Some(found) => found,
        None => generic("token", &text[body.clone()], Quoted::No).then_some(("token", body)),
    }
}

/// Whether a token's body is made of many distinct characters, as a random one is
/// (`ghp_xxxx…`, `sk-1111…` are placeholders).
pub(super) fn looks_random(body: &str) -> bool {
    let mut seen = [false; 128];
    body.bytes()
        .filter(u8::is_ascii)
        .for_each(|b| seen[b as usize] = true);
    seen.iter().filter(|&&s| s).count() >= 10.min(body.len() / 2)
}

/// Words that mark a value as an example or a stand-in.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "your",
    "placeholder",
    "changeme",
    "change_me",
    "redacted",
    "dummy",
    "sample",
    "replace",
    "insert",
    "xxxx",
    "****",
    "...",
    "…",
];

pub(super) fn placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

/// How the value after a credential's name was written.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Quoted {
    /// In quotes (a string literal, a JSON string): whatever is inside is the value.
    Yes,
    /// Bare: a shell assignment (`TOKEN=abc123`), a header or YAML (`password: abc123`);
    /// code (`password=get_password()`, `token: string`) is bare too.
    No,
}

/// Whether the value after a credential's name looks like a literal secret:
/// - at least 6 characters for a password and 8 for the rest, no blank, not a number
///   (ports, counts, ids, `3.2e-05` prices);
/// - two kinds of character among letters, digits and ASCII symbols other than `-` and
///   `_`, unless 20 or longer (`"token": "beautiful"` in a response's log-probabilities
///   and a `"password": "Passwort"` label are words);
/// - not a reference to one (`$TOKEN`, `${TOKEN}`, `%s`, `{{ token }}`, `<your-key>`, a
///   path or URL), not a placeholder (`...`, `xxxx`, `****`, `your_token_here`,
///   `changeme`), not low in distinct characters;
/// - bare, also not code (`(`, `[`, `self.password`) nor a lone word with no digit
///   (`password=password`, `token: string`).
pub(super) fn generic(secret_type: &str, value: &str, quoted: Quoted) -> bool {
    let value = value.trim_end_matches([',', ';']);
    let distinct = {
        let mut seen = [false; 128];
        value
            .bytes()
            .filter(u8::is_ascii)
            .for_each(|b| seen[b as usize] = true);
        seen.iter().filter(|&&s| s).count()
    };
    let min = if secret_type == "password" { 6 } else { 8 };
    let number = value.parse::<f64>().is_ok();
    if value.len() < min || distinct < 4 || number {
        return false;
    }
    let kinds = [
        value.bytes().any(|b| b.is_ascii_alphabetic()),
        value.bytes().any(|b| b.is_ascii_digit()),
        // `-` and `_` join words (`API-Schlüssel`), they make no word a secret.
        value
            .bytes()
            .any(|b| b.is_ascii_punctuation() && b != b'-' && b != b'_'),
    ];
    if kinds.iter().filter(|&&k| k).count() < 2 && value.len() < 20 {
        return false;
    }
    let first = value.as_bytes()[0];
    let reference = b"$%<{[(*./~&@#".contains(&first)
        || ["${", "$(", "{{", "}}", "<", ">", "://", "()"]
            .iter()
            .any(|s| value.contains(s));
    if reference || value.bytes().any(|b| b.is_ascii_whitespace()) || placeholder(value) {
        return false;
    }
    if quoted == Quoted::Yes {
        return true;
    }
    let code = value.bytes().any(|b| b"()[]\"'`\\".contains(&b));
    let word = value
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'.' || b == b'-');
    !code && !word
}
