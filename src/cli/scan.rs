//! `katscan scan`: arguments and config -> walk -> suppressions and
//! baseline -> the report (and any `--report` extras) -> exit status.

use std::env;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use katscan::baseline::{Baseline, BaselineError, Scope};
use katscan::client::Classifier;
use katscan::config::Config;
use katscan::report::{
    GithubReporter, HumanReporter, JsonReporter, MarkdownReporter, ReportInput, Reporter,
    SarifReporter, write_summary,
};
use katscan::walk::{self, ScanReport, WalkOptions};
use katscan::{Level, RuleSet, Scanner};

use super::args::{
    BaselineArgs, ColorChoice, FailOn, Format, ReportArgs, ReportTarget, ScanArgs, capped_threads,
};
use super::{ExitStatus, builtin_rules, config, print_error};

pub fn run(args: &ScanArgs) -> ExitStatus {
    let Some(mut rules) = builtin_rules() else {
        return ExitStatus::Error;
    };
    let out = &args.reporting;
    let color = use_color(out.color);
    let Ok(config) =
        config::load_for_scan(&args.config, &args.paths, &mut rules, out.verbose, color)
    else {
        return ExitStatus::Error;
    };
    let Some(classifier) = client_classifier(config.as_ref()) else {
        return ExitStatus::Error;
    };
    let include_build_output = if args.include_build_output {
        classifier.rules().build_output_dirs().to_vec()
    } else {
        Vec::new()
    };
    let scanner = Scanner::with_classifier(&rules, !out.no_redact, classifier);
    let options = WalkOptions {
        paths: args.paths.clone(),
        respect_ignore_files: !args.no_ignore,
        excludes: args.exclude.clone(),
        max_file_size: args.max_file_size,
        threads: worker_threads(args.threads),
        follow_symlinks: args.follow_symlinks,
        include_build_output,
        exclude_filter: config::exclude_filter(config.as_ref()),
        force_exclude: args.force_exclude,
    };

    let Ok(baseline) = load_baseline(args.baseline.baseline.as_deref()) else {
        return ExitStatus::Error;
    };

    let started = Instant::now();
    let mut report = match walk::scan(&scanner, &options) {
        Ok(report) => report,
        Err(error) => {
            print_error(&error);
            return ExitStatus::Error;
        }
    };
    if let Some(config) = &config {
        config::suppress_allowed_findings(&mut report, config);
    }
    if let Err(error) = apply_baseline(&args.baseline, &args.paths, baseline.as_ref(), &mut report)
    {
        print_error(&error);
        return ExitStatus::Error;
    }
    let reporting = Reporting {
        args: out,
        baseline_written: args.baseline.write_baseline.is_some(),
    };
    finish(&rules, &report, started.elapsed(), &reporting)
}

/// `-j` capped at what can help; a note on stderr when it was lowered.
fn worker_threads(requested: usize) -> usize {
    let threads = capped_threads(requested);
    if threads < requested {
        eprintln!(
            "katscan: note: -j {requested} lowered to {threads} worker threads (the most that help)"
        );
    }
    threads
}

/// How a finished scan is reported: the same for every command that scans.
pub struct Reporting<'a> {
    pub args: &'a ReportArgs,
    /// `--write-baseline` just recorded the findings: say so.
    pub baseline_written: bool,
}

/// Writes the report and the summary; returns the exit status the
/// findings imply.
pub fn finish(
    rules: &RuleSet,
    report: &ScanReport,
    elapsed: Duration,
    reporting: &Reporting<'_>,
) -> ExitStatus {
    let input = ReportInput {
        rules,
        report,
        elapsed,
    };
    print_skipped(report, reporting.args.verbose);
    print_baseline(report, reporting.baseline_written);
    if let Err(error) = write_report(reporting.args, &input)
        .and_then(|()| write_extra_reports(&reporting.args.report, &input))
    {
        print_error(&error);
        return ExitStatus::Error;
    }
    // The summary is for the person at the terminal; a failure to print it
    // must not change what the report and exit status say.
    let _ = write_summary(&mut io::stderr().lock(), &input);
    status(report, reporting.args.fail_on)
}

/// The built-in client-file classification with the config's `[client]`
/// globs in front; `None` after printing why it cannot be built.
pub fn client_classifier(config: Option<&Config>) -> Option<Classifier> {
    let classifier = Classifier::builtin()
        .map_err(|error| print_error(error))
        .ok()?;
    let Some(config) = config else {
        return Some(classifier);
    };
    classifier
        .with_overrides(&config.client.paths, &config.client.not_paths, &config.path)
        .map_err(|error| print_error(&error))
        .ok()
}

/// A bad baseline stops the scan before it starts: `Err` after printing why.
pub fn load_baseline(path: Option<&Path>) -> Result<Option<Baseline>, ()> {
    path.map(Baseline::load)
        .transpose()
        .map_err(|error| print_error(&error))
}

/// `--write-baseline` records the findings and accepts them; `--baseline`
/// accepts those it lists and finds its stale entries (among the files the
/// scan covered), which `--update-baseline` prunes from the file.
pub fn apply_baseline(
    args: &BaselineArgs,
    roots: &[PathBuf],
    loaded: Option<&Baseline>,
    report: &mut ScanReport,
) -> Result<(), BaselineError> {
    let covered: Vec<String> = match &report.covered_files {
        Some(files) => files.clone(),
        None => roots.iter().map(|p| walk::display_path(p)).collect(),
    };
    let scope = Scope::new(covered, report.skipped.iter().map(|s| s.path.clone()));
    let (baseline, file) = match (&args.write_baseline, loaded, &args.baseline) {
        (Some(file), _, _) => {
            let written = Baseline::from_findings(&report.findings);
            written.save(file)?;
            (written, file)
        }
        (None, Some(loaded), Some(file)) => (loaded.clone(), file),
        _ => return Ok(()),
    };
    let mut outcome = baseline.apply(&mut report.findings, &file.display().to_string(), &scope);
    if args.update_baseline && !outcome.stale.is_empty() {
        baseline.pruned(&outcome).save(file)?;
        outcome.pruned = true;
    }
    report.baseline = Some(outcome);
    Ok(())
}

/// What happened to the baseline file; stale entries get a warning each,
/// so the person sees which findings went away (they never change the exit
/// status).
fn print_baseline(report: &ScanReport, written: bool) {
    let Some(baseline) = &report.baseline else {
        return;
    };
    let mut stderr = io::stderr().lock();
    if written {
        let _ = writeln!(
            stderr,
            "katscan: recorded {} in baseline {}",
            match baseline.matched {
                1 => "1 finding".to_string(),
                n => format!("{n} findings"),
            },
            baseline.file
        );
    }
    for entry in &baseline.stale {
        let times = if entry.count > 1 {
            format!(" ({} times)", entry.count)
        } else {
            String::new()
        };
        let what = if baseline.pruned {
            "pruned stale entry"
        } else {
            "stale entry"
        };
        let _ = writeln!(
            stderr,
            "katscan: warning: baseline {}: {what} {} {} {}{times} matches no finding",
            baseline.file, entry.rule_id, entry.path, entry.fingerprint
        );
    }
    if !baseline.stale.is_empty() && !baseline.pruned {
        let _ = writeln!(
            stderr,
            "katscan: prune stale entries with --baseline {} --update-baseline",
            baseline.file
        );
    }
}

/// Unreadable files are always reported (the scan is incomplete); expected
/// skips such as binaries only with `--verbose`.
fn print_skipped(report: &ScanReport, verbose: bool) {
    let mut stderr = io::stderr().lock();
    for skipped in &report.skipped {
        if skipped.reason.is_error() {
            let _ = writeln!(
                stderr,
                "katscan: warning: {}: could not be read: {}",
                skipped.path, skipped.detail
            );
        } else if verbose {
            let _ = writeln!(
                stderr,
                "katscan: skipped {}: {} ({})",
                skipped.path, skipped.reason, skipped.detail
            );
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum OutputError {
    #[error("cannot write the report to {path}: {source}")]
    File { path: String, source: io::Error },
    #[error("cannot write the report: {0}")]
    Stream(io::Error),
}

fn write_report(args: &ReportArgs, input: &ReportInput<'_>) -> Result<(), OutputError> {
    let to_file = args.output.is_some();
    let reporter = reporter_for(args.format, !to_file && use_color(args.color));

    if let Some(path) = &args.output {
        return write_to_file(reporter.as_ref(), path, input);
    }

    let written = if args.format == Format::Human {
        reporter.write(&mut io::stderr().lock(), input)
    } else {
        let mut out = BufWriter::new(io::stdout().lock());
        reporter.write(&mut out, input).and_then(|()| out.flush())
    };
    match written {
        // A closed pipe (`katscan scan -f json | head`) is the reader's choice.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(OutputError::Stream),
    }
}

/// `--report FORMAT=FILE`: more reports from the same findings, so one scan
/// can feed code scanning, annotations and a job summary.
fn write_extra_reports(
    targets: &[ReportTarget],
    input: &ReportInput<'_>,
) -> Result<(), OutputError> {
    for target in targets {
        write_to_file(
            reporter_for(target.format, false).as_ref(),
            &target.path,
            input,
        )?;
    }
    Ok(())
}

fn reporter_for(format: Format, color: bool) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(HumanReporter {
            color,
            ..HumanReporter::default()
        }),
        Format::Json => Box::new(JsonReporter),
        Format::Sarif => Box::new(SarifReporter),
        Format::Github => Box::new(GithubReporter),
        Format::Markdown => Box::new(MarkdownReporter),
    }
}

fn write_to_file(
    reporter: &dyn Reporter,
    path: &Path,
    input: &ReportInput<'_>,
) -> Result<(), OutputError> {
    let file_error = |source| OutputError::File {
        path: path.display().to_string(),
        source,
    };
    let file = File::create(path).map_err(file_error)?;
    let mut out = BufWriter::new(file);
    reporter.write(&mut out, input).map_err(file_error)?;
    out.flush().map_err(file_error)
}

pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            io::stderr().is_terminal() && env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn status(report: &ScanReport, fail_on: FailOn) -> ExitStatus {
    let threshold = match fail_on {
        FailOn::Error => Some(Level::Error),
        FailOn::Warning => Some(Level::Warning),
        FailOn::Note => Some(Level::Note),
        FailOn::Never => None,
    };
    let failing = threshold.is_some_and(|t| report.reported().any(|f| f.level >= t));
    if failing {
        ExitStatus::Failure
    } else if !report.is_complete() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}
