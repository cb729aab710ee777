//! Strings from logs are data, never terminal commands: control characters (ESC, BEL, CR,
//! C1 controls, bidi overrides...) are shown as visible escapes before anything draws them.

/// A copy of `s` safe to draw: every control or format character becomes `\xNN` / `\u{NNNN}`,
/// cut to `max_chars` (with an ellipsis).
pub fn sanitize(s: &str, max_chars: usize) -> String {
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

/// Bidi overrides and zero-width characters that could disguise text on screen.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
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
        ];
        for (raw, want) in cases {
            assert_eq!(sanitize(raw, 100), want);
        }
    }

    #[test]
    fn long_strings_are_cut() {
        assert_eq!(sanitize("abcdef", 3), "abc…");
    }
}
