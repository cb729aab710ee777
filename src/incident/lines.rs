//! Line numbers from byte offsets: events keep where their line starts, a person wants
//! `file:line`. One pass over the file's start per file, however many offsets.

use std::io::{self, Read};
use std::path::Path;

/// The 1-based line that starts at each of `offsets` in the file at `path` (offsets past
/// its end are left out).
pub fn line_numbers(path: &Path, offsets: &[u64]) -> io::Result<Vec<(u64, u64)>> {
    let mut wanted: Vec<u64> = offsets.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let Some(&last) = wanted.last() else {
        return Ok(Vec::new());
    };
    let mut file = std::fs::File::open(path)?.take(last);
    let mut out = Vec::with_capacity(wanted.len());
    let mut next = wanted.iter().peekable();
    let (mut at, mut newlines) = (0u64, 0u64);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(&&offset) = next.peek() {
            // Every newline before `offset` has been counted once `at` reaches it.
            if offset > at {
                break;
            }
            out.push((offset, newlines + 1));
            next.next();
        }
        if next.peek().is_none() {
            break;
        }
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // Count up to each offset that falls in this chunk, then the rest.
        let bytes = &chunk[..n];
        let mut from = 0usize;
        while let Some(&&offset) = next.peek() {
            let Ok(end) = usize::try_from(offset - at) else {
                break;
            };
            if end > n {
                break;
            }
            newlines += memchr::memchr_iter(b'\n', &bytes[from..end]).count() as u64;
            from = end;
            out.push((offset, newlines + 1));
            next.next();
        }
        newlines += memchr::memchr_iter(b'\n', &bytes[from..]).count() as u64;
        at += n as u64;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_the_lines_they_start() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("log.jsonl");
        std::fs::write(&path, "a\nbb\n\nccc\nd\n").expect("write");
        // "a" at 0 (line 1), "bb" at 2 (2), "" at 5 (3), "ccc" at 6 (4), "d" at 10 (5).
        let lines = line_numbers(&path, &[10, 0, 6, 2, 10]).expect("lines");
        assert_eq!(lines, vec![(0, 1), (2, 2), (6, 4), (10, 5)]);
        assert_eq!(line_numbers(&path, &[]).expect("none"), vec![]);
    }
}
