//! Budget periods: calendar hours, days, weeks and months that start at local boundaries
//! in one time zone (a daily budget in New York resets at midnight in New York, whatever
//! the offset or daylight saving time), and rolling windows of a fixed length.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};

use crate::event::TimeMs;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calendar {
    Hour,
    Day,
    /// Starts on Monday.
    Week,
    Month,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Calendar(Calendar),
    /// The last `ms` milliseconds (a whole number of minutes), ending now, written in
    /// `unit` (`24h` stays `24h`, not `1d`).
    Rolling {
        ms: i64,
        unit: LengthUnit,
    },
}

/// The unit a rolling length was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthUnit {
    Minute,
    Hour,
    Day,
    Week,
}

impl LengthUnit {
    fn ms(self) -> i64 {
        match self {
            LengthUnit::Minute => MINUTE_MS,
            LengthUnit::Hour => HOUR_MS,
            LengthUnit::Day => 24 * HOUR_MS,
            LengthUnit::Week => 7 * 24 * HOUR_MS,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            LengthUnit::Minute => "m",
            LengthUnit::Hour => "h",
            LengthUnit::Day => "d",
            LengthUnit::Week => "w",
        }
    }
}

impl Period {
    /// How the period is written in the config, and shown.
    pub fn label(self) -> String {
        match self {
            Period::Calendar(Calendar::Hour) => "hour".into(),
            Period::Calendar(Calendar::Day) => "day".into(),
            Period::Calendar(Calendar::Week) => "week".into(),
            Period::Calendar(Calendar::Month) => "month".into(),
            Period::Rolling { ms, unit } => {
                format!("rolling {}{}", ms / unit.ms(), unit.suffix())
            }
        }
    }
}

/// Reads a rolling window's length: a whole number of minutes (`m`), hours (`h`), days
/// (`d`) or weeks (`w`), at least one minute and at most a year.
pub fn parse_rolling(text: &str) -> Option<Period> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    let unit = match unit {
        "m" => LengthUnit::Minute,
        "h" => LengthUnit::Hour,
        "d" => LengthUnit::Day,
        "w" => LengthUnit::Week,
        _ => return None,
    };
    let ms = n.checked_mul(unit.ms())?;
    (MINUTE_MS..=366 * 24 * HOUR_MS)
        .contains(&ms)
        .then_some(Period::Rolling { ms, unit })
}

fn zoned(time: TimeMs, tz: &TimeZone) -> ZonedDateTime {
    Timestamp::from_millisecond(time)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(tz.clone())
}

/// When `date` begins in `tz`.
pub fn midnight(date: Date, tz: &TimeZone) -> Option<TimeMs> {
    // A zone that skips midnight (a DST change at 00:00) starts the day at the first
    // instant that exists: jiff's start_of_day handles that.
    let start = date
        .to_zoned_datetime(tz.clone())
        .ok()?
        .start_of_day()
        .ok()?;
    Some(start.timestamp().as_millisecond())
}

/// The calendar period holding `time`, as `[start, end)` in milliseconds.
pub fn bounds(calendar: Calendar, time: TimeMs, tz: &TimeZone) -> Option<(TimeMs, TimeMs)> {
    let z = zoned(time, tz);
    let date = z.date();
    match calendar {
        Calendar::Hour => {
            // Local hours can be offset from UTC's by 30 or 45 minutes: go back to the
            // local hour's start rather than rounding the UTC time.
            let into_hour = i64::from(z.minute()) * MINUTE_MS
                + i64::from(z.second()) * 1_000
                + i64::from(z.millisecond());
            let start = time - into_hour;
            Some((start, start + HOUR_MS))
        }
        Calendar::Day => Some((midnight(date, tz)?, midnight(date.tomorrow().ok()?, tz)?)),
        Calendar::Week => {
            let back = i64::from(date.weekday().to_monday_zero_offset());
            let monday = date.checked_sub(back.days()).ok()?;
            let next = monday.checked_add(7.days()).ok()?;
            Some((midnight(monday, tz)?, midnight(next, tz)?))
        }
        Calendar::Month => {
            let first = date.first_of_month();
            let next = first.checked_add(1.month()).ok()?;
            Some((midnight(first, tz)?, midnight(next, tz)?))
        }
    }
}

/// The bucket width of a rolling window's ring: the smallest of these that divides the
/// window into at most [`MAX_SLOTS`] buckets. The window's resolution is one bucket.
const WIDTHS_MIN: [i64; 18] = [
    1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440,
];
const MAX_SLOTS: i64 = 240;

/// `(bucket width, buckets)` for a rolling window of `ms`.
pub fn rolling_ring(ms: i64) -> (i64, usize) {
    let minutes = (ms / MINUTE_MS).max(1);
    let width = WIDTHS_MIN
        .into_iter()
        .find(|w| minutes % w == 0 && minutes / w <= MAX_SLOTS)
        // No listed width divides it evenly: round the width up; the window is then
        // counted over whole buckets, at most one bucket short of its length.
        .unwrap_or((minutes + MAX_SLOTS - 1) / MAX_SLOTS);
    (width * MINUTE_MS, (minutes / width).max(1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> TimeMs {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn days_start_at_local_midnight() {
        let ny = TimeZone::get("America/New_York").unwrap();
        // 03:00 UTC on Jan 2 is still Jan 1 in New York (UTC-5).
        let (start, end) = bounds(Calendar::Day, ms("2026-01-02T03:00:00Z"), &ny).unwrap();
        assert_eq!(start, ms("2026-01-01T05:00:00Z"));
        assert_eq!(end, ms("2026-01-02T05:00:00Z"));
        // The day daylight saving time starts has 23 hours.
        let (start, end) = bounds(Calendar::Day, ms("2026-03-08T12:00:00Z"), &ny).unwrap();
        assert_eq!(end - start, 23 * HOUR_MS);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        // Thursday 2026-01-01 10:00 in Tokyo; the week began Monday 2025-12-29.
        let t = ms("2026-01-01T01:00:00Z");
        let (start, end) = bounds(Calendar::Week, t, &tokyo).unwrap();
        assert_eq!(start, ms("2025-12-28T15:00:00Z"));
        assert_eq!(end, ms("2026-01-04T15:00:00Z"));
        let (start, end) = bounds(Calendar::Month, ms("2026-02-10T00:00:00Z"), &tokyo).unwrap();
        assert_eq!(start, ms("2026-01-31T15:00:00Z"));
        assert_eq!(end, ms("2026-02-28T15:00:00Z"));
    }

    #[test]
    fn hours_follow_the_local_clock() {
        let kathmandu = TimeZone::get("Asia/Kathmandu").unwrap(); // UTC+05:45
        let (start, end) = bounds(Calendar::Hour, ms("2026-01-01T00:20:00Z"), &kathmandu).unwrap();
        assert_eq!(start, ms("2026-01-01T00:15:00Z"));
        assert_eq!(end, ms("2026-01-01T01:15:00Z"));
    }

    #[test]
    fn rolling_lengths_and_rings() {
        let ms = |text| match parse_rolling(text) {
            Some(Period::Rolling { ms, .. }) => Some(ms),
            _ => None,
        };
        assert_eq!(ms("90m"), Some(90 * MINUTE_MS));
        assert_eq!(ms("7d"), Some(7 * 24 * HOUR_MS));
        assert_eq!(ms("2w"), Some(14 * 24 * HOUR_MS));
        for bad in ["", "24", "h", "1.5h", "0m", "1y", "-1h", "400d"] {
            assert_eq!(parse_rolling(bad), None, "{bad}");
        }
        assert_eq!(rolling_ring(HOUR_MS), (MINUTE_MS, 60));
        assert_eq!(rolling_ring(24 * HOUR_MS), (6 * MINUTE_MS, 240));
        assert_eq!(rolling_ring(7 * 24 * HOUR_MS), (60 * MINUTE_MS, 168));
        // Echoed as written: not `1d`, `1h` or `2d`.
        for written in ["24h", "60m", "48h", "2w", "14d", "90m"] {
            let period = parse_rolling(written).expect(written);
            assert_eq!(period.label(), format!("rolling {written}"));
        }
    }
}
