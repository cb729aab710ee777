//! The raw record the event popup waits for. Reading it is IO, so the loop runs it on the
//! blocking pool: a read starts when the popup shows an event not being read already, and
//! an answer is taken only for the event still shown (the app checks that too, so a late
//! answer never replaces the right one).

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
    /// that one is being read. With no popup the read in progress is forgotten: whatever
    /// happened to it, opening the popup again starts another.
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
/// `Origins::fetch`).
pub fn fetch_record(origins: &Origins, (origin, time): (Origin, TimeMs)) -> Msg {
    Msg::Record {
        origin,
        time,
        result: origins.fetch(origin, time),
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
