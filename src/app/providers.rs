//! What the screens say of a polled provider: one state from its report, so the header,
//! the sources view and the providers view agree on which provider is degraded.

use jiff::tz::TimeZone;

use super::App;
use crate::event::TimeMs;
use crate::source::provider::ProviderStatus;

/// A provider's state, most pressing first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderState {
    /// Polling ended for good (a refused key): its last error says why and what to do.
    Stopped,
    /// Answered 429: no request before this time.
    RateLimited(TimeMs),
    /// The last poll failed; it tries again.
    Degraded,
    /// Nothing read yet, and nothing failed.
    Starting,
    Ok,
}

impl ProviderState {
    /// The state of `status` at `now` (a rate limit that ran out is no longer one).
    pub fn of(status: &ProviderStatus, now: TimeMs) -> ProviderState {
        match status.rate_limited_until {
            _ if status.stopped => ProviderState::Stopped,
            Some(until) if until > now => ProviderState::RateLimited(until),
            _ if status.health.last_error.is_some() => ProviderState::Degraded,
            _ if status.health.last_success.is_none() => ProviderState::Starting,
            _ => ProviderState::Ok,
        }
    }
}

/// Whether a provider counts as a degraded source: it stopped, or its last poll failed.
pub fn provider_degraded(status: &ProviderStatus) -> bool {
    status.stopped || status.health.last_error.is_some()
}

/// The provider's name as shown: `provider` before it has said which it is.
pub fn provider_name(status: &ProviderStatus) -> &'static str {
    status.provider.map_or("provider", |p| p.name())
}

impl App {
    /// The engine's time zone, for the times the views show (resolved when a snapshot
    /// names another, so drawing never looks one up).
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Keeps `zone` to the snapshot's time zone; a name jiff does not know is UTC, as the
    /// engine has it.
    pub(super) fn follow_time_zone(&mut self) {
        let name = self.snapshot.time_zone.as_str();
        if self.zone.iana_name() != Some(name) {
            self.zone = TimeZone::get(name).unwrap_or(TimeZone::UTC);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_provider_is_stopped_whatever_else_it_says() {
        let mut s = ProviderStatus {
            rate_limited_until: Some(2_000),
            ..ProviderStatus::default()
        };
        assert_eq!(
            ProviderState::of(&s, 1_000),
            ProviderState::RateLimited(2_000)
        );
        assert_eq!(ProviderState::of(&s, 2_000), ProviderState::Starting);
        assert!(
            !provider_degraded(&s),
            "waiting out a rate limit is not a fault"
        );
        s.health.last_error = Some("openai: HTTP 500".into());
        assert_eq!(ProviderState::of(&s, 3_000), ProviderState::Degraded);
        assert!(provider_degraded(&s));
        s.stopped = true;
        assert_eq!(ProviderState::of(&s, 1_000), ProviderState::Stopped);
        let ok = ProviderStatus {
            health: crate::source::provider::ProviderHealth {
                last_success: Some("2026-12-07T12:00:00Z".into()),
                ..Default::default()
            },
            ..ProviderStatus::default()
        };
        assert_eq!(ProviderState::of(&ok, 0), ProviderState::Ok);
    }
}
