//! Credentials in what a log record holds (prompts, completions, tool-call arguments, tool
//! results), found so they can be reported by type and place, never by value. Pure: no IO,
//! no clock; the fingerprint key comes in as an argument.
//!
//! One pass per text shares redaction's recognizers ([`crate::redact`]): the token
//! prefixes in one Aho-Corasick pass, and the credential names found from each `:` / `=`
//! (memchr). Only where one matched does a hand check run ([`check`]): the issuer's format
//! for a token, and for a named value whether it is a literal rather than a placeholder.
//!
//! Types ([`TYPES`]): a token of a known format is typed by its issuer, wherever it is,
//! also as the value of `GITHUB_TOKEN=` or `Authorization: Bearer`. An AWS secret access
//! key has no prefix: it is told by its name (`AWS_SECRET_ACCESS_KEY=`, `SecretAccessKey`)
//! and its 40 base64 characters. A value of no known format after a credential's name,
//! when it looks like a literal ([`check::generic`]: no placeholder, reference or code),
//! is one of four generic types: `password` (names with
//! `password` / `passwd`, and `Authorization: Basic`), `api_key` (`api_key`, `x-api-key`,
//! `apiKey`), `secret` (`secret`, `client_secret`, `private_key`), `token` (names ending in
//! `token`, other `Authorization` schemes, `Bearer`). Cookies, `key=`, `sig=` and
//! `signature=` are redacted on screen but not reported: in logs they are mostly not a
//! credential someone should rotate.

mod check;
mod fingerprint;
mod ignore;
mod json;

use std::ops::Range;

use crate::redact::{pairs, tokens};

pub use fingerprint::{Fingerprint, FingerprintKey};
pub use ignore::{Ignore, IgnoreError};
pub use json::{Found, scan_fields, scan_json};

/// Every `secret_type` the scanner reports: issuers' formats, then the generic types.
pub const TYPES: &[&str] = &[
    "anthropic_api_key",
    "openai_api_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "github_token",
    "gitlab_token",
    "slack_token",
    "stripe_key",
    "google_api_key",
    "jwt",
    "private_key",
    "password",
    "api_key",
    "secret",
    "token",
];

/// What every reader scans records with: the fingerprint key and the findings to ignore.
#[derive(Debug)]
pub struct Scanner {
    key: FingerprintKey,
    ignore: Ignore,
}

impl Scanner {
    pub fn new(key: FingerprintKey, ignore: Ignore) -> Self {
        Scanner { key, ignore }
    }

    /// The secrets in one record (a log line) that `[secrets] ignore` does not list.
    pub fn scan(&self, record: &str) -> Vec<Found> {
        let mut found = scan_json(record, &self.key);
        found.retain(|f| !self.ignore.ignores(f));
        found
    }

    /// The secrets in a record's named text fields (see [`scan_fields`]) that `[secrets]
    /// ignore` does not list.
    pub fn scan_fields<'a>(
        &self,
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
        prefix: &str,
    ) -> Vec<Found> {
        let mut found = scan_fields(fields, prefix, &self.key);
        found.retain(|f| !self.ignore.ignores(f));
        found
    }
}

/// One secret in a text: its type and where its value lies (bytes of the text given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub secret_type: &'static str,
    pub range: Range<usize>,
}

/// Every secret in `text`, by position. JSON escapes are taken as written: [`scan_json`]
/// decodes a record's strings before scanning them.
pub fn scan(text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    tokens::find_tokens(text, |token| {
        if let Some((secret_type, range)) = check::token(text, token) {
            hits.push(Hit { secret_type, range });
        }
    });
    let typed = hits.len();
    pairs::find_pairs(text, |pair| {
        let value = pair.value.clone();
        // Tokens come in order, none overlapping: the last to start before the value ends.
        let before_end = hits[..typed].partition_point(|h| h.range.start < value.end);
        if before_end > 0 && hits[before_end - 1].range.end > value.start {
            return;
        }
        let (inner, quoted) = unquote(&text[value.clone()]);
        // `token = make_token()`: a bare value after a spaced `=` is code.
        let code_spaced = pair.sep == b'=' && text[..pair.sep_at].ends_with(' ');
        if code_spaced && quoted == check::Quoted::No {
            return;
        }
        let Some((secret_type, inner)) = named(pair.name, inner) else {
            return;
        };
        if judged(secret_type, inner, quoted) {
            let start = inner.as_ptr() as usize - text.as_ptr() as usize;
            hits.push(Hit {
                secret_type,
                range: start..start + inner.len(),
            });
        }
    });
    hits.sort_by_key(|h| h.range.start);
    hits
}

/// Whether the value after a credential's name is reported: an AWS secret key by its
/// form (40 base64 characters, which may start with `/` or `+`), any other by
/// [`check::generic`].
fn judged(secret_type: &str, value: &str, quoted: check::Quoted) -> bool {
    if secret_type == "aws_secret_access_key" {
        return check::looks_random(value) && !check::placeholder(value);
    }
    check::generic(secret_type, value, quoted)
}

/// A value with its quotes (`"…"`, `'…'`, `\"…\"`) taken off, and whether it had any.
fn unquote(value: &str) -> (&str, check::Quoted) {
    for quote in ["\\\"", "\"", "'"] {
        if let Some(inner) = value.strip_prefix(quote) {
            let inner = inner.strip_suffix(quote).unwrap_or(inner);
            return (inner, check::Quoted::Yes);
        }
    }
    (value, check::Quoted::No)
}

/// The generic type of a value after the credential name `name`, and the part of the
/// value that is the secret (an `Authorization` value loses its scheme); `None` for the
/// names redacted but not reported.
fn named<'a>(name: &str, value: &'a str) -> Option<(&'static str, &'a str)> {
    let squeezed: String = name
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| char::from(b.to_ascii_lowercase()))
        .collect();
    let has = |part: &str| squeezed.contains(part);
    if has("secretaccesskey") {
        let aws = value.len() == 40
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+');
        return Some((
            if aws {
                "aws_secret_access_key"
            } else {
                "secret"
            },
            value,
        ));
    }
    if has("authorization") {
        return Some(match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => ("password", rest),
            Some((_, rest)) => ("token", rest),
            None => ("token", value),
        });
    }
    let kind = if has("password") || has("passwd") {
        "password"
    } else if has("apikey") {
        "api_key"
    } else if has("secret") || has("privatekey") {
        "secret"
    } else if squeezed.ends_with("token") {
        "token"
    } else {
        return None;
    };
    Some((kind, value))
}

#[cfg(test)]
mod tests;
