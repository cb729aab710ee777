//! Where an event's line is: a source id and a byte offset, plus a hash to tell later
//! whether the bytes there are still that line. Plain data, so events and the engine can
//! carry it; the registry of sources and the reading back live in `source::origin`.

use std::hash::{BuildHasher, Hasher};

/// A file or recording registered in `source::origin::Origins`; ids are only meaningful
/// in their registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceId(pub u32);

/// The line an event was parsed from (16 bytes: the hash fills what would be padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub source: SourceId,
    /// A hash of the line (see [`line_hash`]), to tell whether the bytes at `offset` are
    /// still the record read there: it works for every format, including those a lone line
    /// cannot be re-parsed into the same event (Codex cumulative counts, stream deltas,
    /// lines without a time), and costs the readers no more for a long line than a short one.
    pub line_hash: u32,
    /// Where the line starts in the file.
    pub offset: u64,
}

impl Origin {
    pub fn new(source: SourceId, offset: u64, line: &[u8]) -> Self {
        Origin {
            source,
            line_hash: line_hash(line),
            offset,
        }
    }
}

/// Bytes hashed at each end of a longer line: stamping costs the same for any line length.
const HASHED_END: usize = 128;

/// A hash of the line's length and of its first and last [`HASHED_END`] bytes (all of a
/// shorter line). Log records differ at both ends (ids and times: Claude Code's `uuid` and
/// `timestamp` close its lines, other formats open with a time or an id), so a record
/// rewritten at the same offset with the same length and the same ends does not happen in
/// practice. Fixed seed: only ever compared within one process.
pub(crate) fn line_hash(line: &[u8]) -> u32 {
    let mut h = foldhash::fast::FixedState::with_seed(0x746f_6b65_6e74_6f70).build_hasher();
    h.write_usize(line.len());
    if line.len() <= 2 * HASHED_END {
        h.write(line);
    } else {
        h.write(&line[..HASHED_END]);
        h.write(&line[line.len() - HASHED_END..]);
    }
    let h = h.finish();
    (h ^ (h >> 32)) as u32
}
