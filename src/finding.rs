//! What a scan reports: one [`Finding`] per rule match, already redacted.
//!
//! Redaction happens when a finding is built, so reporters never hold a
//! secret they could leak; only `--no-redact` keeps it.

use std::cmp::Ordering;

use sha2::{Digest, Sha256};

use crate::location::Position;
use crate::rules::Level;
use crate::snippet::Snippet;

/// One problem at one place.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub level: Level,
    /// Relative to the current directory as given, `/`-separated.
    pub path: String,
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

    /// Deterministic output order: path, line, column, rule.
    pub fn order(&self, other: &Finding) -> Ordering {
        (&self.path, self.start, &self.rule_id, self.end).cmp(&(
            &other.path,
            other.start,
            &other.rule_id,
            other.end,
        ))
    }
}

/// Number of hex digits kept from the SHA-256 (128 bits: collision-free in
/// practice, short enough to read in a baseline file).
const FINGERPRINT_HEX_LEN: usize = 32;

/// Fingerprint of a finding: rule, path and the full matched text (with the
/// secret, so two different keys on the same line never collide). Line
/// numbers are left out so the fingerprint survives edits around it.
pub fn fingerprint(rule_id: &str, path: &str, matched: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
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
}
