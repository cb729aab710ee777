//! Reading many files at once: a backfill of thousands of files is parsed on every core,
//! while the caller ingests the results in file order (so totals and tie-breaks do not
//! depend on which thread finished first).

use std::collections::BTreeMap;
use std::io;
use std::sync::mpsc;

use super::health::SourceHealth;
use super::tail::TailedFile;
use crate::event::{Event, TimeMs};

/// Below this many bytes to read, threads cost more than they save.
pub const PARALLEL_FROM_BYTES: u64 = 4 << 20;

/// What reading one file produced, in that file's order.
struct Outcome {
    index: usize,
    events: Vec<Event>,
    health: SourceHealth,
    result: io::Result<u64>,
}

/// Threads to parse with: the machine's cores.
fn readers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Reads `files` (already in the order their events should be delivered) on several
/// threads; hands every event to `sink` in file order on the calling thread, adds what
/// was counted to `health`, and returns each file's read result in the same order.
pub fn read_files(
    files: Vec<&mut TailedFile>,
    read_time: TimeMs,
    health: &mut SourceHealth,
    sink: &mut dyn FnMut(Event),
) -> Vec<io::Result<u64>> {
    let count = files.len();
    let threads = readers().min(count).max(1);
    let mut shares: Vec<Vec<(usize, &mut TailedFile)>> = (0..threads).map(|_| Vec::new()).collect();
    for (index, file) in files.into_iter().enumerate() {
        shares[index % threads].push((index, file));
    }
    let mut results: Vec<Option<io::Result<u64>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Outcome>(threads * 4);
        for share in shares {
            let tx = tx.clone();
            scope.spawn(move || {
                let mut scratch = Vec::new();
                for (index, file) in share {
                    let mut health = SourceHealth::default();
                    let mut events = Vec::new();
                    let result = file.read_new(read_time, &mut scratch, &mut health, &mut |e| {
                        events.push(e)
                    });
                    if tx
                        .send(Outcome {
                            index,
                            events,
                            health,
                            result,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        for outcome in rx {
            waiting.insert(outcome.index, outcome);
            while let Some(outcome) = waiting.remove(&next) {
                outcome.events.into_iter().for_each(&mut *sink);
                health.absorb(outcome.health);
                results[next] = Some(outcome.result);
                next += 1;
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(io::Error::other("reader thread stopped"))))
        .collect()
}
