//! Numbers formatted for people: `1.2M`, `$3.41`, `12.5/min`, `1,234,567`. Every USD
//! amount is written by [`usd`].

/// Groups thousands: `1234567` -> `1,234,567`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count and its noun, grouped: `1 file`, `0 files`, `1,290 lines`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", int(n), if n == 1 { one } else { many })
}

/// Short magnitude: `950`, `12.3k`, `1.2M`, `3.4B`.
pub fn si(x: f64) -> String {
    let a = x.abs();
    let (v, unit) = if a >= 1e9 {
        (x / 1e9, "B")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e3 {
        (x / 1e3, "k")
    } else if a > 0.0 && a < 0.1 {
        // A rare event averaged over a long window: small, but not nothing.
        return if x < 0.0 { ">-0.1" } else { "<0.1" }.to_string();
    } else {
        return if a == 0.0 || a >= 10.0 || x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        };
    };
    if v.abs() >= 100.0 {
        format!("{v:.0}{unit}")
    } else {
        format!("{v:.1}{unit}")
    }
}

/// Sizes in binary units: `512 B`, `3.4 KiB`, `1.2 MiB`, `120 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Dollars rounded to the micro-dollar, as JSON prints amounts summed in floats (never
/// `10.58909675000001`).
pub fn micro_usd(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Dollars: cents for amounts over a dollar, more digits for small ones.
pub fn usd(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "$0".to_string()
    } else if a < 0.0001 {
        "<$0.0001".to_string()
    } else if a < 0.01 {
        format!("${x:.4}")
    } else if a < 1000.0 {
        format!("${x:.2}")
    } else {
        format!("${}", int(x.round() as u64))
    }
}

/// Spend that leaves out the requests no price covers: [`usd`] when all were priced,
/// `$1.20+?` (a lower bound) when some were not, `unpriced` when none of it was.
pub fn usd_lower_bound(x: f64, unpriced_requests: u64) -> String {
    match (unpriced_requests, x) {
        (0, x) => usd(x),
        (_, 0.0) => "unpriced".to_string(),
        (_, x) => format!("{}+?", usd(x)),
    }
}

/// A percentage from a 0..1 share.
pub fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// How long ago something happened, from a duration in milliseconds: `now`, `12s ago`,
/// `5m ago`, `3h ago`, `2d ago`. Times ahead of the clock (skewed logs) read as `now`.
pub fn ago(ms: i64) -> String {
    const SEC: i64 = 1_000;
    const MIN: i64 = 60 * SEC;
    const HOUR: i64 = 60 * MIN;
    if ms < SEC {
        "now".to_string()
    } else if ms < MIN {
        format!("{}s ago", ms / SEC)
    } else if ms < HOUR {
        format!("{}m ago", ms / MIN)
    } else if ms < 48 * HOUR {
        format!("{}h ago", ms / HOUR)
    } else {
        format!("{}d ago", ms / (24 * HOUR))
    }
}

/// A length of time ahead, short: `45s`, `12m`, `3h05m`, `2d04h` (at most 5 characters
/// below 100 days, for the ETA column).
pub fn span(ms: i64) -> String {
    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;
    let ms = ms.max(0);
    if ms < MIN {
        format!("{}s", ms / 1_000)
    } else if ms < HOUR {
        format!("{}m", ms / MIN)
    } else if ms < DAY {
        format!("{}h{:02}m", ms / HOUR, ms % HOUR / MIN)
    } else {
        format!("{}d{:02}h", ms / DAY, ms % DAY / HOUR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_numbers() {
        assert_eq!(int(0), "0");
        assert_eq!(int(1_027_170), "1,027,170");
        assert_eq!(int(999), "999");
        assert_eq!(count(1, "identity", "identities"), "1 identity");
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(count(1_290, "line", "lines"), "1,290 lines");
        assert_eq!(si(0.0), "0");
        assert_eq!(si(2.5), "2.5");
        assert_eq!(si(0.02), "<0.1", "not zero when it is not");
        assert_eq!(si(950.0), "950");
        assert_eq!(si(12_345.0), "12.3k");
        assert_eq!(si(1_234_567.0), "1.2M");
        assert_eq!(si(345_000_000.0), "345M");
        assert_eq!(usd(3.414), "$3.41");
        assert_eq!(usd(0.0042), "$0.0042");
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.00001), "<$0.0001");
        assert_eq!(usd(12_345.6), "$12,346");
        assert_eq!(usd_lower_bound(0.0, 0), "$0");
        assert_eq!(usd_lower_bound(1.204, 3), "$1.20+?");
        assert_eq!(usd_lower_bound(0.0, 3), "unpriced");
        assert_eq!(percent(0.874), "87%");
        assert_eq!(ago(-5_000), "now");
        assert_eq!(ago(999), "now");
        assert_eq!(ago(12_500), "12s ago");
        assert_eq!(ago(5 * 60_000 + 1), "5m ago");
        assert_eq!(ago(47 * 3_600_000), "47h ago");
        assert_eq!(ago(72 * 3_600_000), "3d ago");
        assert_eq!(span(-1), "0s");
        assert_eq!(span(45_900), "45s");
        assert_eq!(span(12 * 60_000 + 59_000), "12m");
        assert_eq!(span(3 * 3_600_000 + 5 * 60_000), "3h05m");
        assert_eq!(span(52 * 3_600_000), "2d04h");
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(3_500), "3.4 KiB");
        assert_eq!(bytes(1_258_291), "1.2 MiB");
        assert_eq!(bytes(150 << 30), "150 GiB");
        assert_eq!(bytes(u64::MAX), "16777216 TiB");
    }
}
