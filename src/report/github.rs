//! `--format github`: GitHub Actions workflow commands, which the runner
//! turns into annotations on the pull request.
//!
//! Values are escaped as the runner expects: `%`, CR and LF in the message;
//! additionally `:` and `,` in properties, where they would end a value.

use std::io::{self, Write};

use super::{ReportInput, Reporter};
use crate::output::neutralise_lines;
use crate::rules::Level;

#[derive(Debug, Default, Clone, Copy)]
pub struct GithubReporter;

impl Reporter for GithubReporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
        // Suppressed findings get no annotation.
        for finding in input.report.reported() {
            let command = match finding.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "notice",
            };
            // Workflow commands take an inclusive end column.
            let end_column = if finding.end.line == finding.start.line {
                finding
                    .end
                    .column
                    .saturating_sub(1)
                    .max(finding.start.column)
            } else {
                finding.end.column
            };
            let title = format!("{} {}", finding.rule_id, finding.rule_name);
            let history = finding
                .history
                .as_ref()
                .map_or_else(String::new, |h| format!("; {}", h.describe()));
            let message = format!(
                "{} ({}{history})\n{}",
                finding.message, finding.matched, finding.help
            );
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&finding.path),
                finding.start.line,
                finding.start.column,
                finding.end.line,
                end_column,
                escape_property(&title),
                escape_data(&message),
            )?;
        }
        Ok(())
    }
}

/// Escaping for the message after `::`: the runner's own escapes for `%`,
/// CR and LF, and every other control or bidirectional character made
/// visible ([`neutralise_lines`]), so the value cannot end the command or
/// smuggle a terminal sequence into the log.
pub fn escape_data(value: &str) -> String {
    let runner_escaped = value.replace('%', "%25").replace('\r', "%0D");
    neutralise_lines(&runner_escaped).replace('\n', "%0A")
}

/// Escaping for `key=value` properties.
pub fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("50% off\r\nnext"), "50%25 off%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // Escaping `%` first keeps already-escaped-looking text intact.
        assert_eq!(escape_data("%0A"), "%250A");
        // Other control and bidirectional characters are shown, not sent.
        assert_eq!(
            escape_data("a\u{1b}[31m\u{7}\u{202e}b\tc"),
            "a\\u{1b}[31m\\u{7}\\u{202e}b\tc"
        );
        assert_eq!(escape_property("x\u{85}y"), "x\\u{85}y");
    }
}
