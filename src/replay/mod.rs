//! `tokentop replay`: the monitor over history, driven by event time instead of the wall
//! clock, through the same engine as live ingest.

pub mod cursor;
