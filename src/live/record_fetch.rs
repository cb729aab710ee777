//! The raw record the event popup waits for. Reading it is IO, so the loop runs it on the
//! blocking pool: one read per event shown, and an answer is taken only for the event
//! still shown (the app checks that too, so a late answer never replaces the right one).

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::app::Msg;
use crate::event::{Origin, TimeMs};
use crate::source::origin::Origins;

/// The read in progress, if any.
#[derive(Debug, Default)]
pub struct RecordFetch {
    reading: Option<(Origin, TimeMs)>,
}

impl RecordFetch {
    /// The read to start for what the popup wants now (`App::wanted_record`): none while
    /// that one is being read. No popup forgets the read in progress, so one that never
    /// answered is tried again when the popup opens again.
    pub fn start(&mut self, wanted: Option<(Origin, TimeMs)>) -> Option<(Origin, TimeMs)> {
        if wanted == self.reading {
            return None;
        }
        self.reading = wanted;
        wanted
    }

    /// An answer came: for the read in progress, the next may start.
    pub fn answered(&mut self, msg: &Msg) {
        if let Msg::Record { origin, time, .. } = msg
            && self.reading == Some((*origin, *time))
        {
            self.reading = None;
        }
    }
}

/// Reads back the line an event came from, for its popup (one line, bounded: see
/// `Origins::fetch`). Always answers: a read that panicked says so rather than leaving
/// the popup waiting.
pub fn fetch_record(origins: &Origins, (origin, time): (Origin, TimeMs)) -> Msg {
    let result = catch_unwind(AssertUnwindSafe(|| origins.fetch(origin, time)))
        .unwrap_or_else(|_| {
            Err("reading this record failed unexpectedly: the event stays counted; close the popup and open it again to retry".to_string())
        });
    Msg::Record {
        origin,
        time,
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceId;

    fn key(offset: u64) -> (Origin, TimeMs) {
        (Origin::new(SourceId(0), offset, b"line"), 1_000)
    }

    fn answer((origin, time): (Origin, TimeMs)) -> Msg {
        Msg::Record {
            origin,
            time,
            result: Err("gone".to_string()),
        }
    }

    #[test]
    fn one_read_per_event_shown() {
        let mut fetch = RecordFetch::default();
        assert_eq!(fetch.start(Some(key(0))), Some(key(0)));
        assert_eq!(fetch.start(Some(key(0))), None, "already being read");
        assert_eq!(
            fetch.start(Some(key(9))),
            Some(key(9)),
            "another event shown"
        );
    }

    #[test]
    fn a_stale_answer_does_not_end_the_read_in_progress() {
        let mut fetch = RecordFetch::default();
        fetch.start(Some(key(0)));
        fetch.start(Some(key(9)));
        fetch.answered(&answer(key(0)));
        assert_eq!(fetch.start(Some(key(9))), None, "still reading 9");
        fetch.answered(&answer(key(9)));
        assert_eq!(
            fetch.start(Some(key(9))),
            Some(key(9)),
            "read again if wanted"
        );
    }

    #[test]
    fn a_read_that_never_answered_is_retried_when_the_popup_opens_again() {
        let mut fetch = RecordFetch::default();
        fetch.start(Some(key(0)));
        assert_eq!(fetch.start(None), None, "popup closed");
        assert_eq!(fetch.start(Some(key(0))), Some(key(0)));
    }
}
