//! `katscan staged`: the index -> one reporter -> status, like `scan`.

use std::env;
use std::time::Instant;

use katscan::Scanner;
use katscan::git::GitError;
use katscan::postprocess::{self, ScanScope};
use katscan::staged::{self, StagedError, StagedOptions};

use super::args::BaselineArgs;
use super::args::StagedArgs;
use super::scan::{
    Reporting, baseline_use, client_classifier, finish, load_baseline, reject_shared_files,
};
use super::{ExitStatus, builtin_rules, config, print_error, terminal};

pub fn run(args: &StagedArgs) -> ExitStatus {
    if let Err(message) =
        reject_shared_files(&args.reporting, &[("--baseline", args.baseline.as_deref())])
    {
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
    let out = &args.reporting;
    if out.no_redact {
        terminal::stop_redacting();
    }
    let Ok(config) = config::load_for_scan(
        &args.config,
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
    let options = StagedOptions {
        dir: dir.clone(),
        respect_ignore_files: !args.no_ignore,
        excludes: args.exclude.clone(),
        max_file_size: args.max_file_size,
        exclude_filter: config::exclude_filter(config.as_ref()),
        threads: 0,
    };

    let Ok(baseline) = load_baseline(args.baseline.as_deref()) else {
        return ExitStatus::Error;
    };

    let started = Instant::now();
    let mut report = match staged::scan(&scanner, &options) {
        Ok(report) => report,
        Err(StagedError::Git(error @ GitError::NotARepository { .. })) => {
            print_error(&format!(
                "{error}; `katscan staged` scans a git index (use `katscan scan` for plain files)"
            ));
            return ExitStatus::Error;
        }
        Err(error) => {
            print_error(&error);
            return ExitStatus::Error;
        }
    };
    let baseline_args = BaselineArgs {
        baseline: args.baseline.clone(),
        write_baseline: None,
        update_baseline: args.update_baseline,
    };
    // Paths in a baseline are as `katscan scan` reports them from the top
    // level; staged paths are relative to it too. Only the staged files
    // were read: no walked roots.
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
    };
    finish(&rules, &report, started.elapsed(), &reporting)
}
