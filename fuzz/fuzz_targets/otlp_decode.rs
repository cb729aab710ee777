//! OTLP export request bodies: the first byte picks the signal and the encoding, the rest
//! is the body; a decoded batch then goes through `outcomes` with a secret scanner.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::parse::otlp::{self, DEFAULT_IDENTITY, Encoding, Signal};
use tokentop::secrets::{FingerprintKey, Ignore, Scanner};

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
    let Ok(batch) = otlp::decode(signal, encoding, body) else {
        return;
    };
    assert!(batch.parts() >= batch.records.len() as u64);
    let scanner = Scanner::new(FingerprintKey::from_bytes([7; 32]), Ignore::default());
    let identity: Vec<String> = DEFAULT_IDENTITY.iter().map(|s| s.to_string()).collect();
    let outcomes = otlp::outcomes(&batch, 1_767_261_600_000, &identity, Some(&scanner));
    assert_eq!(outcomes.len(), batch.records.len());
});
