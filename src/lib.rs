//! katscan: a secret-scanning linter for Katalo API keys.
//!
//! The pipeline, one module per stage: a source of blobs ([`walk`] for the
//! work tree, [`staged`] for git's index) enumerates them and feeds each
//! to [`source`]'s one per-blob step, which reads it capped, names it
//! ([`paths`]), lets [`decode`] undo byte order marks, sets binary blobs
//! aside and records results and skips in one report; [`scanner`] runs the
//! [`rules`]' detectors over each buffer, gated by the keyword [`prefilter`],
//! skipping matches in [`comments`] where a detector asks, and running
//! client-scoped detectors only where the [`client`] classifier says a file
//! ships to clients (judged by the files around it, read through a
//! [`tree`]: the disk, or the index or commit the blob comes from);
//! matches become
//! redacted [`finding`]s with [`location`]s and [`snippet`]s; a
//! [`report`]er writes them. The library never prints and never exits: the
//! `katscan` binary owns the terminal and the exit code. [`config`] reads
//! `.katscan.toml` and adjusts the rules, walk and findings to it.
//!
//! [`staged`] reads the index's blobs through [`git`] on one thread and
//! scans them on many. Paths not reached by a walk (staged files, paths named with
//! `--force-exclude`) are checked against ignore files by [`exclude`].
//! Findings can be suppressed in the source ([`suppress`]), by the
//! config's `[allow]` list or by a [`baseline`] file ([`postprocess`] applies
//! both after a scan); suppressed findings are kept and marked, not dropped.
//! Config, baseline and ignore files are read through [`input`] (regular
//! files only, capped, no symbolic link out of the repository).
//!
//! Whatever produced it, text leaves katscan through [`output`], which masks
//! every key-shaped token ([`redact`]) and lets no control sequence or
//! forged workflow command through.

pub mod baseline;
pub mod client;
pub mod comments;
pub mod config;
pub mod decode;
pub mod encoded;
pub mod examples;
pub mod exclude;
pub mod finding;
pub mod git;
pub mod history;
pub mod input;
pub mod location;
pub mod output;
pub mod paths;
pub mod postprocess;
pub mod prefilter;
#[cfg(test)]
mod promises;
pub mod redact;
pub mod report;
pub mod rules;
pub mod scanner;
pub mod snippet;
pub mod source;
pub mod staged;
pub mod suppress;
pub mod tree;
pub mod walk;

pub use finding::{Finding, Suppression, SuppressionKind};
pub use rules::{Level, Rule, RuleSet};
pub use scanner::Scanner;
pub use source::ScanReport;
pub use walk::WalkOptions;
