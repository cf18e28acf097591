//! What a scan reports: one [`Finding`] per rule match, already redacted.
//!
//! Redaction happens when a finding is built, so reporters never hold a
//! secret they could leak; only `--no-redact` keeps it.

use std::cmp::Ordering;
use std::ops::Range;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::git::Commit;
use crate::location::Position;
use crate::rules::Level;
use crate::snippet::Snippet;

/// One problem at one place.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub level: Level,
    /// Relative to the current directory as given, `/`-separated. A name
    /// that is not UTF-8 shows here with replacement characters, and two
    /// such names can show the same: `raw_path` tells them apart.
    pub path: String,
    /// The bytes of `path` as the file system (or git) names the file, when
    /// they are not UTF-8; `None` when `path` is exact. With `path`, what
    /// identifies the file: see [`Finding::path_identity`].
    pub raw_path: Option<Vec<u8>>,
    pub start: Position,
    /// Exclusive: the position just after the last matched character.
    pub end: Position,
    /// The key's public id, which names the key to revoke.
    pub key_id: Option<String>,
    /// The matched text; its secret part is masked unless `--no-redact`.
    pub matched: String,
    pub message: String,
    pub help: String,
    /// Stable across line moves: hash of rule, path and matched text.
    pub fingerprint: String,
    pub snippet: Snippet,
    /// Why this finding is not reported, when it is not: it is still listed
    /// in machine-readable output, but does not count toward the exit status.
    pub suppression: Option<Suppression>,
    /// Byte offsets of the match in the scanned text, for recomputing the
    /// fingerprint when the file turns out to have a non-UTF-8 name.
    pub span: Range<usize>,
    /// Where in git history the finding entered, for a finding of a
    /// history scan (`path` is then the path in that commit); `None` for a
    /// file or index scan.
    pub history: Option<Box<HistoryOrigin>>,
}

/// The commit that brought a finding into the history scanned, and what
/// became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryOrigin {
    /// The oldest commit of the range (parents first) whose tree holds the
    /// matched text at this path.
    pub introduced: Arc<Commit>,
    /// Whether the same match (same rule, path and text) is at this path
    /// in a tip of the range: still in the code, not only in history.
    pub still_present: bool,
    /// When it is not: the first later commit (parents first) that changed
    /// the path to a version without it, or deleted the path. `None` when
    /// no commit in the range did (the range's tips are on other lines).
    pub removed_in: Option<Arc<Commit>>,
}

impl HistoryOrigin {
    /// "introduced in 3f2a9c1 by A on 2026-11-03, removed in 9b0e44d;
    /// still in history", as the human report says it.
    pub fn describe(&self) -> String {
        let day = self
            .introduced
            .date
            .get(..10)
            .unwrap_or(&self.introduced.date);
        let mut text = format!(
            "introduced in {} by {} on {day}",
            self.introduced.short_id, self.introduced.author
        );
        if self.still_present {
            text.push_str("; still present at the tip");
        } else {
            if let Some(removed) = &self.removed_in {
                text.push_str(&format!(", removed in {}", removed.short_id));
            } else {
                text.push_str(", not at the tip");
            }
            text.push_str("; still in history");
        }
        text
    }
}

/// Where a suppression was recorded, as SARIF distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuppressionKind {
    /// A directive in the scanned file (`katscan:allow`, `gitleaks:allow`,
    /// `pragma: allowlist secret`).
    InSource,
    /// Outside the file: a baseline, or allowed fingerprints and paths in
    /// configuration.
    External,
}

/// A finding that was accepted rather than fixed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// The reason given with the directive, or where the suppression comes
    /// from (`in baseline .katscan-baseline.toml`); already redacted.
    pub justification: Option<String>,
}

impl Suppression {
    pub fn in_source(justification: Option<String>) -> Self {
        Suppression {
            kind: SuppressionKind::InSource,
            justification,
        }
    }

    pub fn external(justification: impl Into<String>) -> Self {
        Suppression {
            kind: SuppressionKind::External,
            justification: Some(justification.into()),
        }
    }
}

impl Finding {
    /// Whether the finding is reported (counts toward the exit status and
    /// shows in human and GitHub output).
    pub fn is_reported(&self) -> bool {
        self.suppression.is_none()
    }

    /// The file's identity: its raw name's bytes, which are `path`'s for a
    /// UTF-8 name. Two files whose names only differ in bytes that are not
    /// UTF-8 (`a\xff.env`, `a\xfe.env`) both show as `a\u{FFFD}.env` but
    /// are two files, each with its own findings.
    pub fn path_identity(&self) -> &[u8] {
        self.raw_path.as_deref().unwrap_or(self.path.as_bytes())
    }

    /// Records that the file's name is `raw_path` (not UTF-8; `path` shows
    /// it lossily) and fingerprints the finding with it. `scanned` is the
    /// text the finding was found in.
    pub(crate) fn set_raw_path(&mut self, raw_path: Vec<u8>, scanned: &[u8]) {
        let matched = scanned.get(self.span.clone()).unwrap_or_default();
        self.fingerprint = fingerprint_bytes(&self.rule_id, &raw_path, matched);
        self.raw_path = Some(raw_path);
    }

    /// Deterministic output order: path, line, column, rule, then the raw
    /// name (so the same finding reached twice sorts next to itself even
    /// among files whose names show the same).
    pub fn order(&self, other: &Finding) -> Ordering {
        (&self.path, self.start, &self.rule_id, self.end)
            .cmp(&(&other.path, other.start, &other.rule_id, other.end))
            .then_with(|| self.path_identity().cmp(other.path_identity()))
    }

    /// Whether two findings are the same finding (the same file reached
    /// twice by overlapping arguments): same file by its raw name, same
    /// place, same rule.
    pub fn is_same(&self, other: &Finding) -> bool {
        (self.path_identity(), self.start, &self.rule_id, self.end)
            == (
                other.path_identity(),
                other.start,
                &other.rule_id,
                other.end,
            )
    }
}

/// Number of hex digits kept from the SHA-256 (128 bits: collision-free in
/// practice, short enough to read in a baseline file).
const FINGERPRINT_HEX_LEN: usize = 32;

/// Fingerprint of a finding: rule, path and the full matched text (with the
/// secret, so two different keys on the same line never collide). Line
/// numbers are left out so the fingerprint survives edits around it.
pub fn fingerprint(rule_id: &str, path: &str, matched: &[u8]) -> String {
    fingerprint_bytes(rule_id, path.as_bytes(), matched)
}

/// [`fingerprint`] of a file named by raw bytes (a name that is not UTF-8):
/// for a UTF-8 name, the same value.
pub fn fingerprint_bytes(rule_id: &str, path: &[u8], matched: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0]);
    hasher.update(path);
    hasher.update([0]);
    hasher.update(matched);
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(FINGERPRINT_HEX_LEN);
    for byte in digest.iter().take(FINGERPRINT_HEX_LEN / 2) {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// Mask for one secret byte. Same length as the secret so columns in the
/// rendered snippet still line up with the file.
pub const MASK: char = '*';

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_rule_path_and_text_only() {
        let a = fingerprint("KAT001", "src/a.js", b"kat_live_abcd.secret");
        assert_eq!(a.len(), FINGERPRINT_HEX_LEN);
        assert_eq!(
            a,
            fingerprint("KAT001", "src/a.js", b"kat_live_abcd.secret")
        );
        assert_ne!(
            a,
            fingerprint("KAT002", "src/a.js", b"kat_live_abcd.secret")
        );
        assert_ne!(
            a,
            fingerprint("KAT001", "src/b.js", b"kat_live_abcd.secret")
        );
        assert_ne!(
            a,
            fingerprint("KAT001", "src/a.js", b"kat_live_abcd.secreT")
        );
        // Field separators keep ("ab", "c") and ("a", "bc") apart.
        assert_ne!(fingerprint("K", "ab", b"c"), fingerprint("K", "a", b"bc"));
    }

    #[test]
    fn raw_names_identify_files_and_their_fingerprints() {
        // A UTF-8 name fingerprints as before.
        assert_eq!(
            fingerprint_bytes("KAT001", b"src/a.js", b"m"),
            fingerprint("KAT001", "src/a.js", b"m")
        );
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let key = format!(
            "kat_live_{}.{}",
            "8jzPde0IgxLd6", "Bel31iEl2hpChYgCfrL1spNxnyVmihA-2O76"
        );
        let text = format!("K={key}\n");
        let found =
            crate::scanner::Scanner::new(&rules, true).scan("a\u{FFFD}.env", text.as_bytes());
        let plain = found[0].clone();
        assert_eq!(plain.path_identity(), "a\u{FFFD}.env".as_bytes());
        let mut ff = plain.clone();
        ff.set_raw_path(b"a\xff.env".to_vec(), text.as_bytes());
        let mut fe = plain.clone();
        fe.set_raw_path(b"a\xfe.env".to_vec(), text.as_bytes());
        assert_eq!(ff.path, fe.path);
        assert!(!ff.is_same(&fe) && ff.is_same(&ff.clone()));
        assert_ne!(ff.order(&fe), Ordering::Equal);
        // The fingerprint hashes the raw name and the unmasked match.
        assert_eq!(
            ff.fingerprint,
            fingerprint_bytes("KAT001", b"a\xff.env", key.as_bytes())
        );
        assert_ne!(ff.fingerprint, fe.fingerprint);
    }
}
