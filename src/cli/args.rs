//! Command-line arguments. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Finds leaked Katalo API keys, keys shipped to clients, and permissive
/// CORS on the backends that hold them.
///
/// Exit status: 0 when nothing at or above --fail-on was found, 1 when
/// something was, 2 when an error stopped or shortened the scan.
#[derive(Debug, Parser)]
#[command(name = "katscan", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (default: the current directory).
    ///
    /// A `katscan:allow [RULE,...] [-- reason]` comment, or `gitleaks:allow`
    /// or `pragma: allowlist secret`, on a finding's line or alone on the
    /// line above suppresses the finding: it is counted in the summary and
    /// listed in JSON and SARIF, but does not fail the scan.
    Scan(ScanArgs),
    /// Scan the changes staged for the next commit (the index, not the
    /// files on disk), as a pre-commit hook does.
    Staged(StagedArgs),
    /// Scan git history: every file version the given commits brought in
    /// (default: all of HEAD's history), each unique blob once. Findings
    /// name the commit that introduced them and whether the key is still at
    /// the tip. Exit status 2 when the range names no commits.
    ///
    /// Examples: `katscan history` (HEAD), `katscan history --all`,
    /// `katscan history origin/main..HEAD` (a branch's new commits).
    History(HistoryArgs),
    /// Install a git pre-commit hook that runs `katscan staged` (with
    /// --pre-push, a pre-push hook that runs `katscan history` on what is
    /// pushed).
    InstallHook(InstallHookArgs),
    /// List the rules katscan runs.
    Rules(RulesArgs),
    /// Print the documentation of one rule, e.g. `katscan explain KAT001`.
    Explain(ExplainArgs),
    /// Write a commented starter .katscan.toml.
    Init(InitArgs),
    /// List the files that ship to clients (and the server files carved out
    /// of them), with the reason: what KAT002 and KAT004 go by. Exit status
    /// 2 when some directory could not be read.
    Classify(ClassifyArgs),
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Files or directories to classify.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Also list files that are neither (a key there is KAT001).
    #[arg(long)]
    pub all: bool,

    /// Print the import path by which an entry point reaches FILE (why
    /// the module graph calls it client or server), instead of the list.
    #[arg(long, value_name = "FILE")]
    pub graph: Option<PathBuf>,

    /// Do not honour .gitignore, .ignore, .katscanignore or git excludes.
    #[arg(long)]
    pub no_ignore: bool,

    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,

    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to write .katscan.toml in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub path: PathBuf,

    /// Overwrite an existing .katscan.toml.
    #[arg(long)]
    pub force: bool,
}

/// Which .katscan.toml applies.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Use this config file (also: KATSCAN_CONFIG). Default: .katscan.toml
    /// at the scan root, else at the git top level.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Use no config file, not even one named by KATSCAN_CONFIG.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

/// How findings are reported and what fails: the same for `scan` and
/// `staged`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of the terminal. The summary still
    /// goes to stderr.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write a report in FORMAT to FILE, from the same scan
    /// (repeatable), e.g. `--report sarif=katscan.sarif`.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report_target)]
    pub report: Vec<ReportTarget>,

    /// Lowest level that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    /// Print secrets in full. Never use this where output is logged.
    #[arg(long)]
    pub no_redact: bool,

    /// Also list every skipped file and why (binary, too large, ...).
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// No progress line and no closing summary on stderr (the report,
    /// warnings and errors still print). Progress is only ever shown on a
    /// terminal, outside CI, for scans longer than a second.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan. Paths given here are always scanned,
    /// even when an ignore file would skip them, unless --force-exclude.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Apply ignore files and --exclude to the paths given on the command
    /// line too (for tools such as pre-commit that pass file lists).
    #[arg(long)]
    pub force_exclude: bool,

    /// Do not honour .gitignore, .ignore, .katscanignore or git excludes.
    #[arg(long)]
    pub no_ignore: bool,

    /// Also scan build output for clients (dist/, build/, out/,
    /// .next/static/, ...) where .gitignore would skip it: run it in CI
    /// after the build. .katscanignore and --exclude still apply.
    #[arg(long)]
    pub include_build_output: bool,

    /// Skip paths matching this gitignore-style glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip files larger than this (bytes, or with a K, M or G suffix).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Worker threads (0: one per core; at most 64, or one per core on
    /// machines with more).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Follow symbolic links inside directories.
    #[arg(long, short = 'L')]
    pub follow_symlinks: bool,

    #[command(flatten)]
    pub reporting: ReportArgs,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub baseline: BaselineArgs,
}

/// Fixed part of the ceiling on `-j`. Scanning is CPU-bound, so threads
/// beyond the cores only help while others wait on a slow disk or network
/// file system, and 64 leaves ample room for that. Above it, idle workers
/// cost more than they bring: on an empty directory with 2 cores, 64
/// threads took 0.06 s, 256 took 0.3 s, 1,000 took 16-30 s and 5,000 over
/// two minutes (the walker's workers poll each other for work).
pub const MAX_THREADS: usize = 64;

/// The worker threads a scan gets for `-j requested`: 0 stays 0 (one per
/// core, the walker decides), anything else is capped at [`MAX_THREADS`]
/// or the number of cores, whichever is larger.
pub fn capped_threads(requested: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    requested.min(MAX_THREADS.max(cores))
}

#[derive(Debug, Args)]
pub struct StagedArgs {
    #[command(flatten)]
    pub common: GitScanArgs,

    /// With --baseline: remove the stale entries of the staged files from
    /// the baseline file.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Commits to scan, as `git log` takes them: `main..HEAD` (the commits
    /// of a branch), `A...B`, a branch or tag. Default: HEAD.
    #[arg(value_name = "REVISION-RANGE")]
    pub revisions: Vec<String>,

    /// Every ref: all branches, tags and remote-tracking branches.
    #[arg(long)]
    pub all: bool,

    /// Only commits more recent than DATE (`2026-01-01`, `2 weeks ago`).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    #[command(flatten)]
    pub common: GitScanArgs,

    /// Worker threads (0: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

/// What `staged` and `history`, the scans of git's objects, share.
#[derive(Debug, Args)]
pub struct GitScanArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(flatten)]
    pub reporting: ReportArgs,

    /// Do not honour .katscanignore or .ignore. (.gitignore never applies
    /// to staged or committed files: they are, or are about to be, in the
    /// repository.)
    #[arg(long)]
    pub no_ignore: bool,

    /// Report only findings not recorded in this baseline file (written by
    /// `katscan scan --write-baseline`): an entry accepts its key at that
    /// path, staged or in any commit. Only entries of the files scanned
    /// can be stale.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Skip paths matching this gitignore-style glob, relative to the
    /// repository's top level (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip files larger than this (bytes, or with a K, M or G suffix).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_file_size: u64,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// Install (or with --uninstall remove) a pre-push hook instead: it
    /// runs `katscan history` on the commits being pushed, so a key added
    /// and removed again before the push is still refused.
    #[arg(long)]
    pub pre_push: bool,

    /// Replace an existing pre-commit hook that katscan did not write (a
    /// symbolic link is replaced, not its target) or that was edited since
    /// katscan wrote it; with --uninstall, remove katscan's hook even if it
    /// was edited.
    #[arg(long)]
    pub force: bool,

    /// Remove the hook katscan installed instead. A hook katscan did not
    /// write is never removed.
    #[arg(long)]
    pub uninstall: bool,
}

/// Accepting the findings a project already has, to fix them later.
#[derive(Debug, Args)]
#[command(next_help_heading = "Baseline")]
pub struct BaselineArgs {
    /// Report only findings not recorded in this baseline file. Its entries
    /// for files this scan read (or that were deleted), with their rule
    /// enabled, that match no finding are reported as stale (a warning; the
    /// exit status is unchanged).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,

    /// Record this scan's findings in FILE (rule, path and fingerprint; no
    /// secrets, no line numbers) and accept them. Identical findings in one
    /// file share a fingerprint, so an entry counts them: one more copy is
    /// reported.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// With --baseline: rewrite the baseline file without its stale entries.
    /// New findings are not added; record them with --write-baseline.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format for the list.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,

    /// The rules as `.katscan.toml` leaves them: custom rules added,
    /// disabled ones gone, levels overridden.
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id such as KAT001 (custom rules from .katscan.toml too).
    pub rule: String,

    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source snippets, for people (on stderr).
    Human,
    /// A versioned JSON document, for scripts (on stdout).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning (on stdout).
    Sarif,
    /// GitHub Actions workflow commands, for annotations (on stdout).
    Github,
    /// Counts by rule and the first findings, for a CI job summary (on
    /// stdout).
    Markdown,
}

/// One `--report FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub format: Format,
    pub path: PathBuf,
}

pub fn parse_report_target(value: &str) -> Result<ReportTarget, String> {
    let (format, path) = value
        .split_once('=')
        .ok_or_else(|| format!("`{value}` is not FORMAT=FILE (example: sarif=katscan.sarif)"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!("unknown format `{format}` (expected {})", names.join(", "))
    })?;
    if path.is_empty() {
        return Err(format!("`{value}` names no file"));
    }
    Ok(ReportTarget {
        format,
        path: PathBuf::from(path),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    /// Always exit 0 on findings (errors still exit 2).
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colours when stderr is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

/// Parses `1048576`, `512K`, `64M`, `1G` (binary units; `KiB`/`MB` spellings
/// accepted).
pub fn parse_size(value: &str) -> Result<u64, String> {
    let trimmed = value.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(digits_end);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{value}` is not a size (examples: 1048576, 512K, 64M, 1G)"))?;
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{value}` has an unknown unit (use K, M or G)")),
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("`{value}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("64M"), Ok(64 * 1024 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1024 * 1024 * 1024));
        assert!(parse_size("").is_err());
        assert!(parse_size("12X").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999999G").is_err());
    }

    #[test]
    fn thread_counts_are_capped() {
        let ceiling = capped_threads(usize::MAX);
        assert!(ceiling >= MAX_THREADS, "{ceiling}");
        assert_eq!(capped_threads(0), 0, "0 still means one per core");
        assert_eq!(capped_threads(4), 4);
        assert_eq!(capped_threads(MAX_THREADS), MAX_THREADS);
        assert_eq!(capped_threads(100_000), ceiling);
    }

    #[test]
    fn report_targets_parse() {
        assert_eq!(
            parse_report_target("sarif=out/k.sarif"),
            Ok(ReportTarget {
                format: Format::Sarif,
                path: PathBuf::from("out/k.sarif")
            })
        );
        // Only the first `=` separates: file names may contain one.
        assert_eq!(
            parse_report_target("MARKDOWN=a=b.md").map(|t| (t.format, t.path)),
            Ok((Format::Markdown, PathBuf::from("a=b.md")))
        );
        assert!(parse_report_target("sarif").is_err());
        assert!(parse_report_target("sarif=").is_err());
        let unknown = parse_report_target("xml=k.xml").unwrap_err();
        assert!(
            unknown.contains("human, json, sarif, github, markdown"),
            "{unknown}"
        );
    }

    #[test]
    fn arguments_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
