//! `katscan staged`: the index -> one reporter -> status, like `scan`.

use std::sync::Arc;
use std::time::Instant;

use katscan::git::{GitError, Repository};
use katscan::staged;
use katscan::tree::{GitTree, Revision};

use super::args::{BaselineArgs, StagedArgs};
use super::scan::{Reporting, finish};
use super::session::{ConfigRoots, Session};
use super::{ExitStatus, Failure};

pub fn run(args: &StagedArgs) -> Result<ExitStatus, Failure> {
    let common = &args.common;
    let out = &common.reporting;
    let baseline_args = BaselineArgs {
        baseline: common.baseline.clone(),
        write_baseline: None,
        update_baseline: args.update_baseline,
    };
    // The same config a `katscan scan` from here would use.
    let (session, classifier) = Session::start(
        out,
        &common.config,
        ConfigRoots::CurrentDirectory,
        &baseline_args,
    )?;
    let repository = repository_of(&session, "`katscan staged` scans a git index")?;
    // Staged blobs belong to the project as the index has it, whatever the
    // work tree holds now.
    let index = GitTree::new(repository.clone(), Revision::Index);
    let scanner = session.scanner(classifier.reading(Arc::new(index)));
    let options = session.git_scan_options(common, 0);

    let started = Instant::now();
    let mut report = staged::scan(&scanner, &repository, &options).map_err(Failure::new)?;
    // Paths in a baseline are as `katscan scan` reports them from the top
    // level; staged paths are relative to it too. Only the staged files
    // were read: no walked roots.
    session.postprocess(&mut report, &baseline_args, &[])?;
    let reporting = Reporting {
        args: out,
        baseline_written: false,
        version_control: None,
    };
    finish(&session.rules, &report, started.elapsed(), &reporting)
}

/// The repository around the session's directory, or why there is none:
/// `what` says what the command scans.
pub fn repository_of(session: &Session, what: &str) -> Result<Repository, Failure> {
    Repository::discover(&session.cwd).map_err(|error| match error {
        GitError::NotARepository { .. } => Failure::new(format!(
            "{error}; {what} (use `katscan scan` for plain files)"
        )),
        error => Failure::new(error),
    })
}
