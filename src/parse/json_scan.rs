//! A strict JSON scanner that walks a line's structure without building what it skips,
//! for the format read by the hundred thousand lines (Claude Code): a turn is 1 KB of
//! which the usage, ids and tool names are a few hundred bytes, and serde_json steps
//! through the rest (text, thinking, tool inputs) byte by byte. Here a string is skipped
//! by a vectorized search for its closing quote or a backslash.
//!
//! It accepts only what serde_json accepts. On anything else, or a shape it leaves alone
//! (an escaped key, nesting past [`MAX_DEPTH`]), it says [`Off`] and the caller parses the
//! line with serde, which then says exactly what is wrong.

use std::borrow::Cow;

use memchr::memchr2;
use serde::Deserialize;

/// Not read by the scanner: not JSON, or a shape it leaves to serde.
#[derive(Debug, PartialEq)]
pub struct Off;

pub type Scanned<T> = Result<T, Off>;

/// Containers open at once, at most (one bit each of a `u128`).
const MAX_DEPTH: u32 = 128;

pub struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `text`; [`Off`] for a text with control characters.
    pub fn new(text: &'a str) -> Scanned<Self> {
        if has_control(text) {
            return Err(Off);
        }
        Ok(Cursor { text, at: 0 })
    }

    /// The next byte past whitespace, not consumed.
    pub fn peek(&mut self) -> Scanned<u8> {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Ok(b);
            }
            self.at += 1;
        }
        Err(Off)
    }

    fn eat(&mut self, byte: u8) -> Scanned<()> {
        if self.peek()? != byte {
            return Err(Off);
        }
        self.at += 1;
        Ok(())
    }

    /// Nothing but whitespace is left.
    pub fn end(&mut self) -> Scanned<()> {
        match self.peek() {
            Err(Off) => Ok(()),
            Ok(_) => Err(Off),
        }
    }

    /// Whether the next value is `null` (consumed if it is).
    pub fn null(&mut self) -> Scanned<bool> {
        if self.peek()? != b'n' {
            return Ok(false);
        }
        self.literal("null")?;
        Ok(true)
    }

    /// The members of the object that starts here: `member` is handed each key (a key
    /// with escapes is [`Off`]) and must consume its value.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&'a str, &mut Self) -> Scanned<()>,
    ) -> Scanned<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Ok(());
        }
        loop {
            let key = self.plain_string()?;
            self.eat(b':')?;
            member(key, self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Off),
            }
        }
    }

    /// The elements of the array that starts here: `element` must consume each.
    pub fn array(&mut self, mut element: impl FnMut(&mut Self) -> Scanned<()>) -> Scanned<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Ok(());
        }
        loop {
            element(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(Off),
            }
        }
    }

    /// A string or `null`: borrowed when it has no escapes, decoded by serde when it has.
    pub fn opt_string(&mut self) -> Scanned<Option<Cow<'a, str>>> {
        if self.null()? {
            return Ok(None);
        }
        if self.peek()? != b'"' {
            return Err(Off);
        }
        let start = self.at;
        let (end, escaped) = self.string_end(start + 1)?;
        self.at = end + 1;
        if escaped {
            let raw = &self.text[start..self.at];
            return serde_json::from_str::<String>(raw)
                .map(|s| Some(Cow::Owned(s)))
                .map_err(|_| Off);
        }
        Ok(Some(Cow::Borrowed(&self.text[start + 1..end])))
    }

    /// A count or `null`, as serde reads an `Option<u64>`: digits only (a sign, a
    /// fraction, an exponent or more than 19 digits are left to serde).
    pub fn opt_u64(&mut self) -> Scanned<Option<u64>> {
        if self.null()? {
            return Ok(None);
        }
        let bytes = self.text.as_bytes();
        let digits = bytes[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = self.at + digits;
        let leading_zero = digits > 1 && bytes[self.at] == b'0';
        let more = matches!(bytes.get(end), Some(b'.' | b'e' | b'E'));
        if digits == 0 || digits > 19 || leading_zero || more {
            return Err(Off);
        }
        let count = self.text[self.at..end].parse().map_err(|_| Off)?;
        self.at = end;
        Ok(Some(count))
    }

    /// A flag or `null`, as serde reads an `Option<bool>`.
    pub fn opt_bool(&mut self) -> Scanned<Option<bool>> {
        match self.peek()? {
            b'n' => self.literal("null").map(|()| None),
            b't' => self.literal("true").map(|()| Some(true)),
            b'f' => self.literal("false").map(|()| Some(false)),
            _ => Err(Off),
        }
    }

    /// The value that starts here, read by serde (a small one: a number, a flag, usage).
    pub fn serde<T: Deserialize<'a>>(&mut self) -> Scanned<T> {
        self.peek()?;
        let start = self.at;
        self.skip()?;
        serde_json::from_str(&self.text[start..self.at]).map_err(|_| Off)
    }

    /// A string without escapes.
    fn plain_string(&mut self) -> Scanned<&'a str> {
        if self.peek()? != b'"' {
            return Err(Off);
        }
        let start = self.at + 1;
        let (end, escaped) = self.string_end(start)?;
        if escaped {
            return Err(Off);
        }
        self.at = end + 1;
        Ok(&self.text[start..end])
    }

    /// Where the string whose text starts at `from` ends (its closing quote), and whether
    /// it has escapes. Unknown escapes are errors, as in serde (and the text has no raw
    /// control characters, see [`Cursor::new`]).
    fn string_end(&self, mut from: usize) -> Scanned<(usize, bool)> {
        let bytes = self.text.as_bytes();
        let mut escaped = false;
        loop {
            from += memchr2(b'"', b'\\', &bytes[from..]).ok_or(Off)?;
            if bytes[from] == b'"' {
                return Ok((from, escaped));
            }
            escaped = true;
            match bytes.get(from + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => from += 2,
                Some(b'u') if is_hex4(bytes.get(from + 2..from + 6)) => from += 6,
                _ => return Err(Off),
            }
        }
    }

    fn literal(&mut self, word: &str) -> Scanned<()> {
        if !self.text[self.at..].starts_with(word) {
            return Err(Off);
        }
        self.at += word.len();
        Ok(())
    }

    /// A number as JSON spells it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Scanned<()> {
        let bytes = self.text.as_bytes();
        let digits = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut i = self.at + usize::from(bytes.get(self.at) == Some(&b'-'));
        i = match bytes.get(i) {
            Some(b'0') => i + 1,
            Some(b'1'..=b'9') => digits(i + 1),
            _ => return Err(Off),
        };
        if bytes.get(i) == Some(&b'.') {
            let after = digits(i + 1);
            if after == i + 1 {
                return Err(Off);
            }
            i = after;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1 + usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
            let after = digits(i);
            if after == i {
                return Err(Off);
            }
            i = after;
        }
        self.at = i;
        Ok(())
    }

    /// A key and its colon, inside a skipped object.
    fn skip_key(&mut self) -> Scanned<()> {
        if self.peek()? != b'"' {
            return Err(Off);
        }
        let (end, _) = self.string_end(self.at + 1)?;
        self.at = end + 1;
        self.eat(b':')
    }

    /// Skips the value that starts here, checked as serde_json checks a value it ignores.
    pub fn skip(&mut self) -> Scanned<()> {
        // One bit per open container, the innermost lowest: 1 for an object.
        let mut open: u128 = 0;
        let mut depth = 0;
        loop {
            match self.peek()? {
                b @ (b'{' | b'[') => {
                    if depth == MAX_DEPTH {
                        return Err(Off);
                    }
                    self.at += 1;
                    let object = b == b'{';
                    let close = if object { b'}' } else { b']' };
                    if self.peek()? != close {
                        open = open << 1 | u128::from(object);
                        depth += 1;
                        if object {
                            self.skip_key()?;
                        }
                        continue;
                    }
                    self.at += 1;
                }
                b'"' => {
                    let (end, _) = self.string_end(self.at + 1)?;
                    self.at = end + 1;
                }
                b't' => self.literal("true")?,
                b'f' => self.literal("false")?,
                b'n' => self.literal("null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return Err(Off),
            }
            // A value ended: close what it ends, or go on to the next element or member.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let object = open & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        if object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return Err(Off),
                }
                self.at += 1;
                open >>= 1;
                depth -= 1;
            }
        }
    }
}

/// Whether any byte is a control character: JSON allows four as whitespace between
/// tokens and none in strings. A line with any is left to serde, so that strings are then
/// skipped by a search for their quote or backslash alone.
fn has_control(text: &str) -> bool {
    // A minimum over all bytes, with no branch per byte: the compiler makes it vectors.
    text.bytes().min().is_some_and(|b| b < 0x20)
}

fn is_hex4(bytes: Option<&[u8]>) -> bool {
    bytes.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    /// The scanner skips exactly what serde_json accepts (or leaves it to serde).
    #[test]
    fn skips_what_serde_accepts_and_nothing_it_rejects() {
        let accepted = [
            r#"{"a":[1,-0,0.5,1e3,1E+3,-1.25e-7,true,false,null,"x\"\\\/\b\f\n\r\tA\u00e9"]}"#,
            r#" { "a" : { } , "b" : [ ] , "c" : [ { "d" : [ [ ] ] } ] } "#,
            "{\"a\":\"caf\u{e9} \u{1f600}\"}",
            r#"{"\u0061":1}"#,
        ];
        for text in accepted {
            assert!(serde_json::from_str::<IgnoredAny>(text).is_ok(), "{text}");
            let scanned = Cursor::new(text).and_then(|mut c| c.skip().and_then(|()| c.end()));
            assert_eq!(scanned, Ok(()), "{text}");
        }
        let rejected = [
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":.5}"#,
            r#"{"a":+1}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12G4"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":[1,]}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":1}}"#,
            r#"{"a":nul}"#,
            r#"{"a":tru}"#,
            r#"{a:1}"#,
            r#"{"a":[1}"#,
            r#"{"a":"open}"#,
        ];
        for text in rejected {
            assert!(serde_json::from_str::<IgnoredAny>(text).is_err(), "{text}");
            let scanned = Cursor::new(text).and_then(|mut c| c.skip().and_then(|()| c.end()));
            assert_eq!(scanned, Err(Off), "{text}");
        }
    }

    #[test]
    fn nesting_past_the_limit_is_left_to_serde() {
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert_eq!(Cursor::new(&deep).unwrap().skip(), Err(Off));
        let fits = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(Cursor::new(&fits).unwrap().skip(), Ok(()));
    }

    #[test]
    fn objects_hand_over_plain_keys_and_strings_borrow_unless_escaped() {
        let text = r#"{"a":"plain","b":"esc\naped","c":null,"d":[1,2]}"#;
        let mut c = Cursor::new(text).unwrap();
        let mut seen = Vec::new();
        c.object(|key, c| {
            match key {
                "d" => c.skip()?,
                _ => seen.push((key, c.opt_string()?)),
            }
            Ok(())
        })
        .unwrap();
        assert!(matches!(seen[0], ("a", Some(Cow::Borrowed("plain")))));
        assert_eq!(seen[1], ("b", Some(Cow::Owned("esc\naped".to_string()))));
        assert_eq!(seen[2], ("c", None));
        let escaped_key = r#"{"\u0061":1}"#;
        let mut c = Cursor::new(escaped_key).unwrap();
        assert_eq!(c.object(|_, c| c.skip()), Err(Off));
    }
}
