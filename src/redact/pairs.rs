//! Secrets told by their name: the value after a credential's name and a `:` or `=`,
//! whatever it looks like. One pass over the separators covers JSON fields
//! (`"password": 12345`, `\"client_secret\":\"…\"` inside a string), header lines
//! (`Authorization: Basic …`, `Cookie: …`, `X-Api-Key: …`), URL parameters (`?sig=…&`)
//! and shell assignments (`AWS_SECRET_ACCESS_KEY=…`, `GITHUB_TOKEN="…"`).
//!
//! Linear time: a name is looked for at most [`NAME_MAX`] bytes back from its separator,
//! and a value, once found, is skipped whole.

use std::ops::Range;

use super::{is_secret_field, redacted_value};

/// Longer names are no credential names.
const NAME_MAX: usize = 64;

fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

/// Names that hold a credential after `=` (URL parameters, assignments) besides the
/// credential fields: `key`, `sig`, `signature`.
fn is_secret_param(name: &str) -> bool {
    is_secret_field(name)
        || ["key", "sig", "signature"]
            .iter()
            .any(|p| name.eq_ignore_ascii_case(p))
}

/// How the name before a separator was written.
#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    /// `name:` or `name=`.
    Bare,
    /// `"name":` (a JSON field), or `\"name\":` (one inside a JSON string).
    Quoted,
}

/// The name that ends right before the separator at `sep`, and how it is quoted.
fn name_before(whole: &str, sep: usize) -> Option<(&str, Quoting)> {
    let text = whole.as_bytes();
    let mut end = sep;
    while end > 0 && end + 8 > sep && text[end - 1] == b' ' {
        end -= 1;
    }
    let quoting = if end > 0 && text[end - 1] == b'"' {
        end -= 1;
        if end > 0 && text[end - 1] == b'\\' {
            end -= 1;
        }
        Quoting::Quoted
    } else {
        Quoting::Bare
    };
    let mut start = end;
    while start > 0 && end - start <= NAME_MAX && name_byte(text[start - 1]) {
        start -= 1;
    }
    if start == end || end - start > NAME_MAX {
        return None;
    }
    // Name bytes are ASCII, so both ends are character boundaries.
    Some((whole.get(start..end)?, quoting))
}

/// Where the value starting at `at` ends, for a name quoted as `quoting` before `sep`.
fn value_end(text: &[u8], at: usize, sep: u8, quoting: Quoting) -> usize {
    let rest = &text[at..];
    let until =
        |stop: &dyn Fn(u8) -> bool| at + rest.iter().position(|&b| stop(b)).unwrap_or(rest.len());
    match rest {
        [b'\\', b'"', ..] => {
            // A string inside a JSON string: to the next `\"`.
            memchr::memmem::find(&rest[2..], b"\\\"").map_or(text.len(), |e| at + 2 + e + 2)
        }
        [q @ (b'"' | b'\''), ..] => quoted_end(text, at, *q),
        [b'{' | b'[', ..] if quoting == Quoting::Quoted => bracket_end(text, at),
        _ if quoting == Quoting::Quoted => {
            until(&|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
        }
        // A header: the rest of its line (or of the JSON string it is written in).
        _ if sep == b':' => until(&|b| matches!(b, b'\n' | b'\r' | b'"' | b'\'' | b'\\')),
        // A parameter or an assignment: to the next delimiter.
        _ => until(&|b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'&' | b'"' | b'\'' | b';' | b',' | b'\\' | b'<' | b'>' | b')' | b'}' | b']'
                )
        }),
    }
}

/// The end of a string opened by `quote` at `at` (past its closing quote), or the end
/// of the text when it is never closed.
fn quoted_end(text: &[u8], at: usize, quote: u8) -> usize {
    let mut i = at + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    text.len()
}

/// The end of a JSON object or array opened at `at` (past its closing bracket), strings
/// skipped; the end of the text when it is never closed.
fn bracket_end(text: &[u8], at: usize) -> usize {
    let mut depth = 0usize;
    let mut i = at;
    while i < text.len() {
        match text[i] {
            b'"' => {
                i = quoted_end(text, i, b'"');
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    text.len()
}

/// A credential's name (as redaction decides: [`is_secret_field`] before `:`, also
/// `key`, `sig`, `signature` before `=`), its separator and where its value lies.
pub(crate) struct Pair<'a> {
    pub name: &'a str,
    /// `:` or `=`.
    pub sep: u8,
    /// Where the separator is.
    pub sep_at: usize,
    /// The value, quotes included, blanks after the separator left out.
    pub value: Range<usize>,
}

/// Every credential name followed by its value in `text`, left to right; a value once
/// found is skipped whole, so a separator inside it names nothing.
pub(crate) fn find_pairs(text: &str, mut found: impl FnMut(Pair<'_>)) {
    let bytes = text.as_bytes();
    let mut after = 0;
    for sep_at in memchr::memchr2_iter(b':', b'=', bytes) {
        if sep_at < after {
            continue;
        }
        let sep = bytes[sep_at];
        let Some((name, quoting)) = name_before(text, sep_at) else {
            continue;
        };
        let secret = match sep {
            b'=' => is_secret_param(name),
            _ => is_secret_field(name),
        };
        if !secret {
            continue;
        }
        let mut at = sep_at + 1;
        while bytes.get(at).is_some_and(|&b| b == b' ' || b == b'\t') {
            at += 1;
        }
        let end = value_end(bytes, at, sep, quoting);
        after = end;
        found(Pair {
            name,
            sep,
            sep_at,
            value: at..end,
        });
    }
}

/// `text` with the value of every credential name redacted.
pub(super) fn redact_pairs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    find_pairs(text, |pair| {
        let Some(redacted) = redacted_value(&text[pair.value.clone()]) else {
            return;
        };
        out.push_str(&text[copied..pair.value.start]);
        out.push_str(&redacted);
        copied = pair.value.end;
    });
    out.push_str(&text[copied..]);
    out
}
