//! Attribute values as both encodings give them, and the number rules: a count may come
//! as an integer, a double or a numeric string, and all three are taken.

/// One attribute value. Arrays, maps and bytes are kept only as their JSON text (for
/// `tool_parameters`-like strings nothing reads them further).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
    /// An array, a key-value list or bytes: present, but not a scalar.
    Other,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A count: a non-negative whole number in any of the three forms. `Err` for a value
    /// that is there but is no count (negative, fractional, text, past `u64`).
    pub fn as_count(&self) -> Result<u64, BadNumber> {
        match self {
            Value::Int(i) => u64::try_from(*i).map_err(|_| BadNumber),
            Value::Double(d) => count_of_f64(*d),
            Value::Str(s) => {
                let s = s.trim();
                s.parse::<u64>().or_else(|_| {
                    s.parse::<f64>()
                        .map_err(|_| BadNumber)
                        .and_then(count_of_f64)
                })
            }
            Value::Bool(_) | Value::Other => Err(BadNumber),
        }
    }

    /// A non-negative finite amount (a cost, a duration), in any of the three forms.
    pub fn as_amount(&self) -> Result<f64, BadNumber> {
        let n = match self {
            Value::Int(i) => *i as f64,
            Value::Double(d) => *d,
            Value::Str(s) => s.trim().parse::<f64>().map_err(|_| BadNumber)?,
            Value::Bool(_) | Value::Other => return Err(BadNumber),
        };
        if n.is_finite() && n >= 0.0 {
            Ok(n)
        } else {
            Err(BadNumber)
        }
    }
}

/// A value that is present but not the number asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadNumber;

/// 2^64 as a double: the first whole double past `u64`.
const U64_END: f64 = 18_446_744_073_709_551_616.0;

fn count_of_f64(d: f64) -> Result<u64, BadNumber> {
    if d.is_finite() && d >= 0.0 && d.fract() == 0.0 && d < U64_END {
        // In range and whole: the cast is exact.
        Ok(d as u64)
    } else {
        Err(BadNumber)
    }
}

/// The first value under `key` in `attrs`.
pub fn get<'a>(attrs: &'a [(String, Value)], key: &str) -> Option<&'a Value> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The first non-empty string under `key`.
pub fn text<'a>(attrs: &'a [(String, Value)], key: &str) -> Option<&'a str> {
    get(attrs, key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Lowercase hex of bytes (trace and span ids).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_in_three_forms() {
        assert_eq!(Value::Int(5).as_count(), Ok(5));
        assert_eq!(Value::Double(5.0).as_count(), Ok(5));
        assert_eq!(Value::Str("1280".into()).as_count(), Ok(1280));
        assert_eq!(Value::Str(" 7.0 ".into()).as_count(), Ok(7));
        assert_eq!(Value::Str(u64::MAX.to_string()).as_count(), Ok(u64::MAX));
    }

    #[test]
    fn what_is_no_count_is_refused() {
        for v in [
            Value::Int(-1),
            Value::Double(1.5),
            Value::Double(f64::NAN),
            Value::Double(1e300),
            Value::Str("99999999999999999999999".into()),
            Value::Str("ten".into()),
            Value::Bool(true),
            Value::Other,
        ] {
            assert_eq!(v.as_count(), Err(BadNumber), "{v:?}");
        }
        assert_eq!(Value::Str("0.0416".into()).as_amount(), Ok(0.0416));
        assert_eq!(Value::Double(-0.5).as_amount(), Err(BadNumber));
        assert_eq!(Value::Str("inf".into()).as_amount(), Err(BadNumber));
    }

    #[test]
    fn ids_are_lowercase_hex() {
        assert_eq!(hex(&[0x5b, 0x8e, 0x0f]), "5b8e0f");
    }
}
