//! GitHub Copilot CLI lines -> events: OpenTelemetry file-export spans and log records
//! (decoded into the OTLP decoders' records) and session events (`session.start`,
//! `session.shutdown`), in order through one parser, with and without the source's word
//! that the export covers the session.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::event::Format;
use tokentop::parse::{FileFacts, LineContext, LineParser, Parsed};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let facts = FileFacts {
        session: Some("c0ffee12".into()),
        telemetry_covers: first & 1 == 1,
        ..FileFacts::default()
    };
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: Some(&facts),
        read_time: 1_767_261_600_000,
    };
    let mut parser = LineParser::default();
    for line in rest.split(|&b| b == b'\n') {
        let events = match parser.parse(line, &ctx) {
            Parsed::Event(e) => vec![*e],
            Parsed::Records(r) => r.events,
            Parsed::NoUsage | Parsed::Rejected(_) => Vec::new(),
        };
        for e in events.iter().filter(|e| e.format == Format::CopilotCli) {
            assert!(e.identity.starts_with("copilot-cli"));
            assert!(e.tokens.reasoning <= e.tokens.output);
            // A covered session's shutdown summaries never count.
            assert!(!(facts.telemetry_covers && e.flags.aggregate), "{e:?}");
        }
    }
});
