//! Timestamps as logs write them: a fast path for the common RFC 3339 shape, jiff for the rest.

use crate::event::TimeMs;

/// Parses an RFC 3339 timestamp into milliseconds since the epoch (UTC).
///
/// The shape every Claude Code line uses (`2025-06-08T10:47:11.325Z`) is parsed by hand,
/// because it runs once per usage line; anything else (offsets, other precisions) goes
/// through jiff.
pub fn parse_rfc3339_ms(s: &str) -> Option<TimeMs> {
    parse_fixed_utc(s.as_bytes()).or_else(|| {
        s.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, UTC only.
fn parse_fixed_utc(b: &[u8]) -> Option<TimeMs> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let millis = match b.len() {
        20 => 0,
        24 if b[19] == b'.' => num(20..23)?,
        _ => return None,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + min) * 60_000 + sec * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.fffZ`.
pub fn format_rfc3339_ms(ms: TimeMs) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => format!("{}", t.strftime("%Y-%m-%dT%H:%M:%S.%3fZ")),
        Err(_) => format!("@{ms}ms"),
    }
}

/// The UTC day of milliseconds since the epoch, `YYYY-MM-DD`: the days provider reports
/// and reconciliation count in.
pub fn utc_day(ms: TimeMs) -> String {
    let t = format_rfc3339_ms(ms);
    t.get(..10).unwrap_or(&t).to_string()
}

/// Midnight UTC on the first of the month of `ms`: where "this month" of the providers'
/// reports starts. A time past the calendar's range is returned as is.
pub fn utc_month_start(ms: TimeMs) -> TimeMs {
    let utc = jiff::tz::TimeZone::UTC;
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .and_then(|t| {
            let first = t.to_zoned_datetime(utc.clone()).date().first_of_month();
            first.to_zoned_datetime(utc).ok()
        })
        .map_or(ms, |z| z.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_jiff() {
        for s in [
            "2025-06-08T10:47:11.325Z",
            "1970-01-01T00:00:00.000Z",
            "2024-02-29T23:59:59.999Z",
            "2026-11-30T16:03:18Z",
            "2000-03-01T00:00:00.001Z",
        ] {
            let want = s.parse::<jiff::Timestamp>().unwrap().as_millisecond();
            assert_eq!(parse_fixed_utc(s.as_bytes()), Some(want), "{s}");
        }
    }

    #[test]
    fn other_shapes_fall_back_to_jiff() {
        assert_eq!(
            parse_rfc3339_ms("2025-06-08T12:47:11.325+02:00"),
            parse_rfc3339_ms("2025-06-08T10:47:11.325Z")
        );
        assert_eq!(
            parse_rfc3339_ms("2025-06-08T10:47:11.325123Z"),
            parse_rfc3339_ms("2025-06-08T10:47:11.325Z")
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
        assert_eq!(parse_rfc3339_ms("2025-13-08T10:47:11.325Z"), None);
    }

    #[test]
    fn format_round_trips() {
        let ms = parse_rfc3339_ms("2025-06-08T10:47:11.325Z").unwrap();
        assert_eq!(format_rfc3339_ms(ms), "2025-06-08T10:47:11.325Z");
    }
}
