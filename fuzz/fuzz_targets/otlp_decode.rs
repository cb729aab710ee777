//! OTLP export request bodies: the first byte picks the signal and the encoding, the rest
//! is the body; a decoded batch then goes through `outcomes` with a secret scanner, and
//! its metric points through the receiver's path: series growth, grouping into events and
//! the gate that holds them against the records' events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::parse::Parsed;
use tokentop::parse::otlp::{self, DEFAULT_IDENTITY, Encoding, GateKey, Hold, MetricGate, Series, Signal};
use tokentop::secrets::{FingerprintKey, Ignore, Scanner};

const NOW: i64 = 1_767_261_600_000;
const WAIT: i64 = 60_000;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let signal = match selector % 3 {
        0 => Signal::Logs,
        1 => Signal::Traces,
        _ => Signal::Metrics,
    };
    let encoding = if selector & 0x80 == 0 {
        Encoding::Json
    } else {
        Encoding::Protobuf
    };
    let Ok(mut batch) = otlp::decode(signal, encoding, body) else {
        return;
    };
    assert!(batch.parts() >= batch.records.len() as u64);
    let scanner = Scanner::new(FingerprintKey::from_bytes([7; 32]), Ignore::default());
    let identity: Vec<String> = DEFAULT_IDENTITY.iter().map(|s| s.to_string()).collect();
    let outcomes = otlp::outcomes(&batch, NOW, &identity, Some(&scanner));
    assert_eq!(outcomes.len(), batch.records.len());

    // Every point the gate is given is counted now, released after its wait, or dropped
    // for its session's events: never lost, never twice.
    let mut gate = MetricGate::new(WAIT);
    for (record, outcome) in batch.records.iter().zip(&outcomes) {
        if let Parsed::Event(e) = &outcome.parsed {
            gate.event(&GateKey::of(e, &record.resource), NOW);
        }
    }
    let mut series = Series::default();
    let grown: Vec<_> = std::mem::take(&mut batch.points)
        .into_iter()
        .filter_map(|p| series.growth(&p, NOW, WAIT).ok().map(|g| (p, g)))
        .collect();
    let grouped = otlp::group(&grown, &identity, NOW);
    let given: u64 = grouped.events.iter().map(|h| h.points).sum();
    let mut counted = 0;
    for held in grouped.events {
        if let Hold::Now(h) = gate.hold(held, NOW) {
            counted += h.points;
        }
    }
    counted += gate.release(NOW + WAIT).iter().map(|h| h.points).sum::<u64>();
    assert_eq!(counted + gate.take_dropped(), given);
    assert!(gate.release(NOW + 2 * WAIT).is_empty() && !gate.is_full());
});
