//! What the parsers' unit tests share.

use super::{LineContext, LineParser, Parsed};
use crate::event::Event;

/// `lines` through one parser, in order, as the lines of one file go.
pub fn parse_in_order(lines: &[&str], ctx: &LineContext) -> Vec<Parsed> {
    let mut parser = LineParser::default();
    lines
        .iter()
        .map(|l| parser.parse(l.as_bytes(), ctx))
        .collect()
}

/// The event of a parse that must have made one.
pub fn the_event(parsed: &Parsed) -> &Event {
    match parsed {
        Parsed::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}
