//! Kimi CLI wire lines -> events, with the facts a source hands over (work folder, model,
//! sub-agent): status updates, nested sub-agent events and anything else on a line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::event::Format;
use tokentop::parse::{FileFacts, LineContext, LineParser, Parsed};

fuzz_target!(|data: &[u8]| {
    let facts = FileFacts {
        project: Some("/home/dev/fuzz".into()),
        session: Some("s1".into()),
        model: Some("kimi-k2".into()),
        subagent: None,
        exported: Vec::new(),
    };
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: Some(&facts),
        read_time: 1_767_261_600_000,
    };
    let mut parser = LineParser::default();
    for line in data.split(|&b| b == b'\n') {
        if let Parsed::Event(e) = parser.parse(line, &ctx)
            && e.format == Format::KimiCli
        {
            assert_eq!(e.identity, "kimi-cli:/home/dev/fuzz");
            assert_eq!(e.model, "kimi-k2");
            assert_eq!(e.tokens.reasoning, 0, "Kimi records no reasoning");
        }
    }
});
