//! What happens to a scan's findings before they are reported: the
//! config's `[allow]` list and the baseline. Both live in the library, so a
//! caller of the library gets the findings the CLI reports.

use std::path::{Path, PathBuf};

use crate::baseline::{Baseline, BaselineError, Scope};
use crate::config::Config;
use crate::finding::Suppression;
use crate::paths::display_path;
use crate::rules::RuleSet;
use crate::source::ScanReport;

/// What to do with a baseline file.
#[derive(Debug, Clone, Copy)]
pub enum BaselineUse<'a> {
    /// No baseline.
    None,
    /// Accept the findings `baseline` (read from `file`) lists; with
    /// `prune`, rewrite `file` without its stale entries.
    Apply {
        baseline: &'a Baseline,
        file: &'a Path,
        prune: bool,
    },
    /// Record this scan's findings in `file`, and accept them.
    Write { file: &'a Path },
}

/// How a scan was made, as far as judging a baseline's stale entries goes.
#[derive(Debug, Clone, Copy)]
pub struct ScanScope<'a> {
    /// The rules that ran: entries of other rules are not judged.
    pub rules: &'a RuleSet,
    /// The paths a walk was given (none for a staged scan): a file gone
    /// from below them makes its entries stale.
    pub walked_roots: &'a [PathBuf],
    /// The directory reported paths are relative to.
    pub cwd: &'a Path,
}

/// Marks the findings the config's `[allow]` lists as suppressed, then
/// applies (or writes) the baseline. Suppressed findings are kept, marked:
/// they are counted and listed in JSON and SARIF, never dropped.
pub fn apply(
    report: &mut ScanReport,
    config: Option<&Config>,
    baseline: BaselineUse<'_>,
    scope: ScanScope<'_>,
) -> Result<(), BaselineError> {
    if let Some(config) = config {
        suppress_allowed(report, config);
    }
    apply_baseline(report, baseline, scope)
}

/// The config's `[allow]` fingerprints and paths, as external suppressions
/// with the reason. In-source suppressions come first.
fn suppress_allowed(report: &mut ScanReport, config: &Config) {
    for finding in &mut report.findings {
        if finding.suppression.is_none()
            && let Some(reason) = config.allowed(finding)
        {
            finding.suppression = Some(Suppression::external(reason));
        }
    }
}

/// `Write` records the findings and accepts them; `Apply` accepts those the
/// baseline lists and finds its stale entries among what the scan judged
/// (see [`Scope`]), which `prune` removes from the file.
fn apply_baseline(
    report: &mut ScanReport,
    baseline: BaselineUse<'_>,
    scan: ScanScope<'_>,
) -> Result<(), BaselineError> {
    let written;
    let (baseline, file, prune) = match baseline {
        BaselineUse::None => return Ok(()),
        BaselineUse::Write { file } => {
            written = Baseline::from_findings(&report.findings);
            written.save(file)?;
            (&written, file, false)
        }
        BaselineUse::Apply {
            baseline,
            file,
            prune,
        } => (baseline, file, prune),
    };
    let scope = Scope::new(
        report.scanned_files.iter().map(String::as_str),
        scan.rules.rules().iter().map(|rule| rule.id.as_str()),
    )
    .with_walked_roots(
        scan.cwd,
        scan.walked_roots.iter().map(|root| display_path(root)),
    );
    let mut outcome = baseline.apply(&mut report.findings, &file.display().to_string(), &scope);
    if prune && !outcome.stale.is_empty() {
        baseline.pruned(&outcome).save(file)?;
        outcome.pruned = true;
    }
    report.baseline = Some(outcome);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    /// A library caller gets what the CLI reports: config `[allow]` and the
    /// baseline suppress (not drop) findings, and stale entries are found.
    #[test]
    fn allow_and_baseline_suppress_findings_for_library_callers() {
        let rules = RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, true);
        // Assembled at run time: this file holds no key literal.
        let key = |id: &str| format!("kat_live_{id}.Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya");
        let mut report = ScanReport::default();
        for (path, id) in [("docs/example.env", "Ab3dE9zq"), ("app.env", "T0rtUr3x")] {
            report
                .findings
                .extend(scanner.scan(path, format!("K={}\n", key(id)).as_bytes()));
            report.scanned_files.push(path.to_string());
        }
        let config = Config::parse(
            Path::new(".katscan.toml"),
            "[allow]\npaths = [\"docs/\"]\n".to_string(),
        )
        .unwrap();
        let accepted =
            Baseline::from_findings(report.findings.iter().filter(|f| f.path == "app.env"));
        let cwd = std::env::temp_dir();
        let scope = ScanScope {
            rules: &rules,
            walked_roots: &[],
            cwd: &cwd,
        };
        let baseline = BaselineUse::Apply {
            baseline: &accepted,
            file: Path::new("baseline.toml"),
            prune: false,
        };
        apply(&mut report, Some(&config), baseline, scope).unwrap();
        assert_eq!(report.findings.len(), 2, "suppressed, not dropped");
        assert_eq!(report.reported().count(), 0);
        let outcome = report.baseline.as_ref().unwrap();
        assert_eq!((outcome.matched, outcome.stale_count()), (1, 0));
    }
}
