//! `katscan scan`: arguments and config -> walk -> suppressions and
//! baseline -> the report (and any `--report` extras) -> exit status.

use std::env;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::ValueEnum;

use katscan::baseline::Baseline;
use katscan::output::neutralise;
use katscan::postprocess::BaselineUse;
use katscan::report::{
    GithubReporter, HumanReporter, JsonReporter, MarkdownReporter, ReportInput, Reporter,
    SarifReporter, VersionControl, write_summary,
};
use katscan::walk::{self, Progress, ScanReport, WalkOptions};
use katscan::{Level, RuleSet};

use super::args::{
    BaselineArgs, ColorChoice, FailOn, Format, ReportArgs, ReportTarget, ScanArgs, capped_threads,
};
use super::session::{ConfigRoots, Session};
use super::{ExitStatus, Failure, progress, terminal};

pub fn run(args: &ScanArgs) -> Result<ExitStatus, Failure> {
    let out = &args.reporting;
    let (session, classifier) = Session::start(
        out,
        &args.config,
        ConfigRoots::Paths(&args.paths),
        &args.baseline,
    )?;
    let include_build_output = if args.include_build_output {
        classifier.rules().build_output_dirs().to_vec()
    } else {
        Vec::new()
    };
    let scanner = session.scanner(classifier);
    let mut options = WalkOptions {
        paths: args.paths.clone(),
        respect_ignore_files: !args.no_ignore,
        excludes: args.exclude.clone(),
        max_file_size: args.max_file_size,
        threads: worker_threads(args.threads),
        follow_symlinks: args.follow_symlinks,
        include_build_output,
        exclude_filter: session.exclude_filter(),
        force_exclude: args.force_exclude,
        progress: None,
        cwd: session.cwd.clone(),
    };

    let started = Instant::now();
    let display = progress::wanted(out.quiet).then(|| {
        let counters = Arc::new(Progress::default());
        options.progress = Some(Arc::clone(&counters));
        progress::Display::start(counters)
    });
    let scanned = walk::scan(&scanner, &options);
    if let Some(display) = display {
        display.stop();
    }
    let mut report = scanned.map_err(Failure::new)?;
    session.postprocess(&mut report, &args.baseline, &args.paths)?;
    let reporting = Reporting {
        args: out,
        baseline_written: args.baseline.write_baseline.is_some(),
        version_control: None,
    };
    finish(&session.rules, &report, started.elapsed(), &reporting)
}

/// `-j` capped at what can help; a note on stderr when it was lowered.
fn worker_threads(requested: usize) -> usize {
    let threads = capped_threads(requested);
    if threads < requested {
        terminal::say!(
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
    /// The repository and revision a history scan read, for SARIF.
    pub version_control: Option<&'a VersionControl>,
}

/// Writes the report and the summary; returns the exit status the
/// findings imply.
pub fn finish(
    rules: &RuleSet,
    report: &ScanReport,
    elapsed: Duration,
    reporting: &Reporting<'_>,
) -> Result<ExitStatus, Failure> {
    let input = ReportInput {
        rules,
        report,
        elapsed,
        version_control: reporting.version_control,
    };
    print_skipped(report, reporting.args.verbose);
    print_baseline(report, reporting.baseline_written);
    write_report(reporting.args, &input)
        .and_then(|()| write_extra_reports(&reporting.args.report, &input))
        .map_err(Failure::new)?;
    // The summary is for the person at the terminal; a failure to print it
    // must not change what the report and exit status say.
    if !reporting.args.quiet {
        let mut stderr = terminal::stderr(false);
        let _ = write_summary(&mut stderr, &input).and_then(|()| stderr.finish());
    }
    Ok(status(report, reporting.args.fail_on))
}

/// What `--baseline`, `--write-baseline` and `--update-baseline` ask of
/// the baseline (`loaded` is the file `--baseline` names, already read).
pub fn baseline_use<'a>(args: &'a BaselineArgs, loaded: Option<&'a Baseline>) -> BaselineUse<'a> {
    match (&args.write_baseline, loaded, &args.baseline) {
        (Some(file), _, _) => BaselineUse::Write { file },
        (None, Some(baseline), Some(file)) => BaselineUse::Apply {
            baseline,
            file,
            prune: args.update_baseline,
        },
        _ => BaselineUse::None,
    }
}

/// What happened to the baseline file; stale entries get a warning each,
/// so the person sees which findings went away (they never change the exit
/// status).
fn print_baseline(report: &ScanReport, written: bool) {
    let Some(baseline) = &report.baseline else {
        return;
    };
    let mut stderr = terminal::stderr(false);
    if written {
        let _ = writeln!(
            stderr,
            "katscan: recorded {} in baseline {}",
            match baseline.matched {
                1 => "1 finding".to_string(),
                n => format!("{n} findings"),
            },
            neutralise(&baseline.file)
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
            neutralise(&baseline.file),
            neutralise(&entry.rule_id),
            neutralise(&entry.path),
            neutralise(&entry.fingerprint)
        );
    }
    if !baseline.stale.is_empty() && !baseline.pruned {
        let _ = writeln!(
            stderr,
            "katscan: prune stale entries with --baseline {} --update-baseline",
            neutralise(&baseline.file)
        );
    }
    let _ = stderr.finish();
}

/// Unreadable files are always reported (the scan is incomplete); expected
/// skips such as binaries only with `--verbose`.
fn print_skipped(report: &ScanReport, verbose: bool) {
    let mut stderr = terminal::stderr(false);
    for skipped in &report.skipped {
        if skipped.reason.is_error() {
            let _ = writeln!(
                stderr,
                "katscan: warning: {}: could not be read: {}",
                neutralise(&skipped.path),
                neutralise(&skipped.detail)
            );
        } else if verbose {
            let _ = writeln!(
                stderr,
                "katscan: skipped {}: {} ({})",
                neutralise(&skipped.path),
                skipped.reason,
                neutralise(&skipped.detail)
            );
        }
    }
    let _ = stderr.finish();
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
    let color = !to_file && use_color(args.color);
    let reporter = reporter_for(args.format, color);

    if let Some(path) = &args.output {
        return write_to_file(reporter.as_ref(), args.format, path, input);
    }

    let written = if args.format == Format::Human {
        let mut out = terminal::stderr(color);
        reporter.write(&mut out, input).and_then(|()| out.finish())
    } else {
        let mut out = terminal::stdout(args.format == Format::Github);
        reporter.write(&mut out, input).and_then(|()| out.finish())
    };
    match written {
        // A closed pipe (`katscan scan -f json | head`) is the reader's choice.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(OutputError::Stream),
    }
}

/// Refuses, before anything is scanned, two of `-o`, `--report` and the
/// baseline files naming one file: each would be written over the other
/// (or over the baseline just read) without a word. Files that are not
/// regular files (`/dev/stdout`, a FIFO) can take several reports.
pub fn reject_shared_files(
    reporting: &ReportArgs,
    baseline_files: &[(&str, Option<&Path>)],
) -> Result<(), String> {
    let mut named: Vec<(String, &Path)> = Vec::new();
    if let Some(path) = &reporting.output {
        named.push((format!("--output {}", path.display()), path));
    }
    for target in &reporting.report {
        let format = target
            .format
            .to_possible_value()
            .map_or_else(String::new, |v| v.get_name().to_string());
        named.push((
            format!("--report {format}={}", target.path.display()),
            &target.path,
        ));
    }
    for (flag, path) in baseline_files {
        if let Some(path) = path {
            named.push((format!("{flag} {}", path.display()), path));
        }
    }
    let mut seen: Vec<(PathBuf, &str)> = Vec::new();
    for (shown, path) in &named {
        let Some(identity) = file_identity(path) else {
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(other, _)| *other == identity) {
            return Err(format!(
                "`{first}` and `{shown}` name the same file; give each its own file"
            ));
        }
        seen.push((identity, shown));
    }
    Ok(())
}

/// What two spellings of one file (`out.json`, `./out.json`, `dir/../out.json`,
/// a link to it) have in common: the canonical path of the file, or of its
/// directory when the file does not exist yet; `None` when it exists and is
/// not a regular file.
fn file_identity(path: &Path) -> Option<PathBuf> {
    match path.metadata() {
        Ok(metadata) if !metadata.is_file() => return None,
        Ok(_) => {
            if let Ok(canonical) = path.canonicalize() {
                return Some(canonical);
            }
        }
        Err(_) => {}
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let in_canonical_dir = absolute
        .parent()
        .zip(absolute.file_name())
        .and_then(|(dir, name)| Some(dir.canonicalize().ok()?.join(name)));
    Some(in_canonical_dir.unwrap_or(absolute))
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
            target.format,
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
    format: Format,
    path: &Path,
    input: &ReportInput<'_>,
) -> Result<(), OutputError> {
    let file_error = |source| OutputError::File {
        path: path.display().to_string(),
        source,
    };
    let mut out = terminal::file(path, format == Format::Github).map_err(file_error)?;
    reporter.write(&mut out, input).map_err(file_error)?;
    out.finish().map_err(file_error)
}

pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            terminal::stderr_is_terminal() && env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
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
