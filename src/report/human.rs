//! `--format human` (the default): one miette diagnostic per finding.
//!
//! miette only ever sees the finding's cropped, masked snippet, never the
//! file: that keeps a 20 MB minified line from reaching miette (which panics
//! on labels past column 65,535 and renders in time quadratic in the labels
//! of one source), and keeps secrets out of the terminal.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, Severity, SourceCode, SourceSpan, SpanContents,
};

use super::{ReportInput, Reporter};
use crate::finding::Finding;
use crate::output::{neutralise, neutralise_lines};
use crate::rules::Level;

/// Renders findings for a person.
#[derive(Debug, Clone, Copy)]
pub struct HumanReporter {
    /// ANSI colours; the CLI turns them off for pipes and `NO_COLOR`.
    pub color: bool,
    /// Wrapping width for messages and help.
    pub width: usize,
}

impl Default for HumanReporter {
    fn default() -> Self {
        HumanReporter {
            color: false,
            width: 100,
        }
    }
}

impl Reporter for HumanReporter {
    fn write(&self, out: &mut dyn Write, input: &ReportInput<'_>) -> io::Result<()> {
        let theme = if self.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(self.width)
            .with_links(false)
            .without_primary_span_start()
            // The snippet holds only the finding's lines, so one line of
            // context shows each whole line and nothing beyond it.
            .with_context_lines(1);
        // Suppressed findings are only counted (in the summary).
        for (index, finding) in input.report.reported().enumerate() {
            if index > 0 {
                writeln!(out)?;
            }
            let diagnostic = FindingDiagnostic::new(finding, input);
            let mut rendered = String::new();
            handler
                .render_report(&mut rendered, &diagnostic)
                .map_err(|_| io::Error::other("could not render a diagnostic"))?;
            out.write_all(rendered.as_bytes())?;
        }
        Ok(())
    }
}

/// A finding as miette wants it.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    message: String,
    code: String,
    label: String,
    help: String,
    source: SnippetSource<'a>,
}

impl<'a> FindingDiagnostic<'a> {
    fn new(finding: &'a Finding, input: &ReportInput<'_>) -> Self {
        let label = input
            .rules
            .get(&finding.rule_id)
            .map_or(finding.rule_name.as_str(), |rule| rule.summary.as_str());
        // Every string shown is neutralised: paths and matched text come
        // from the repository, and so can rule text (custom rules in a
        // repository's .katscan.toml). The snippet already is.
        FindingDiagnostic {
            finding,
            message: neutralise(&match &finding.history {
                // "…committed in this file (introduced in 3f2a9c1 by A on
                // 2026-11-03, removed in 9b0e44d; still in history)".
                Some(history) => format!("{} ({})", finding.message, history.describe()),
                None => finding.message.clone(),
            })
            .into_owned(),
            code: neutralise(&format!("{}({})", finding.rule_id, finding.rule_name)).into_owned(),
            label: neutralise(label).into_owned(),
            // Paragraphs arrive joined (rules are reflowed at load), so
            // miette wraps prose to the width and code blocks keep their lines.
            help: neutralise_lines(&finding.help).into_owned(),
            source: SnippetSource {
                name: format!(
                    "{}:{}:{}",
                    neutralise(&finding.path),
                    finding.start.line,
                    finding.start.column
                ),
                text: &finding.snippet.text,
                first_line: finding.snippet.first_line,
            },
        }
    }
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("code", &self.code)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(match self.finding.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Note => Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let highlight = &self.finding.snippet.highlight;
        let span = SourceSpan::from(highlight.start..highlight.end);
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.label.clone()), span),
        )))
    }
}

/// The cropped snippet, told to miette with the file's real line numbers.
struct SnippetSource<'a> {
    name: String,
    text: &'a str,
    /// 1-based line of the snippet's first line in the file.
    first_line: usize,
}

impl SourceCode for SnippetSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line - 1,
            inner.column(),
            inner.line_count(),
        )))
    }
}
