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
    Scan(ScanArgs),
    /// Scan the changes staged for the next commit (the index, not the
    /// files on disk), as a pre-commit hook does.
    Staged(StagedArgs),
    /// Install a git pre-commit hook that runs `katscan staged`.
    InstallHook(InstallHookArgs),
    /// List the rules katscan runs.
    Rules(RulesArgs),
    /// Print the documentation of one rule, e.g. `katscan explain KAT001`.
    Explain {
        /// A rule id such as KAT001.
        rule: String,
    },
    /// Write a commented starter .katscan.toml.
    Init(InitArgs),
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

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of the terminal. The summary still
    /// goes to stderr.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Lowest level that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    /// Print secrets in full. Never use this where output is logged.
    #[arg(long)]
    pub no_redact: bool,

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

    /// Worker threads (0: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Follow symbolic links inside directories.
    #[arg(long, short = 'L')]
    pub follow_symlinks: bool,

    /// Also list every skipped file and why (binary, too large, ...).
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct StagedArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of the terminal. The summary still
    /// goes to stderr.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Lowest level that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    /// Print secrets in full. Never use this where output is logged.
    #[arg(long)]
    pub no_redact: bool,

    /// Do not honour .katscanignore or .ignore. (.gitignore never applies
    /// to staged files: they are about to be committed.)
    #[arg(long)]
    pub no_ignore: bool,

    /// Skip staged paths matching this gitignore-style glob, relative to
    /// the repository's top level (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip files larger than this (bytes, or with a K, M or G suffix).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Also list every skipped file and why (binary, too large, ...).
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// Replace an existing pre-commit hook that katscan did not write.
    #[arg(long)]
    pub force: bool,

    /// Remove the hook katscan installed instead.
    #[arg(long, conflicts_with = "force")]
    pub uninstall: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format for the list.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
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
    fn arguments_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
