//! Reading many files at once: a backfill of thousands of files is parsed on every core,
//! while the caller ingests the results in file order (so totals and tie-breaks do not
//! depend on which thread finished first).

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
    let mut results = Vec::with_capacity(count);
    std::thread::scope(|scope| {
        // One short channel per thread: file i comes from thread i % threads, so taking
        // files in order needs no reorder buffer, and no thread runs far ahead (memory).
        // Emptied event vectors go back to their thread: a file's events take hundreds of
        // KiB, and allocating them afresh per file had the allocator hand pages back to the
        // kernel and fault them in again, zeroed (620 MiB over a 200k-response backfill).
        let channels: Vec<(mpsc::Receiver<Outcome>, mpsc::Sender<Vec<Event>>)> = shares
            .into_iter()
            .map(|share| {
                let (tx, rx) = mpsc::sync_channel::<Outcome>(2);
                let (give_back, given_back) = mpsc::channel::<Vec<Event>>();
                scope.spawn(move || {
                    let mut scratch = Vec::new();
                    for (index, file) in share {
                        let mut health = SourceHealth::default();
                        let mut events = given_back.try_recv().unwrap_or_default();
                        let result =
                            file.read_new(read_time, &mut scratch, &mut health, &mut |e| {
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
                (rx, give_back)
            })
            .collect();
        for index in 0..count {
            let (outcome, give_back) = &channels[index % threads];
            let Ok(mut outcome) = outcome.recv() else {
                results.push(Err(io::Error::other("reader thread stopped")));
                continue;
            };
            debug_assert_eq!(outcome.index, index);
            outcome.events.drain(..).for_each(&mut *sink);
            // The thread may have finished its share: then the vector is dropped here.
            let _ = give_back.send(outcome.events);
            health.absorb(outcome.health);
            results.push(outcome.result);
        }
    });
    results
}
