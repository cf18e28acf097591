//! What every scanning command (`scan`, `staged`) sets up the same way,
//! captured once into one typed value: the current directory, the rules
//! (built-in, with the config's changes), the config, the client
//! classifier and the baseline file. A command parses its own arguments,
//! starts a [`Session`], feeds blobs from its source to the scanner the
//! session builds, and hands the report back to the session for the
//! config's `[allow]` and the baseline: two commands cannot drift apart on
//! any of it, and no library call reads the process's current directory
//! behind the session's back.

use std::env;
use std::path::PathBuf;

use katscan::baseline::Baseline;
use katscan::client::Classifier;
use katscan::config::Config;
use katscan::postprocess::{self, ScanScope};
use katscan::source::GitScanOptions;
use katscan::walk::ExcludeFilter;
use katscan::{RuleSet, ScanReport, Scanner};

use super::args::{BaselineArgs, ConfigArgs, GitScanArgs, ReportArgs};
use super::scan::{baseline_use, reject_shared_files};
use super::{Failure, builtin_rules, config, terminal};

/// One scanning command's set-up.
pub struct Session {
    /// The process's current directory, read once.
    pub cwd: PathBuf,
    pub rules: RuleSet,
    pub config: Option<Config>,
    /// The file `--baseline` names, read before anything is scanned.
    pub baseline: Option<Baseline>,
    redact: bool,
}

/// Where a command looks for its config: the paths it scans (`scan`), or
/// the current directory (`staged`).
pub enum ConfigRoots<'a> {
    Paths(&'a [PathBuf]),
    CurrentDirectory,
}

impl Session {
    /// Checks the output files, reads the config and the baseline, and
    /// builds the rules and the classifier. The classifier is returned
    /// apart: the scanner takes it over ([`Session::scanner`]).
    pub fn start(
        reporting: &ReportArgs,
        config_args: &ConfigArgs,
        config_roots: ConfigRoots<'_>,
        baseline: &BaselineArgs,
    ) -> Result<(Session, Classifier), Failure> {
        reject_shared_files(
            reporting,
            &[
                ("--baseline", baseline.baseline.as_deref()),
                ("--write-baseline", baseline.write_baseline.as_deref()),
            ],
        )
        .map_err(Failure::Message)?;
        let cwd = env::current_dir()
            .map_err(|error| Failure::new(format!("cannot read the current directory: {error}")))?;
        let mut rules = builtin_rules()?;
        if reporting.no_redact {
            terminal::stop_redacting();
        }
        let here = [cwd.clone()];
        let roots = match config_roots {
            ConfigRoots::Paths(paths) => paths,
            ConfigRoots::CurrentDirectory => &here,
        };
        let config = config::load_for_scan(config_args, roots, &mut rules, reporting.verbose)?;
        let classifier = client_classifier(config.as_ref())?;
        let baseline = baseline
            .baseline
            .as_deref()
            .map(Baseline::load)
            .transpose()
            .map_err(Failure::new)?;
        let session = Session {
            cwd,
            rules,
            config,
            baseline,
            redact: !reporting.no_redact,
        };
        Ok((session, classifier))
    }

    /// The scanner for this session's rules, classifying with `classifier`.
    pub fn scanner(&self, classifier: Classifier) -> Scanner<'_> {
        Scanner::with_classifier(&self.rules, self.redact, classifier)
    }

    /// The config's `exclude` globs as a walk filter.
    pub fn exclude_filter(&self) -> Option<ExcludeFilter> {
        config::exclude_filter(self.config.as_ref())
    }

    /// The options a scan of git's objects (`staged`, `history`) gets from
    /// its flags and this session's config.
    pub fn git_scan_options(&self, args: &GitScanArgs, threads: usize) -> GitScanOptions {
        GitScanOptions {
            respect_ignore_files: !args.no_ignore,
            excludes: args.exclude.clone(),
            max_file_size: args.max_file_size,
            exclude_filter: self.exclude_filter(),
            threads,
        }
    }

    /// Applies the config's `[allow]` list and the baseline to a finished
    /// scan. `walked_roots` are the directories a walk covered (none for
    /// the index): a baseline entry below them whose file was not read is
    /// stale only there.
    pub fn postprocess(
        &self,
        report: &mut ScanReport,
        baseline_args: &BaselineArgs,
        walked_roots: &[PathBuf],
    ) -> Result<(), Failure> {
        let scope = ScanScope {
            rules: &self.rules,
            walked_roots,
            cwd: &self.cwd,
        };
        let baseline = baseline_use(baseline_args, self.baseline.as_ref());
        postprocess::apply(report, self.config.as_ref(), baseline, scope).map_err(Failure::new)
    }
}

/// The built-in client-file classification with the config's `[client]`
/// globs in front.
pub fn client_classifier(config: Option<&Config>) -> Result<Classifier, Failure> {
    let classifier = Classifier::builtin().map_err(Failure::new)?;
    let Some(config) = config else {
        return Ok(classifier);
    };
    classifier
        .with_overrides(&config.client.paths, &config.client.not_paths, &config.path)
        .map_err(Failure::new)
}
