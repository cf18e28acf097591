//! Blobs from git's object database, scanned in parallel.
//!
//! `git cat-file --batch` answers on one pipe, in order, so one thread
//! reads; scanning is the costly part, so workers do it, fed over a
//! bounded channel. The bound keeps memory to a few blobs per worker
//! whatever the number of blobs (at most `2 × workers + workers` blobs
//! are held at once, each no larger than the size cap), and the reader
//! never waits on a full pipe for long because the workers drain it.

use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver};
use std::thread;

use super::{Origin, ScanReport, SkipReason, scan_blob, worker_count};
use crate::git::{GitError, Repository};
use crate::scanner::Scanner;

/// A blob to read from the object database, and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct GitBlob<'a> {
    pub object_id: &'a str,
    pub origin: Origin<'a>,
}

/// Reads `blobs` from `repository` and scans each on `threads` workers (0:
/// one per core). A blob larger than `max_file_size` is skipped unread.
pub fn scan_git_blobs(
    scanner: &Scanner<'_>,
    repository: &Repository,
    blobs: &[GitBlob<'_>],
    max_file_size: u64,
    threads: usize,
) -> Result<ScanReport, GitError> {
    if blobs.is_empty() {
        return Ok(ScanReport::default());
    }
    let workers = worker_count(threads).min(blobs.len());
    let ids: Vec<&str> = blobs.iter().map(|blob| blob.object_id).collect();
    let (sender, receiver) = mpsc::sync_channel::<(usize, Vec<u8>)>(2 * workers);
    let receiver = Mutex::new(receiver);
    let mut report = ScanReport::default();
    let read = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| scope.spawn(|| scan_received(scanner, blobs, &receiver)))
            .collect();
        let read = repository.read_blobs(&ids, |index, size, body| {
            let origin = blobs[index].origin;
            if size > max_file_size {
                report.skipped.push(origin.skipped(
                    SkipReason::TooLarge,
                    format!("larger than {max_file_size} bytes"),
                ));
                return Ok(());
            }
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            body.read_to_end(&mut bytes)?;
            // The workers only stop when the channel closes, so a send
            // fails only if every worker panicked; the scan then reports
            // what it has and the panic surfaces at the join below.
            sender
                .send((index, bytes))
                .map_err(|_| std::io::Error::other("every scan worker stopped"))
        });
        drop(sender);
        for handle in handles {
            match handle.join() {
                Ok(local) => report.merge(local),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        read
    });
    read?;
    report.sort();
    Ok(report)
}

/// One worker: scans blobs from the channel until it closes.
fn scan_received(
    scanner: &Scanner<'_>,
    blobs: &[GitBlob<'_>],
    receiver: &Mutex<Receiver<(usize, Vec<u8>)>>,
) -> ScanReport {
    let mut local = ScanReport::default();
    loop {
        let next = receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        let Ok((index, bytes)) = next else {
            return local;
        };
        scan_blob(scanner, blobs[index].origin, &bytes, &mut local);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::rules::RuleSet;
    use crate::source::work_tree_copies;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn every_blob_is_scanned_once_across_workers_and_oversized_ones_are_skipped() {
        let dir = tempfile::TempDir::new().unwrap();
        let key = ["kat_live_Pa7aLl3l", ".Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya"].concat();
        for n in 0..40 {
            let text = if n % 10 == 3 {
                format!("KATALO_API_KEY={key}\n")
            } else {
                format!("plain file {n}\n")
            };
            std::fs::write(dir.path().join(format!("f{n:02}.env")), text).unwrap();
        }
        std::fs::write(dir.path().join("big.env"), "x".repeat(4096)).unwrap();
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "."]);
        let repository = Repository::discover(dir.path()).unwrap();
        let entries = repository.staged_entries().unwrap();
        let copies = work_tree_copies(repository.top_level(), &entries);
        let blobs: Vec<GitBlob<'_>> = entries
            .iter()
            .zip(&copies)
            .map(|(entry, work_tree_copy)| GitBlob {
                object_id: &entry.object_id,
                origin: Origin::Index {
                    entry,
                    work_tree_copy,
                },
            })
            .collect();
        let rules = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, true);
        let report = scan_git_blobs(&scanner, &repository, &blobs, 1024, 4).unwrap();

        let found: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(found, ["f03.env", "f13.env", "f23.env", "f33.env"]);
        assert_eq!(report.files_scanned, 40);
        assert_eq!(report.scanned_files.len(), 40);
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.skipped[0].path, "big.env");
        assert_eq!(report.skipped[0].reason, SkipReason::TooLarge);
    }
}
