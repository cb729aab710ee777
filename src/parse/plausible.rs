//! Bounds on what one request can be: a record outside them is rejected and counted, so
//! that one bad or hostile line cannot bend a total (a negative cost lowers a day's spend,
//! an absurd count saturates a sum). Cumulative formats (Codex) are checked on the
//! per-request growth, which is what their events carry.

use super::{Parsed, RejectReason};
use crate::event::{Event, TimeMs, Tokens};

/// More tokens than this in one class of one request is not a request.
pub const MAX_TOKENS_PER_CLASS: u64 = 10_000_000_000;
/// A request costing more than this, recorded or priced, is not a request.
pub const MAX_REQUEST_COST_USD: f64 = 100_000.0;
/// A record stamped further than this past the clock that read it is rejected: no clock
/// runs a day fast, and such a time would hold a window or a day's sum (year 9999 falls
/// on no calendar day). Less than this is clamped by the engine (`MAX_SKEW_MS`).
pub const MAX_AHEAD_MS: TimeMs = 24 * 3_600_000;

/// Why an event parsed from a record cannot be counted, if it cannot.
pub fn check(event: &Event) -> Option<RejectReason> {
    if let Some(cost) = event.record_cost_usd {
        if !cost.is_finite() || cost < 0.0 {
            return Some(RejectReason::InvalidField);
        }
        if !cost_is_plausible(cost) {
            return Some(RejectReason::Implausible);
        }
    }
    (!tokens_are_plausible(&event.tokens)).then_some(RejectReason::Implausible)
}

/// Every token class within [`MAX_TOKENS_PER_CLASS`].
fn tokens_are_plausible(t: &Tokens) -> bool {
    [
        t.input,
        t.cache_read,
        t.cache_write_5m,
        t.cache_write_1h,
        t.output,
        t.reasoning,
    ]
    .iter()
    .all(|&n| n <= MAX_TOKENS_PER_CLASS)
}

/// A cost, recorded or priced, that one request can have.
pub fn cost_is_plausible(cost: f64) -> bool {
    cost.is_finite() && (0.0..=MAX_REQUEST_COST_USD).contains(&cost)
}

/// A record's outcome as a reader counts it: an event outside the bounds above, or
/// stamped too far past `read_time`, becomes its reason (for readers of records other than
/// lines, such as database rows).
pub fn vet(parsed: Parsed, read_time: TimeMs) -> Parsed {
    match parsed {
        Parsed::Event(event) => match check(&event) {
            Some(reason) => Parsed::Rejected(reason),
            None if !time_is_plausible(&event, read_time) => {
                Parsed::Rejected(RejectReason::FutureTime)
            }
            None => Parsed::Event(event),
        },
        other => other,
    }
}

/// Whether an event's time can be believed when read at `read_time`.
pub fn time_is_plausible(event: &Event, read_time: TimeMs) -> bool {
    event.time <= read_time.saturating_add(MAX_AHEAD_MS)
}
