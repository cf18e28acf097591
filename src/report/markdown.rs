//! `--format markdown`: a short Markdown report for a CI job summary
//! (GitHub's `$GITHUB_STEP_SUMMARY`), a pull-request comment or a ticket.
//!
//! It counts findings by rule and lists the first [`MAX_LISTED`] of them;
//! the complete list belongs in SARIF or JSON. Every piece of scanned text
//! (paths, matches) is written as character references for Markdown's
//! punctuation, so a file name cannot inject links, tables or HTML.
//!
//! GitHub refuses a step summary over 1 MiB, so the report stays under
//! [`MAX_BYTES`] whatever was found: each section has a share of it, and
//! says how many of its rows did not fit. Work is linear in the findings
//! (naming the keys of 100,000 findings took 126 s when each key id was
//! looked up in a list).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use super::summary::{Counts, human_bytes, plural, skipped_text};
use super::{ReportInput, Reporter};
use crate::finding::Finding;
use crate::redact::mask_secrets;
use crate::rules::Rule;

/// How many findings the table lists. A job summary is read, not searched.
pub const MAX_LISTED: usize = 50;

/// The most bytes the report takes, with room to spare under GitHub's
/// 1 MiB limit for a step summary (a few "N more" lines may follow).
pub const MAX_BYTES: usize = 900 * 1024;

/// Where each section must end, in bytes from the start of the report:
/// the table of rules may take a quarter, the list of findings up to
/// five eighths, and "What to do" the rest. A huge section cannot crowd
/// out the ones after it (the keys to revoke are in the last).
const RULES_END: usize = MAX_BYTES / 4;
const FINDINGS_END: usize = MAX_BYTES * 5 / 8;

/// Key ids named per rule in "What to do"; the JSON or SARIF report has
/// every one.
pub const MAX_KEY_IDS: usize = 1000;

/// Longest match shown in a table cell, in characters.
const MAX_MATCH_CHARS: usize = 80;

#[derive(Debug, Default, Clone, Copy)]
pub struct MarkdownReporter;

impl Reporter for MarkdownReporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
        out.write_all(render(input).as_bytes())
    }
}

/// One rule's findings, gathered in one pass over them.
struct RuleRow<'f> {
    /// The first finding: the rule's id, name and level, and the help to
    /// fall back on.
    first: &'f Finding,
    count: usize,
    /// The distinct public ids of the keys the rule found, in order of
    /// first appearance (the keys to revoke), at most [`MAX_KEY_IDS`].
    key_ids: Vec<&'f str>,
    seen_key_ids: HashSet<&'f str>,
}

fn render(input: &ReportInput<'_>) -> String {
    let counts = Counts::of(input.report);
    let mut md = String::new();
    write_heading(&mut md, input, &counts);
    if counts.reported() == 0 {
        return md;
    }
    let rows = rule_rows(input);
    write_rule_table(&mut md, &rows);
    write_findings(&mut md, input, counts.reported());
    write_what_to_do(&mut md, input, &rows);
    md
}

fn write_heading(md: &mut String, input: &ReportInput<'_>, counts: &Counts) {
    let report = input.report;
    if counts.reported() == 0 {
        md.push_str("## katscan: no findings\n\n");
    } else {
        let _ = writeln!(
            md,
            "## katscan: {} ({}, {}, {})\n",
            plural(counts.reported(), "finding"),
            plural(counts.errors, "error"),
            plural(counts.warnings, "warning"),
            plural(counts.notes, "note"),
        );
    }
    let _ = write!(
        md,
        "Scanned {} ({}) in {:.2}s",
        plural(report.files_scanned as usize, "file"),
        human_bytes(report.bytes_scanned),
        input.elapsed.as_secs_f64(),
    );
    if let Some(skipped) = skipped_text(report) {
        let _ = write!(md, "; {skipped}");
    }
    if counts.suppressed > 0 {
        let _ = write!(md, "; {} suppressed", counts.suppressed);
    }
    md.push_str(".\n");
    if !report.is_complete() {
        md.push_str(
            "\n> [!WARNING]\n> The scan is incomplete: some files could not be read \
             (see the job log).\n",
        );
    }
}

/// The reported findings by rule: most serious first, then the most
/// frequent, then by id.
fn rule_rows<'f>(input: &ReportInput<'f>) -> Vec<RuleRow<'f>> {
    let mut by_rule: BTreeMap<&str, RuleRow<'f>> = BTreeMap::new();
    for finding in input.report.reported() {
        let row = by_rule.entry(&finding.rule_id).or_insert_with(|| RuleRow {
            first: finding,
            count: 0,
            key_ids: Vec::new(),
            seen_key_ids: HashSet::new(),
        });
        row.count += 1;
        if let Some(key_id) = finding.key_id.as_deref() {
            if row.seen_key_ids.insert(key_id) && row.key_ids.len() < MAX_KEY_IDS {
                row.key_ids.push(key_id);
            }
        }
    }
    let mut rows: Vec<RuleRow<'f>> = by_rule.into_values().collect();
    rows.sort_by(|a, b| {
        (b.first.level, b.count, &a.first.rule_id).cmp(&(a.first.level, a.count, &b.first.rule_id))
    });
    rows
}

fn write_rule_table(md: &mut String, rows: &[RuleRow<'_>]) {
    md.push_str(
        "\n### Findings by rule\n\n| rule | name | level | findings |\n|---|---|---|---:|\n",
    );
    let written = push_rows(md, rows, RULES_END, |row| {
        format!(
            "| {} | {} | {} | {} |\n",
            inline(&row.first.rule_id),
            inline(&row.first.rule_name),
            row.first.level,
            row.count
        )
    });
    if written < rows.len() {
        let _ = writeln!(
            md,
            "\n{} not listed here, to keep this report under GitHub's size limit.",
            plural(rows.len() - written, "more rule")
        );
    }
}

fn write_findings(md: &mut String, input: &ReportInput<'_>, reported: usize) {
    let rows: Vec<String> = input
        .report
        .reported()
        .take(MAX_LISTED)
        .map(|finding| {
            format!(
                "| {} | {} {} | {}:{}:{}{} | <code>{}</code> |\n",
                finding.level,
                inline(&finding.rule_id),
                inline(&finding.rule_name),
                inline(&finding.path),
                finding.start.line,
                finding.start.column,
                // A history finding: the commit that introduced it.
                finding
                    .history
                    .as_ref()
                    .map_or_else(String::new, |h| format!(
                        " in {}",
                        inline(&h.introduced.short_id)
                    )),
                inline(&shorten(&finding.matched, MAX_MATCH_CHARS)),
            )
        })
        .collect();
    const TABLE_HEAD: &str = "| level | rule | location | match |\n|---|---|---|---|\n";
    // Sized first, so the heading can say how many rows follow.
    let heading_room = 64 + TABLE_HEAD.len();
    let mut budget = FINDINGS_END.saturating_sub(md.len() + heading_room);
    let listed = rows
        .iter()
        .take_while(|row| match budget.checked_sub(row.len()) {
            Some(left) => {
                budget = left;
                true
            }
            None => false,
        })
        .count();
    if listed < reported {
        let _ = writeln!(md, "\n### Findings (first {listed} of {reported})\n");
    } else {
        md.push_str("\n### Findings\n\n");
    }
    md.push_str(TABLE_HEAD);
    for row in &rows[..listed] {
        md.push_str(row);
    }
    if listed < reported {
        let _ = writeln!(
            md,
            "\n{} more not listed here: the SARIF or JSON report has every finding.",
            reported - listed
        );
    }
}

fn write_what_to_do(md: &mut String, input: &ReportInput<'_>, rows: &[RuleRow<'_>]) {
    md.push_str("\n### What to do\n\n");
    let rules: HashMap<&str, &Rule> = input
        .rules
        .rules()
        .iter()
        .map(|rule| (rule.id.as_str(), rule))
        .collect();
    let written = push_rows(md, rows, MAX_BYTES, |row| {
        let finding = row.first;
        let mut help = match rules.get(finding.rule_id.as_str()) {
            Some(rule) if row.key_ids.is_empty() => rule.help.clone(),
            Some(rule) => Rule::render(&rule.help, Some(&row.key_ids.join("`, `")), None),
            None => finding.help.clone(),
        };
        let unnamed = row.seen_key_ids.len() - row.key_ids.len();
        if unnamed > 0 {
            let keys = if unnamed == 1 { "key" } else { "keys" };
            let _ = write!(
                help,
                " ({unnamed} more {keys} not named here: the JSON or SARIF report names every key.)"
            );
        }
        format!(
            "- **{}** {}: {} (`katscan explain {}`)\n",
            inline(&finding.rule_id),
            inline(&finding.rule_name),
            one_line(&help),
            inline(&finding.rule_id),
        )
    });
    if written < rows.len() {
        let _ = writeln!(
            md,
            "\n{} not listed here, to keep this report under GitHub's size limit \
             (`katscan explain RULE` has the help of each).",
            plural(rows.len() - written, "more rule")
        );
    }
}

/// Appends `format(row)` for the rows, in order, while the report stays
/// within `end` bytes; returns how many were written.
fn push_rows<T>(md: &mut String, rows: &[T], end: usize, format: impl Fn(&T) -> String) -> usize {
    for (written, row) in rows.iter().enumerate() {
        let text = format(row);
        if md.len() + text.len() > end {
            return written;
        }
        md.push_str(&text);
    }
    rows.len()
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
    use std::time::Duration;

    use super::*;
    use crate::finding::fingerprint;
    use crate::location::Position;
    use crate::rules::{Level, RuleSet};
    use crate::snippet::Snippet;
    use crate::source::ScanReport;

    fn finding(rule_id: &str, path: &str, key_id: &str) -> Finding {
        let at = Position { line: 1, column: 3 };
        Finding {
            rule_id: rule_id.to_string(),
            rule_name: format!("name-of-{}", rule_id.to_lowercase()),
            level: Level::Error,
            path: path.to_string(),
            start: at,
            end: at,
            key_id: Some(key_id.to_string()),
            matched: format!("kat_live_{key_id}.****"),
            message: String::new(),
            help: format!("Revoke key `{key_id}`."),
            fingerprint: fingerprint(rule_id, path, key_id.as_bytes()),
            snippet: Snippet::default(),
            suppression: None,
            raw_path: None,
            history: None,
            span: 0..0,
        }
    }

    fn rendered(findings: Vec<Finding>) -> String {
        let rules = RuleSet::builtin().unwrap();
        let report = ScanReport {
            findings,
            ..ScanReport::default()
        };
        render(&ReportInput {
            rules: &rules,
            report: &report,
            elapsed: Duration::ZERO,
            version_control: None,
        })
    }

    /// 100,000 distinct keys took 126 s when each id was looked up in a
    /// list, and named them all; now the first [`MAX_KEY_IDS`] are named
    /// and the rest counted.
    #[test]
    fn many_keys_are_named_in_linear_time_up_to_a_limit() {
        let findings = (0..100_000)
            .map(|i| finding("KAT001", "keys.env", &format!("Id{i:06}x")))
            .collect();
        let md = rendered(findings);
        assert!(md.len() < MAX_BYTES, "{} bytes", md.len());
        assert!(md.contains("| KAT001 | name-of-kat001 | error | 100000 |"));
        assert!(md.contains("Revoke key `Id000000x`, `Id000001x`, "), "{md}");
        assert!(md.contains(&format!("`Id{:06}x`", MAX_KEY_IDS - 1)));
        assert!(!md.contains(&format!("`Id{MAX_KEY_IDS:06}x`")));
        assert!(
            md.contains(
                "(99000 more keys not named here: the JSON or SARIF report names every key.)"
            ),
            "{md}"
        );
        assert!(md.contains("99950 more not listed here"));
    }

    /// Thousands of rules with findings (custom rules can be that many) or
    /// very long paths would make a report GitHub refuses; each section
    /// keeps to its share and says how much it left out.
    #[test]
    fn the_report_stays_under_the_size_limit() {
        let findings: Vec<Finding> = (0..30_000)
            .map(|i| {
                let letter = |n: usize| char::from(b'A' + (n % 26) as u8);
                let rule = format!(
                    "CU{}{}{:03}",
                    letter(i / 26_000),
                    letter(i / 1000),
                    i % 1000
                );
                finding(&rule, &format!("{}/k.env", "_".repeat(3000)), "AbCd1234")
            })
            .collect();
        let md = rendered(findings);
        assert!(md.len() < MAX_BYTES + 1024, "{} bytes", md.len());
        let rule_rows = md.lines().filter(|l| l.starts_with("| CU")).count();
        assert!(rule_rows > 100, "{rule_rows}");
        assert!(
            md.contains(&format!(
                "{} more rules not listed here, to keep this report under GitHub's size limit.",
                30_000 - rule_rows
            )),
            "{md}"
        );
        let listed = md.lines().filter(|l| l.starts_with("| error |")).count();
        assert!((1..MAX_LISTED).contains(&listed), "{listed}");
        assert!(md.contains(&format!("### Findings (first {listed} of 30000)")));
        assert!(md.contains(&format!("{} more not listed here", 30_000 - listed)));
        assert!(md.contains("more rules not listed here, to keep this report under GitHub's size limit (`katscan explain RULE`"));
        assert!(md.contains("- **CUAA000** name-of-cuaa000: Revoke key `AbCd1234`."));
    }

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
