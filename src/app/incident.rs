//! `E`: the incident report of an identity, asked for from the screen. Writing it reads the
//! logs again, which is IO: the app only says what to write (the identity and the window)
//! and waits in [`App::take_incident_ask`] for the loop, which writes it off the UI thread
//! and answers with [`Msg::Incident`](super::Msg::Incident); the status line says where the
//! files went, or what went wrong.

use std::path::PathBuf;

use super::App;
use crate::engine::alerts::Alert;
use crate::event::TimeMs;

/// An alert's report covers its episode and this much either side.
const ALERT_MARGIN_MS: TimeMs = 30 * 60_000;

/// What `E` asks the loop to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentAsk {
    /// The identity's report key (its row's name).
    pub identity: String,
    /// The window's start (`None`: the identity's first minute in the logs).
    pub since: Option<TimeMs>,
    /// The window's end (`None`: when the report is made).
    pub until: Option<TimeMs>,
}

/// Where a report went: its Markdown and JSON files.
pub type Written = (PathBuf, PathBuf);

/// A line the status line shows until the next key: what `E` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    /// Something went wrong (drawn as a warning).
    pub error: bool,
}

/// The report being written, and the ask the loop has not taken yet.
#[derive(Debug, Default)]
pub(super) struct Incidents {
    ask: Option<IncidentAsk>,
    /// The identity whose report is being written.
    writing: Option<String>,
    pub(super) notice: Option<Notice>,
}

impl App {
    /// The report `E` asked for, once, for the loop to write.
    pub fn take_incident_ask(&mut self) -> Option<IncidentAsk> {
        self.incidents.ask.take()
    }

    /// What the status line says about the last `E`, until the next key.
    pub fn notice(&self) -> Option<&Notice> {
        self.incidents.notice.as_ref()
    }

    /// `E`: the alert list's selected alert, else the identity in view, else the
    /// selected row.
    pub(super) fn ask_incident(&mut self) {
        if let Some(who) = &self.incidents.writing {
            let text = format!("still writing the incident report of {who}: wait for it");
            return self.tell(text, true);
        }
        if self.replay.is_some() {
            // Replay reads history once into memory: the report is a command of its own.
            let text = "in replay, write it with: tokentop incident PATHS --identity NAME \
                        --since T --until T (the window you are looking at)"
                .to_string();
            return self.tell(text, true);
        }
        let ask = if self.screen.alert_cursor().is_some() {
            match self.snapshot.alerts.get(self.alert_cursor()) {
                Some(alert) => alert_ask(alert),
                None => Err(
                    "no alert is selected: E writes the report of an alert's identity".to_string(),
                ),
            }
        } else if self.screen.page().is_some() {
            Err(
                "E works on an identity (a table row, the identity view) or an alert (the \
                 alert list): close this view first (Esc)"
                    .to_string(),
            )
        } else {
            let name = self
                .focus()
                .map(str::to_string)
                .or_else(|| self.selected_row().map(|r| r.name.clone()));
            match name {
                Some(identity) => Ok(IncidentAsk {
                    since: self.range.start(self.snapshot.now, self.time_zone()),
                    until: None,
                    identity,
                }),
                None => Err(
                    "no identity is selected: E writes the selected identity's report".to_string(),
                ),
            }
        };
        match ask {
            Ok(ask) => {
                let text = format!("writing the incident report of {}…", ask.identity);
                self.incidents.writing = Some(ask.identity.clone());
                self.incidents.ask = Some(ask);
                self.tell(text, false);
            }
            Err(why) => self.tell(why, true),
        }
    }

    /// The loop's answer: where the report went, or why it was not written.
    pub(super) fn incident_written(&mut self, identity: &str, result: Result<Written, String>) {
        self.incidents.writing = None;
        match result {
            Ok((md, json)) => {
                let json = json.extension().map_or_else(
                    || json.display().to_string(),
                    |ext| format!(".{}", ext.to_string_lossy()),
                );
                let text = format!("incident report written: {}, {json}", md.display());
                self.tell(text, false);
            }
            Err(why) => self.tell(
                format!("the incident report of {identity} was not written: {why}"),
                true,
            ),
        }
    }

    fn tell(&mut self, text: String, error: bool) {
        self.incidents.notice = Some(Notice { text, error });
    }
}

/// An alert's identity over its episode and [`ALERT_MARGIN_MS`] either side (an active
/// one up to when the report is made); an alert about several identities names them.
fn alert_ask(alert: &Alert) -> Result<IncidentAsk, String> {
    match alert.identities.as_slice() {
        [one] => Ok(IncidentAsk {
            identity: one.clone(),
            since: Some(alert.started_at - ALERT_MARGIN_MS),
            until: alert.ended_at.map(|end| end + ALERT_MARGIN_MS),
        }),
        [] => Err(format!(
            "the alert on {} names no identity: press E on an identity's row instead",
            alert.subject
        )),
        many => Err(format!(
            "the alert concerns {} identities ({}): press Enter to go to one, then E on its row",
            many.len(),
            many.join(", ")
        )),
    }
}
