//! `:` in replay: a time typed in the replay's time zone, read relative to the cursor's
//! day when it gives only the hour.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

use crate::event::TimeMs;

/// The cursor's time as the header shows it, in `tz`.
pub fn clock(t: TimeMs, tz: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(t) {
        Ok(ts) => ts
            .to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => format!("@{t}ms"),
    }
}

/// Reads `HH:MM` (on the cursor's day), `YYYY-MM-DD HH:MM` or RFC 3339; otherwise says
/// which forms it takes.
pub fn parse(text: &str, at: TimeMs, tz: &TimeZone) -> Result<TimeMs, String> {
    let text = text.trim();
    if let Some(t) = crate::timefmt::parse_rfc3339_ms(text) {
        return Ok(t);
    }
    let civil = if let Ok(time) = read_time(text) {
        let day = jiff::Timestamp::from_millisecond(at)
            .map_err(|e| e.to_string())?
            .to_zoned_datetime(tz.clone())
            .date();
        day.to_datetime(time)
    } else {
        match text.split_once([' ', 'T']) {
            Some((date, time)) => match (date.parse::<Date>(), read_time(time)) {
                (Ok(date), Ok(time)) => date.to_datetime(time),
                _ => return Err(unreadable(text)),
            },
            None => return Err(unreadable(text)),
        }
    };
    in_zone(civil, tz).ok_or_else(|| format!("{text} does not exist in {}", zone_name(tz)))
}

fn read_time(text: &str) -> Result<Time, jiff::Error> {
    Time::strptime("%H:%M", text).or_else(|_| Time::strptime("%H:%M:%S", text))
}

fn in_zone(civil: DateTime, tz: &TimeZone) -> Option<TimeMs> {
    Some(
        civil
            .to_zoned_datetime(tz.clone())
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

fn zone_name(tz: &TimeZone) -> &str {
    tz.iana_name().unwrap_or("the time zone")
}

fn unreadable(text: &str) -> String {
    let text = crate::sanitize::sanitize(text, 30);
    format!("cannot read {text:?}: type HH:MM, YYYY-MM-DD HH:MM or RFC 3339")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z.
    const T0: TimeMs = 1_767_225_600_000;
    const HOUR: TimeMs = 3_600_000;

    #[test]
    fn three_forms_are_read_in_the_zone_and_others_say_what_to_type() {
        let utc = TimeZone::UTC;
        let at = T0 + 5 * HOUR;
        assert_eq!(parse("14:30", at, &utc), Ok(T0 + 14 * HOUR + 30 * 60_000));
        assert_eq!(parse(" 2026-01-02 01:00 ", at, &utc), Ok(T0 + 25 * HOUR));
        assert_eq!(parse("2026-01-01T03:00:00Z", at, &utc), Ok(T0 + 3 * HOUR));
        let berlin = TimeZone::get("Europe/Berlin").expect("zone");
        assert_eq!(
            parse("14:30", at, &berlin),
            Ok(T0 + 13 * HOUR + 30 * 60_000)
        );
        assert_eq!(clock(T0 + 13 * HOUR, &berlin), "2026-01-01 14:00:00");
        let err = parse("yesterday", at, &utc).expect_err("not a time");
        assert_eq!(
            err,
            "cannot read \"yesterday\": type HH:MM, YYYY-MM-DD HH:MM or RFC 3339"
        );
        assert!(parse("25:00", at, &utc).is_err());
    }
}
