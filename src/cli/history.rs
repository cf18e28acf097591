//! `katscan history`: the blobs a range of commits brought in -> the same
//! config, baseline and reporting as `staged` -> status. Says so when the
//! clone is shallow: a scan of less history than asked is not presented as
//! complete history.

use std::io::Write;

use katscan::git::GitError;
use katscan::history::{self, HistoryError, HistoryOptions};
use katscan::output::neutralise;
use katscan::report::VersionControl;

use super::args::HistoryArgs;
use super::staged::{GitScan, Scanned, run_git_scan};
use super::{ExitStatus, print_error, terminal};

pub fn run(args: &HistoryArgs) -> ExitStatus {
    let common = &args.common;
    let shared = GitScan {
        config: &common.config,
        reporting: &common.reporting,
        baseline: common.baseline.as_deref(),
        // Entries of files the range did not touch were not judged; none is
        // stale, so there is nothing to prune.
        update_baseline: false,
    };
    run_git_scan(shared, |scanner, dir, exclude_filter| {
        let options = HistoryOptions {
            dir: dir.to_path_buf(),
            revisions: args.revisions.clone(),
            all: args.all,
            since: args.since.clone(),
            respect_ignore_files: !common.no_ignore,
            excludes: common.exclude.clone(),
            max_file_size: common.max_file_size,
            exclude_filter,
            threads: super::args::capped_threads(args.threads),
        };
        let scanned = match history::scan(scanner, &options) {
            Ok(scanned) => scanned,
            Err(HistoryError::Git(error @ GitError::NotARepository { .. })) => {
                print_error(&format!(
                    "{error}; `katscan history` scans a git repository's commits \
                     (use `katscan scan` for plain files)"
                ));
                return Err(());
            }
            Err(error) => {
                print_error(&error);
                return Err(());
            }
        };
        if !common.reporting.quiet || scanned.shallow {
            let mut stderr = terminal::stderr(false);
            if scanned.shallow {
                let _ = writeln!(
                    stderr,
                    "katscan: warning: this is a shallow clone: history before its oldest \
                     fetched commits was not scanned (and those commits count as adding \
                     every file they hold); fetch the rest with `git fetch --unshallow` \
                     (GitHub Actions: `fetch-depth: 0` on actions/checkout)"
                );
            }
            if !common.reporting.quiet {
                let _ = writeln!(
                    stderr,
                    "katscan: history: {} commits, {} unique blobs",
                    scanned.commits, scanned.blobs
                );
            }
            let _ = stderr.finish();
        }
        let version_control = scanned.repository_url.map(|url| VersionControl {
            repository_uri: neutralise(&url).into_owned(),
            revision_id: (scanned.tips.len() == 1).then(|| scanned.tips[0].clone()),
        });
        Ok(Scanned {
            report: scanned.scan,
            version_control,
        })
    })
}
