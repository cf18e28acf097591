//! `--format markdown`: a short Markdown report for a CI job summary
//! (GitHub's `$GITHUB_STEP_SUMMARY`), a pull-request comment or a ticket.
//!
//! It counts findings by rule and lists the first [`MAX_LISTED`] of them;
//! the complete list belongs in SARIF or JSON. Every piece of scanned text
//! (paths, matches) is written as character references for Markdown's
//! punctuation, so a file name cannot inject links, tables or HTML.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::summary::{human_bytes, plural};
use super::{ReportInput, Reporter};
use crate::finding::Finding;
use crate::redact::mask_secrets;
use crate::rules::{Level, Rule};

/// How many findings the table lists. A job summary is read, not searched,
/// and GitHub caps one step's summary at 1 MiB.
pub const MAX_LISTED: usize = 50;

/// Longest match shown in a table cell, in characters.
const MAX_MATCH_CHARS: usize = 80;

#[derive(Debug, Default, Clone, Copy)]
pub struct MarkdownReporter;

impl Reporter for MarkdownReporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
        out.write_all(render(input).as_bytes())
    }
}

fn render(input: &ReportInput<'_>) -> String {
    let report = input.report;
    // Suppressed findings were accepted on purpose: counted, not listed.
    let findings: Vec<&Finding> = report.reported().collect();
    let mut md = String::new();

    let count = |level: Level| findings.iter().filter(|f| f.level == level).count();
    if findings.is_empty() {
        md.push_str("## katscan: no findings\n\n");
    } else {
        let _ = writeln!(
            md,
            "## katscan: {} ({}, {}, {})\n",
            plural(findings.len(), "finding"),
            plural(count(Level::Error), "error"),
            plural(count(Level::Warning), "warning"),
            plural(count(Level::Note), "note"),
        );
    }
    let _ = write!(
        md,
        "Scanned {} ({}) in {:.2}s",
        plural(report.files_scanned as usize, "file"),
        human_bytes(report.bytes_scanned),
        input.elapsed.as_secs_f64(),
    );
    let skipped = report.skipped_by_reason();
    if !skipped.is_empty() {
        let parts: Vec<String> = skipped
            .iter()
            .map(|(reason, count)| format!("{count} {reason}"))
            .collect();
        let _ = write!(
            md,
            "; skipped {}: {}",
            plural(report.skipped.len(), "path"),
            parts.join(", ")
        );
    }
    let suppressed = report.suppressed_count();
    if suppressed > 0 {
        let _ = write!(md, "; {suppressed} suppressed");
    }
    md.push_str(".\n");
    if !report.is_complete() {
        md.push_str(
            "\n> [!WARNING]\n> The scan is incomplete: some files could not be read \
             (see the job log).\n",
        );
    }
    if findings.is_empty() {
        return md;
    }

    md.push_str(
        "\n### Findings by rule\n\n| rule | name | level | findings |\n|---|---|---|---:|\n",
    );
    let mut by_rule: BTreeMap<&str, (&Finding, usize)> = BTreeMap::new();
    for finding in &findings {
        by_rule.entry(&finding.rule_id).or_insert((finding, 0)).1 += 1;
    }
    let mut rows: Vec<_> = by_rule.into_values().collect();
    // Most serious first, then the most frequent, then by id.
    rows.sort_by(|(a, a_count), (b, b_count)| {
        (b.level, b_count, &a.rule_id).cmp(&(a.level, a_count, &b.rule_id))
    });
    for (finding, rule_count) in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            inline(&finding.rule_id),
            inline(&finding.rule_name),
            finding.level,
            rule_count
        );
    }

    let listed = findings.len().min(MAX_LISTED);
    if listed < findings.len() {
        let _ = writeln!(
            md,
            "\n### Findings (first {listed} of {})\n",
            findings.len()
        );
    } else {
        md.push_str("\n### Findings\n\n");
    }
    md.push_str("| level | rule | location | match |\n|---|---|---|---|\n");
    for finding in &findings[..listed] {
        let _ = writeln!(
            md,
            "| {} | {} {} | {}:{}:{} | <code>{}</code> |",
            finding.level,
            inline(&finding.rule_id),
            inline(&finding.rule_name),
            inline(&finding.path),
            finding.start.line,
            finding.start.column,
            inline(&shorten(&finding.matched, MAX_MATCH_CHARS)),
        );
    }
    if listed < findings.len() {
        let _ = writeln!(
            md,
            "\n{} more not listed here: the SARIF or JSON report has every finding.",
            findings.len() - listed
        );
    }

    md.push_str("\n### What to do\n\n");
    for (finding, _) in &rows {
        let key_ids = key_ids_of(&findings, &finding.rule_id);
        let help = match input.rules.get(&finding.rule_id) {
            Some(rule) if key_ids.is_empty() => rule.help.clone(),
            Some(rule) => Rule::render(&rule.help, Some(&key_ids.join("`, `")), None),
            None => finding.help.clone(),
        };
        let _ = writeln!(
            md,
            "- **{}** {}: {} (`katscan explain {}`)",
            inline(&finding.rule_id),
            inline(&finding.rule_name),
            one_line(&help),
            inline(&finding.rule_id),
        );
    }
    md
}

/// Text from a scanned file, safe inside a table cell or list item: ASCII
/// punctuation that Markdown or HTML could read as syntax becomes a numeric
/// character reference, which renders as the character itself; control
/// characters (line breaks would end a table row) become spaces.
///
/// References hide a key's shape (`kat&#95;live&#95;…`) from the output
/// gate's masker, so secrets are masked here first, whatever the redaction
/// setting: a summary never needs one.
fn inline(text: &str) -> String {
    let text = mask_secrets(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => out.push(' '),
            c if c.is_ascii_alphanumeric() || " .,/:;-=()".contains(c) => out.push(c),
            c if c.is_ascii_punctuation() => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The distinct public ids of the keys a rule found, in order of first
/// appearance: the keys to revoke. Ids are `[A-Za-z0-9]`, safe in Markdown.
fn key_ids_of<'f>(findings: &[&'f Finding], rule_id: &str) -> Vec<&'f str> {
    let mut ids: Vec<&str> = Vec::new();
    for id in findings
        .iter()
        .filter(|f| f.rule_id == rule_id)
        .filter_map(|f| f.key_id.as_deref())
    {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Rule help is authored Markdown-like text (built-in rules or the user's
/// own config), kept as written but on one line so the list item holds.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max_chars - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanned_text_cannot_become_markdown() {
        assert_eq!(inline("src/app.js"), "src/app.js");
        assert_eq!(inline("a|b"), "a&#124;b");
        assert_eq!(
            inline("[x](https://e.example)"),
            "&#91;x&#93;(https://e.example)"
        );
        assert_eq!(inline("<img src=x>"), "&#60;img src=x&#62;");
        assert_eq!(inline("kat_live_ab.**"), "kat&#95;live&#95;ab.&#42;&#42;");
        assert_eq!(inline("a\nb\rc\td"), "a b c d");
        assert_eq!(inline("`x` &amp;"), "&#96;x&#96; &#38;amp;");
        assert_eq!(inline("café ✓"), "café ✓");
    }

    #[test]
    fn long_matches_are_cut_at_a_character_boundary() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "ab…");
        assert_eq!(shorten("ééééé", 4), "ééé…");
    }

    #[test]
    fn help_is_kept_on_one_line() {
        assert_eq!(
            one_line("Revoke the key\nin  settings.\n"),
            "Revoke the key in settings."
        );
    }
}
