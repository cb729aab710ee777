//! Model ids written different ways, brought to one form: what the table's keys and the
//! ids in logs are compared by once no key matches exactly.

/// Bedrock cross-region inference prefixes, stripped when a dotted vendor follows.
const REGION_PREFIXES: &[&str] = &[
    "us.", "eu.", "apac.", "global.", "au.", "jp.", "us-gov.", "ca.", "in.",
];

/// Normalizes a model id for matching (rules in [`super::PriceTable::resolve`], step 4).
pub(super) fn normalize(model: &str) -> String {
    let lower = model.trim().to_ascii_lowercase();
    let mut id: &str = match lower.rsplit_once('/') {
        Some((_, tail)) => tail,
        None => &lower,
    };
    for prefix in REGION_PREFIXES {
        if let Some(rest) = id.strip_prefix(prefix) {
            if has_dotted_vendor(rest) {
                id = rest;
            }
            break;
        }
    }
    if let Some(rest) = id.strip_prefix("anthropic.") {
        id = rest;
    }
    id = strip_bedrock_version(id);
    if let Some((head, date)) = id.rsplit_once('@')
        && is_yyyymmdd(date)
    {
        return format!("{head}-{date}");
    }
    id.to_string()
}

/// `vendor.model...`: a non-empty run of `[a-z0-9_]` followed by a dot.
fn has_dotted_vendor(id: &str) -> bool {
    match id.split_once('.') {
        Some((vendor, rest)) => {
            !vendor.is_empty()
                && !rest.is_empty()
                && vendor
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }
        None => false,
    }
}

/// Drops a Bedrock version suffix: `-vN:0`, or else `:0`.
fn strip_bedrock_version(id: &str) -> &str {
    let Some(head) = id.strip_suffix(":0") else {
        return id;
    };
    if let Some(pos) = head.rfind("-v") {
        let digits = &head[pos + 2..];
        if pos > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return &head[..pos];
        }
    }
    head
}

/// `YYYYMMDD` with a plausible year (19xx or 20xx), month and day.
fn is_yyyymmdd(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8 && b.iter().all(u8::is_ascii_digit) && plausible_date(&b[0..4], &b[4..6], &b[6..8])
}

fn plausible_date(year: &[u8], month: &[u8], day: &[u8]) -> bool {
    let num = |d: &[u8]| d.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    (year.starts_with(b"19") || year.starts_with(b"20"))
        && (1..=12).contains(&num(month))
        && (1..=31).contains(&num(day))
}

/// The id without a trailing `-YYYYMMDD` or `-YYYY-MM-DD`, if it has one.
pub(super) fn strip_date_suffix(id: &str) -> Option<&str> {
    let b = id.as_bytes();
    let n = b.len();
    // `-YYYYMMDD`: the byte before is an ASCII '-', so slicing there is on a char boundary.
    if n > 9 && b[n - 9] == b'-' && is_yyyymmdd(&id[n - 8..]) {
        return Some(&id[..n - 9]);
    }
    // `-YYYY-MM-DD`
    if n > 11 && b[n - 11] == b'-' && b[n - 6] == b'-' && b[n - 3] == b'-' {
        let (year, month, day) = (&b[n - 10..n - 6], &b[n - 5..n - 3], &b[n - 2..]);
        let digits = year.iter().chain(month).chain(day).all(u8::is_ascii_digit);
        if digits && plausible_date(year, month, day) {
            return Some(&id[..n - 11]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(
            normalize("bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0"),
            "claude-sonnet-4-20250514"
        );
        assert_eq!(
            normalize("us-gov.anthropic.claude-opus-4-8"),
            "claude-opus-4-8"
        );
        assert_eq!(
            normalize("vertex_ai/claude-3-5-sonnet@20240620"),
            "claude-3-5-sonnet-20240620"
        );
        assert_eq!(normalize("anthropic.claude-v2:1"), "claude-v2:1");
        assert_eq!(normalize("cohere.rerank-v3-5:0"), "cohere.rerank-v3-5");
        assert_eq!(normalize("jamba-1.5-large@001"), "jamba-1.5-large@001");
        assert_eq!(normalize("us.gpt-4o"), "us.gpt-4o"); // no dotted vendor after the region
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(strip_date_suffix("claude-x-20250514"), Some("claude-x"));
        assert_eq!(strip_date_suffix("claude-x-12345678"), None);
        assert_eq!(strip_date_suffix("-20250514"), None);
    }
}
