//! Every reporter on one finding whose path, matched text, message and
//! surrounding line come from the fuzz input: file names and file contents
//! are attacker-controlled, and so is a custom rule's message (a repository
//! can commit its own `.katscan.toml`).
//!
//! Input layout: byte 0 picks the rule (and, when odd, gives the finding
//! a commit whose author is the message text, as `katscan history` does), byte 1 the start line and byte 2
//! the start column; the rest is split at NUL bytes into path, matched
//! text, message, and the text before and after the match on its line. The
//! snippet is built by `katscan::snippet::build` from that line, as the
//! scanner builds it.
//!
//! Every report is written through the output gate (`katscan::output`), as
//! the CLI writes it. Invariants:
//! - no panic, and every reporter writes without error;
//! - `json` and `sarif` output parse as JSON, and JSON carries the path and
//!   match exactly, key secrets masked (where the gate had no control
//!   character to replace);
//! - `github` output is exactly one line for the one finding, and it is
//!   katscan's own `::error`/`::warning`/`::notice` command;
//! - no line of any other output, leading whitespace trimmed (as the
//!   Actions runner trims it), starts with `::`;
//! - no output holds a control character other than newline and tab, nor a
//!   bidirectional formatting character.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use katscan::finding::{HistoryOrigin, fingerprint};
use katscan::git::Commit;
use katscan::location::{LineIndex, Position};
use katscan::output::{Guarded, Policy};
use katscan::redact::mask_secrets;
use katscan::report::{
    GithubReporter, HumanReporter, JsonReporter, MarkdownReporter, ReportInput, Reporter,
    SarifReporter,
};
use katscan::snippet::{self, Masks};
use katscan::{Finding, RuleSet, ScanReport};
use libfuzzer_sys::fuzz_target;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules compile"))
}

fuzz_target!(|input: &[u8]| {
    let [rule_pick, line, column, rest @ ..] = input else {
        return;
    };
    let mut fields = rest.splitn(5, |&b| b == 0);
    let mut next = || fields.next().unwrap_or_default();
    let (path, matched, message, before, after) = (next(), next(), next(), next(), next());

    let rules = rules();
    let rule = &rules.rules()[usize::from(*rule_pick) % rules.rules().len()];
    let matched_text = String::from_utf8_lossy(matched).into_owned();
    let path = String::from_utf8_lossy(path).into_owned();

    // The finding's line as the file holds it: the snippet is cut from it.
    let source: Vec<u8> = [before, matched, after].concat();
    let span = before.len()..before.len() + matched.len();
    let index = LineIndex::new(&source);
    let mut snippet = snippet::build(&source, &index, span.clone(), &Masks::default());
    let (start, end) = (index.position(span.start), index.position(span.end));
    // Report the line the fuzzer chose, not always the first.
    let line_offset = usize::from(*line);
    snippet.first_line += line_offset;
    let shift = |p: Position| Position {
        line: p.line + line_offset,
        column: if p.line == 1 {
            p.column + usize::from(*column)
        } else {
            p.column
        },
    };

    let finding = Finding {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        level: rule.level,
        fingerprint: fingerprint(&rule.id, &path, matched),
        path,
        start: shift(start),
        end: shift(end),
        key_id: None,
        matched: matched_text,
        message: String::from_utf8_lossy(message).into_owned(),
        help: rule.help.clone(),
        snippet,
        suppression: None,
        raw_path: None,
        span,
        // A commit's author is attacker-controlled too (anyone can commit
        // as anyone): every other input names one, from the message bytes.
        history: (rule_pick % 2 == 1).then(|| {
            let commit = Arc::new(Commit {
                id: "3f2a9c1b".repeat(5),
                short_id: "3f2a9c1".into(),
                author: String::from_utf8_lossy(message).into_owned(),
                date: "2026-11-03T10:00:00+01:00".into(),
            });
            Box::new(HistoryOrigin {
                introduced: Arc::clone(&commit),
                still_present: false,
                removed_in: Some(commit),
            })
        }),
    };
    let report = ScanReport {
        findings: vec![finding],
        files_scanned: 1,
        bytes_scanned: source.len() as u64,
        ..ScanReport::default()
    };
    let input = ReportInput {
        rules,
        report: &report,
        elapsed: Duration::from_millis(1),
        version_control: None,
    };
    let finding = &report.findings[0];

    let human = render(&HumanReporter::default(), &input, false);
    let markdown = render(&MarkdownReporter, &input, false);
    for (format, output) in [("human", &human), ("markdown", &markdown)] {
        assert_no_command_lines(format, output);
        assert_inert(format, output);
    }

    for (format, output) in [
        ("json", render(&JsonReporter, &input, false)),
        ("sarif", render(&SarifReporter, &input, false)),
    ] {
        let value: serde_json::Value = serde_json::from_str(&output)
            .unwrap_or_else(|e| panic!("{format} output is not JSON ({e}): {output}"));
        assert_no_command_lines(format, &output);
        assert_inert(format, &output);
        if format == "json" {
            let reported = &value["findings"][0];
            // What the gate lets through: the text with key secrets masked.
            let exact = |field: &str, text: &str| {
                if !text.chars().any(|c| c.is_control() || is_bidi(c)) {
                    let shown = mask_secrets(text);
                    assert_eq!(reported[field].as_str(), Some(&*shown), "json {field}");
                }
            };
            exact("path", &finding.path);
            exact("match", &finding.matched);
            exact("message", &finding.message);
        }
    }

    let github = render(&GithubReporter, &input, true);
    let lines: Vec<&str> = github.lines().collect();
    assert_eq!(lines.len(), 1, "github: one finding, one line: {github:?}");
    assert!(
        github.ends_with('\n'),
        "github: unterminated line: {github:?}"
    );
    let command = lines[0];
    assert!(
        ["::error ", "::warning ", "::notice "]
            .iter()
            .any(|prefix| command.starts_with(prefix)),
        "github: not katscan's command: {command:?}"
    );
    assert_inert("github", &github);
});

/// A report as the CLI writes it: through the output gate.
fn render(reporter: &dyn Reporter, input: &ReportInput<'_>, workflow_commands: bool) -> String {
    let mut out = Vec::new();
    {
        let policy = Policy {
            workflow_commands,
            ..Policy::STRICT
        };
        let mut gate = Guarded::new(&mut out, policy);
        reporter
            .write(&mut gate, input)
            .expect("writing to memory succeeds");
        gate.finish().expect("writing to memory succeeds");
    }
    String::from_utf8(out).expect("reporters write UTF-8")
}

fn assert_inert(format: &str, output: &str) {
    assert!(
        !output
            .chars()
            .any(|c| (c.is_control() && !matches!(c, '\n' | '\t')) || is_bidi(c)),
        "{format}: control or bidi character reached the output: {output:?}"
    );
}

/// The Actions runner runs any stdout line that starts with `::` once
/// leading whitespace is trimmed.
fn assert_no_command_lines(format: &str, output: &str) {
    for line in output.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{format}: a line reads as a workflow command: {line:?}"
        );
    }
}

/// Characters that reorder how text is displayed (Trojan Source).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}
