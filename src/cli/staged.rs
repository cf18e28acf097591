//! `katscan staged`: the index -> one reporter -> status, like `scan`; and
//! the plumbing it shares with `katscan history` (config, baseline,
//! reporting), the other scan of git's objects.

use std::env;
use std::path::Path;
use std::time::Instant;

use katscan::Scanner;
use katscan::git::GitError;
use katscan::postprocess::{self, ScanScope};
use katscan::report::VersionControl;
use katscan::staged::{self, StagedError, StagedOptions};
use katscan::walk::{ExcludeFilter, ScanReport};

use super::args::{BaselineArgs, ConfigArgs, ReportArgs, StagedArgs};
use super::scan::{
    Reporting, baseline_use, client_classifier, finish, load_baseline, reject_shared_files,
};
use super::{ExitStatus, builtin_rules, config, print_error, terminal};

pub fn run(args: &StagedArgs) -> ExitStatus {
    let shared = GitScan {
        config: &args.config,
        reporting: &args.reporting,
        baseline: args.baseline.as_deref(),
        update_baseline: args.update_baseline,
    };
    run_git_scan(shared, |scanner, dir, exclude_filter| {
        let options = StagedOptions {
            dir: dir.to_path_buf(),
            respect_ignore_files: !args.no_ignore,
            excludes: args.exclude.clone(),
            max_file_size: args.max_file_size,
            exclude_filter,
        };
        match staged::scan(scanner, &options) {
            Ok(report) => Ok(Scanned {
                report,
                version_control: None,
            }),
            Err(StagedError::Git(error @ GitError::NotARepository { .. })) => {
                print_error(&format!(
                    "{error}; `katscan staged` scans a git index (use `katscan scan` for plain files)"
                ));
                Err(())
            }
            Err(error) => {
                print_error(&error);
                Err(())
            }
        }
    })
}

/// What the scans of git's objects (`staged`, `history`) are given beyond
/// their own options.
pub struct GitScan<'a> {
    pub config: &'a ConfigArgs,
    pub reporting: &'a ReportArgs,
    pub baseline: Option<&'a Path>,
    pub update_baseline: bool,
}

/// A finished scan of git's objects, before suppressions and baseline.
pub struct Scanned {
    pub report: ScanReport,
    pub version_control: Option<VersionControl>,
}

/// The plumbing `staged` and `history` share: config from the current
/// directory, the scanner, the baseline, reporting and exit status.
/// `scan` gets the scanner, the current directory and the config's
/// excludes; it prints its own error and returns `Err(())` when it fails.
pub fn run_git_scan<F>(args: GitScan<'_>, scan: F) -> ExitStatus
where
    F: FnOnce(&Scanner<'_>, &Path, Option<ExcludeFilter>) -> Result<Scanned, ()>,
{
    if let Err(message) = reject_shared_files(args.reporting, &[("--baseline", args.baseline)]) {
        print_error(&message);
        return ExitStatus::Error;
    }
    let Some(mut rules) = builtin_rules() else {
        return ExitStatus::Error;
    };
    let dir = match env::current_dir() {
        Ok(dir) => dir,
        Err(error) => {
            print_error(&format!("cannot read the current directory: {error}"));
            return ExitStatus::Error;
        }
    };
    // The same config a `katscan scan` from here would use.
    let out = args.reporting;
    if out.no_redact {
        terminal::stop_redacting();
    }
    let Ok(config) = config::load_for_scan(
        args.config,
        std::slice::from_ref(&dir),
        &mut rules,
        out.verbose,
    ) else {
        return ExitStatus::Error;
    };
    let Some(classifier) = client_classifier(config.as_ref()) else {
        return ExitStatus::Error;
    };
    let scanner = Scanner::with_classifier(&rules, !out.no_redact, classifier);
    let Ok(baseline) = load_baseline(args.baseline) else {
        return ExitStatus::Error;
    };

    let started = Instant::now();
    let Ok(Scanned {
        mut report,
        version_control,
    }) = scan(&scanner, &dir, config::exclude_filter(config.as_ref()))
    else {
        return ExitStatus::Error;
    };
    let baseline_args = BaselineArgs {
        baseline: args.baseline.map(Path::to_path_buf),
        write_baseline: None,
        update_baseline: args.update_baseline,
    };
    // Paths in a baseline are as `katscan scan` reports them from the top
    // level; paths of git's objects are relative to it too. No walked
    // roots: only what the scan lists as read can make an entry stale.
    let scope = ScanScope {
        rules: &rules,
        walked_roots: &[],
        cwd: &dir,
    };
    let baseline = baseline_use(&baseline_args, baseline.as_ref());
    if let Err(error) = postprocess::apply(&mut report, config.as_ref(), baseline, scope) {
        print_error(&error);
        return ExitStatus::Error;
    }
    let reporting = Reporting {
        args: out,
        baseline_written: false,
        version_control: version_control.as_ref(),
    };
    finish(&rules, &report, started.elapsed(), &reporting)
}
