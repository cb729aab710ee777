//! `E`'s incident report, written by the loop off the UI thread: the logs the monitor
//! follows are read again (the live view keeps only recent requests) with the monitor's
//! config, prices and secret scan, as `tokentop incident` reads them, and the two files go
//! into `--incident-dir`. The answer goes back to the app as a [`Msg::Incident`].

use std::path::PathBuf;
use std::sync::Arc;

use jiff::tz::TimeZone;

use super::{Input, Sources};
use crate::app::{IncidentAsk, Msg};
use crate::config::Config;
use crate::event::TimeMs;
use crate::incident::{IncidentRequest, build, write_files};
use crate::pricing::PriceTable;
use crate::secrets::Scanner;
use crate::source::discover::SourceSpec;

/// Why the demo writes no report.
const DEMO: &str = "the demo's data is embedded in tokentop, so there are no logs to read \
    again: run `tokentop incident sample-data/demo --identity NAME` from a checkout instead";
/// Why stdin alone writes no report.
const STDIN: &str = "the monitor reads standard input, which cannot be read again: save \
    the lines to a file and run `tokentop incident FILE --identity NAME`";
/// Why a monitor of providers or OTLP alone writes no report.
const NO_LOGS: &str = "the monitor reads no log files (only providers or OTLP), and the \
    report is made from logs: give the monitor log paths";

/// What writing a report needs, taken from the monitor's own sources and config.
pub struct IncidentWriter {
    /// The log files to read again, or why there are none.
    specs: Result<Vec<SourceSpec>, &'static str>,
    config: Config,
    tz: TimeZone,
    prices: Arc<PriceTable>,
    scanner: Option<Arc<Scanner>>,
    /// Where the files go (`--incident-dir`, the current folder by default).
    dir: PathBuf,
}

impl IncidentWriter {
    /// The writer for the monitor reading `sources` (before they start: they are taken
    /// then), with its config, time zone and prices.
    pub fn new(
        sources: &Sources,
        config: &Config,
        tz: &TimeZone,
        prices: &Arc<PriceTable>,
        dir: PathBuf,
    ) -> Self {
        let specs = match &sources.input {
            Input::Demo => Err(DEMO),
            Input::Paths(specs) => {
                let files: Vec<SourceSpec> =
                    specs.iter().filter(|s| !s.is_stream()).cloned().collect();
                match (files.is_empty(), specs.iter().any(SourceSpec::is_stream)) {
                    (false, _) => Ok(files),
                    (true, true) => Err(STDIN),
                    (true, false) => Err(NO_LOGS),
                }
            }
        };
        IncidentWriter {
            specs,
            config: config.clone(),
            tz: tz.clone(),
            prices: Arc::clone(prices),
            scanner: sources.scanner.clone(),
            dir,
        }
    }

    /// Reads the logs again and writes the report `ask` names, as of `now`: blocking IO,
    /// for a worker thread.
    pub fn write(&self, ask: &IncidentAsk, now: TimeMs) -> Msg {
        let specs = match &self.specs {
            Ok(specs) => specs.clone(),
            Err(why) => return answer(ask, Err(why.to_string())),
        };
        let request = IncidentRequest {
            specs,
            config: self.config.clone(),
            tz: self.tz.clone(),
            prices: Arc::clone(&self.prices),
            identity: ask.identity.clone(),
            range: (ask.since, ask.until),
            scanner: self.scanner.clone(),
        };
        let written = build(request, now).and_then(|incident| write_files(&incident, &self.dir));
        answer(
            ask,
            written.map_err(|e| crate::redact::tag(&format!("{e:#}")).into_owned()),
        )
    }
}

fn answer(ask: &IncidentAsk, result: Result<crate::app::Written, String>) -> Msg {
    Msg::Incident {
        identity: ask.identity.clone(),
        result,
    }
}
