//! `katscan history`: the blobs a range of commits brought in -> the same
//! session (config, baseline, reporting) as `staged` -> status. Says so
//! when the clone is shallow: a scan of less history than asked is not
//! presented as complete history.

use std::io::Write;
use std::time::Instant;

use katscan::history::{self, HistoryOptions};
use katscan::output::neutralise;
use katscan::report::VersionControl;

use super::args::{BaselineArgs, HistoryArgs, capped_threads};
use super::scan::{Reporting, finish};
use super::session::{ConfigRoots, Session};
use super::staged::repository_of;
use super::{ExitStatus, Failure, terminal};

pub fn run(args: &HistoryArgs) -> Result<ExitStatus, Failure> {
    let common = &args.common;
    let baseline_args = BaselineArgs {
        baseline: common.baseline.clone(),
        write_baseline: None,
        // Entries of files the range did not touch were not judged; none is
        // stale, so there is nothing to prune.
        update_baseline: false,
    };
    let (session, classifier) = Session::start(
        &common.reporting,
        &common.config,
        ConfigRoots::CurrentDirectory,
        &baseline_args,
    )?;
    // Checked here for its message; the scan finds it again from `dir`.
    repository_of(
        &session,
        "`katscan history` scans a git repository's commits",
    )?;
    // Blobs are classified against the work tree: an approximation of
    // each commit's own tree (README, "History").
    let scanner = session.scanner(classifier);
    let options = HistoryOptions {
        dir: session.cwd.clone(),
        revisions: args.revisions.clone(),
        all: args.all,
        since: args.since.clone(),
        scan: session.git_scan_options(common, capped_threads(args.threads)),
    };

    let started = Instant::now();
    let scanned = history::scan(&scanner, &options).map_err(Failure::new)?;
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
    let mut report = scanned.scan;
    // Paths are relative to the top level, as `katscan scan` reports them
    // from there; no walked roots, so no baseline entry is judged stale.
    session.postprocess(&mut report, &baseline_args, &[])?;
    let reporting = Reporting {
        args: &common.reporting,
        baseline_written: false,
        version_control: version_control.as_ref(),
    };
    finish(&session.rules, &report, started.elapsed(), &reporting)
}
