//! Strings from logs are data, never terminal commands: control characters (ESC, BEL, CR,
//! C1 controls, bidi overrides, line separators, tag characters...) are shown as visible
//! escapes before anything draws them, and written as `\uXXXX` escapes in JSON output.
//! Both also show a credential (an identity that is an API key) as its prefix and a short
//! tag ([`crate::redact::tag`]): every view draws through here, and every JSON output.

use crate::redact::tag;

/// A copy of `s` safe to draw: credentials tagged, every control or format character
/// `\xNN` / `\u{NNNN}`, cut to `max_chars` (with an ellipsis).
pub fn sanitize(s: &str, max_chars: usize) -> String {
    let s = tag(s);
    let mut out = String::with_capacity(s.len().min(max_chars * 2));
    for (count, c) in s.chars().enumerate() {
        if count == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else if is_invisible_format(c) {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that change how text around them is shown while showing nothing: bidi
/// marks and overrides (U+061C, U+200E/F, U+202A-E, U+2066-9), zero-width and invisible
/// operators, line and paragraph separators (U+2028/9), the byte order mark, interlinear
/// annotations and tag characters (U+E0000-E007F).
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// JSON text with credentials tagged and every character [`sanitize`] would escape (C0
/// and C1 controls, bidi and other invisible format characters) written as `\uXXXX`, so a
/// terminal showing the output reads no command from it. Such characters only occur
/// inside JSON strings, where an escape means the same character.
pub fn json_safe(json: String) -> String {
    let json = match tag(&json) {
        std::borrow::Cow::Borrowed(_) => json,
        std::borrow::Cow::Owned(tagged) => tagged,
    };
    // Newlines and indents of pretty JSON are its layout: serde_json escapes the C0
    // controls inside strings already.
    let escaped =
        |c: char| (c.is_control() && !matches!(c, '\n' | '\t' | '\r')) || is_invisible_format(c);
    if !json.chars().any(escaped) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escaped(c) {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible() {
        let cases = [
            ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
            ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
            ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
            ("\x1b]8;;http://x\x1b\\link", "\\x1b]8;;http://x\\x1b\\link"),
            ("a\rb\nc\u{9b}d", "a\\x0db\\x0ac\\x9bd"),
            ("evil\u{202e}txt", "evil\\u{202e}txt"),
            ("a\u{2028}b\u{2029}", "a\\u{2028}b\\u{2029}"),
            (
                "\u{061c}x\u{e0041}\u{e007f}",
                "\\u{061c}x\\u{e0041}\\u{e007f}",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(sanitize(raw, 100), want);
        }
    }

    #[test]
    fn long_strings_are_cut() {
        assert_eq!(sanitize("abcdef", 3), "abc…");
    }

    #[test]
    fn json_output_escapes_what_a_terminal_would_obey() {
        let value = serde_json::json!({"name": "a\u{9b}31m\u{202e}b\u{2028}c\u{e0041}\u{85}"});
        let json = json_safe(serde_json::to_string_pretty(&value).expect("json"));
        assert_eq!(
            json,
            "{\n  \"name\": \"a\\u009b31m\\u202eb\\u2028c\\udb40\\udc41\\u0085\"\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&json).expect("still JSON");
        assert_eq!(back, value, "the same text, escaped");
    }
}
