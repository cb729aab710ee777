//! JSON escapes decoded before secrets are looked for: `sk-ant-api03-\u0041…` is a key
//! however it is spelt. Only escapes of printable characters other than `"` and `\` are
//! decoded (`\uXXXX`, `\/`), so the text keeps its JSON shape: quotes, backslashes and
//! control characters stay escaped.

use std::borrow::Cow;

/// `text` with `\uXXXX` and `\/` escapes of printable characters decoded.
pub(crate) fn decode(text: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\\', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &bytes[at..]) {
        let slash = at + found;
        let decoded = match bytes.get(slash + 1) {
            Some(b'/') => Some(('/', 2)),
            Some(b'u') => unicode(bytes.get(slash + 2..slash + 6)).map(|c| (c, 6)),
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                out.push_str(&text[copied..slash]);
                out.push(c);
                copied = slash + len;
                at = copied;
            }
            // `\\` is one escaped backslash: what follows it is no escape.
            None if bytes.get(slash + 1) == Some(&b'\\') => at = slash + 2,
            None => at = slash + 1,
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The printable character four hex digits name (none for `"`, `\`, controls and
/// surrogate halves).
fn unicode(hex: Option<&[u8]>) -> Option<char> {
    let hex = std::str::from_utf8(hex?).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    (!c.is_control() && c != '"' && c != '\\').then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_are_decoded_and_structure_stays() {
        assert_eq!(decode(r"sk-\u0041\u0042/x\/y"), "sk-AB/x/y");
        assert_eq!(decode(r#"a\"b\\u0041\n\u0000"#), r#"a\"b\\u0041\n\u0000"#);
        assert_eq!(decode(r"\ud83d\u00e9\u12"), "\\ud83dé\\u12");
        assert!(matches!(decode("plain"), Cow::Borrowed(_)));
    }
}
