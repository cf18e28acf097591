//! `katscan scan`: validated arguments -> walk -> one reporter -> status.

use std::env;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use katscan::client::Classifier;
use katscan::config::Config;
use katscan::report::{
    GithubReporter, HumanReporter, JsonReporter, ReportInput, Reporter, SarifReporter,
    write_summary,
};
use katscan::walk::{self, ScanReport, WalkOptions};
use katscan::{Level, RuleSet, Scanner};

use super::args::{ColorChoice, FailOn, Format, ScanArgs};
use super::{ExitStatus, builtin_rules, config, print_error};

pub fn run(args: &ScanArgs) -> ExitStatus {
    let Some(mut rules) = builtin_rules() else {
        return ExitStatus::Error;
    };
    let color = use_color(args.color);
    let Ok(config) =
        config::load_for_scan(&args.config, &args.paths, &mut rules, args.verbose, color)
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
    let scanner = Scanner::with_classifier(&rules, !args.no_redact, classifier);
    let options = WalkOptions {
        paths: args.paths.clone(),
        respect_ignore_files: !args.no_ignore,
        excludes: args.exclude.clone(),
        max_file_size: args.max_file_size,
        threads: args.threads,
        follow_symlinks: args.follow_symlinks,
        include_build_output,
        exclude_filter: config::exclude_filter(config.as_ref()),
        force_exclude: args.force_exclude,
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
        config::remove_allowed_findings(&mut report, config, args.verbose);
    }
    let reporting = Reporting {
        format: args.format,
        output: args.output.as_deref(),
        fail_on: args.fail_on,
        color: args.color,
        verbose: args.verbose,
    };
    finish(&rules, &report, started.elapsed(), &reporting)
}

/// How a finished scan is reported: the same for every command that scans.
pub struct Reporting<'a> {
    pub format: Format,
    pub output: Option<&'a Path>,
    pub fail_on: FailOn,
    pub color: ColorChoice,
    pub verbose: bool,
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
    print_skipped(report, reporting.verbose);
    if let Err(error) = write_report(reporting, &input) {
        print_error(&error);
        return ExitStatus::Error;
    }
    // The summary is for the person at the terminal; a failure to print it
    // must not change what the report and exit status say.
    let _ = write_summary(&mut io::stderr().lock(), &input);
    status(report, reporting.fail_on)
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

fn write_report(args: &Reporting<'_>, input: &ReportInput<'_>) -> Result<(), OutputError> {
    let to_file = args.output.is_some();
    let reporter: Box<dyn Reporter> = match args.format {
        Format::Human => Box::new(HumanReporter {
            color: !to_file && use_color(args.color),
            ..HumanReporter::default()
        }),
        Format::Json => Box::new(JsonReporter),
        Format::Sarif => Box::new(SarifReporter),
        Format::Github => Box::new(GithubReporter),
    };

    if let Some(path) = args.output {
        let file_error = |source| OutputError::File {
            path: path.display().to_string(),
            source,
        };
        let file = File::create(path).map_err(file_error)?;
        let mut out = BufWriter::new(file);
        reporter.write(&mut out, input).map_err(file_error)?;
        return out.flush().map_err(file_error);
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
    let failing = threshold.is_some_and(|t| report.findings.iter().any(|f| f.level >= t));
    if failing {
        ExitStatus::Failure
    } else if !report.is_complete() {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    }
}
