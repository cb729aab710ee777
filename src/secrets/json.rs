//! Secrets in one JSON record (a log line), each with the JSON path of the string that
//! holds it: object keys joined by `.`, array indexes in brackets
//! (`message.content[2].input.command`); keys are written as they are, dots included.
//!
//! Most lines hold no candidate at all, so the raw line is searched first with the same
//! recognizers (its printable `\uXXXX` escapes decoded, so no escape hides a key), and
//! only a line with a candidate is parsed and walked. Each string is scanned as text, and
//! a string field whose name is a credential's ([`crate::redact::is_secret_field`]) is
//! judged as a named value (`"password": "…"`).
//!
//! A string that holds JSON itself (OTel's `tool_parameters`, a tool result that prints a
//! config) is scanned as text, not parsed again: its tokens and its `"name": "value"`
//! pairs are found by the text scan (its own escapes decoded once more), and a hit is
//! reported at the path of that string. A line that is not JSON is scanned as text, with
//! an empty path. Limit: a credential name escaped twice over (JSON in JSON in JSON)
//! escapes the raw search.

use serde_json::Value;

use super::check::Quoted;
use super::{Fingerprint, FingerprintKey, judged, named, scan};
use crate::redact::{escapes, is_secret_field, pairs, tokens};

/// A secret in a record: its type, the JSON path of the string it is in and its keyed
/// fingerprint; never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub secret_type: &'static str,
    pub path: String,
    pub fingerprint: Fingerprint,
}

/// Every secret in one JSON record, in document order, fingerprinted under `key`.
pub fn scan_json(line: &str, key: &FingerprintKey) -> Vec<Found> {
    let mut found = Vec::new();
    if !candidate(line) {
        return found;
    }
    match serde_json::from_str::<Value>(line) {
        Ok(value) => walk(&value, &mut String::new(), key, &mut found),
        Err(_) => scan_string(line, "", key, &mut found),
    }
    found
}

/// Every secret in named text fields (OTLP attributes: `prompt`, `tool_parameters`), each
/// reported at `prefix` + its name, fingerprinted under `key`. A field whose name is a
/// credential's is judged as a named value, as a JSON string field is.
pub fn scan_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    prefix: &str,
    key: &FingerprintKey,
) -> Vec<Found> {
    let mut found = Vec::new();
    for (name, text) in fields {
        let path = format!("{prefix}{name}");
        let before = found.len();
        if candidate(text) {
            scan_string(text, &path, key, &mut found);
        }
        if found.len() == before
            && is_secret_field(name)
            && let Some((secret_type, value)) = named(name, text)
            && judged(secret_type, value, Quoted::Yes)
        {
            found.push(Found {
                secret_type,
                path,
                fingerprint: key.fingerprint(value),
            });
        }
    }
    found
}

/// Whether the raw line holds a token prefix with a body, or a reported credential name
/// followed by a value: searched as written, then (only when it has a `\u` or `\/`
/// escape, which most lines do not) with those escapes decoded.
fn candidate(line: &str) -> bool {
    let has = |text: &str| {
        let mut any = false;
        tokens::find_tokens(text, |_| any = true);
        if !any {
            pairs::find_pairs(text, |pair| {
                any = any || named(pair.name, "").is_some();
            });
        }
        any
    };
    let escaped = memchr::memmem::find(line.as_bytes(), b"\\u").is_some()
        || memchr::memmem::find(line.as_bytes(), b"\\/").is_some();
    has(line) || (escaped && has(&escapes::decode(line)))
}

fn walk(value: &Value, path: &mut String, key: &FingerprintKey, found: &mut Vec<Found>) {
    match value {
        Value::String(text) => scan_string(text, path, key, found),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
                walk(item, path, key, found);
                path.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (name, field) in fields {
                let len = path.len();
                if len > 0 {
                    path.push('.');
                }
                let hits = scan(name);
                if hits.is_empty() && !random_key(name) {
                    path.push_str(name);
                } else {
                    // A key that is a secret itself is never written into a path; a token
                    // used as a key is a finding at that place.
                    path.push_str(HIDDEN_KEY);
                    for hit in hits {
                        found.push(Found {
                            secret_type: hit.secret_type,
                            path: path.clone(),
                            fingerprint: key.fingerprint(&name[hit.range]),
                        });
                    }
                }
                let before = found.len();
                walk(field, path, key, found);
                if let Value::String(text) = field
                    && found.len() == before
                    && is_secret_field(name)
                    && let Some((secret_type, value)) = named(name, text)
                    && judged(secret_type, value, Quoted::Yes)
                {
                    found.push(Found {
                        secret_type,
                        path: path.clone(),
                        fingerprint: key.fingerprint(value),
                    });
                }
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// What a path shows for an object key that looks like a secret.
const HIDDEN_KEY: &str = "<redacted>";

/// Whether an object key looks like a random credential rather than a name: long, one run
/// of letters and digits of both cases (base64's `+` and `/` allowed), no word separators.
fn random_key(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 20
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        && bytes.iter().any(u8::is_ascii_digit)
        && bytes.iter().any(u8::is_ascii_uppercase)
        && bytes.iter().any(u8::is_ascii_lowercase)
}

/// The secrets in one string, its printable escapes decoded (a string holding JSON keeps
/// its own).
fn scan_string(text: &str, path: &str, key: &FingerprintKey, found: &mut Vec<Found>) {
    let text = escapes::decode(text);
    for hit in scan(&text) {
        found.push(Found {
            secret_type: hit.secret_type,
            path: path.to_string(),
            fingerprint: key.fingerprint(&text[hit.range]),
        });
    }
}
