//! `katscan rules` and `katscan explain`: the rule catalogue for people.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use super::args::{ConfigArgs, ExplainArgs, ListFormat, RulesArgs};
use super::{ExitStatus, Failure, builtin_rules, config, terminal};
use katscan::rules::{Detector, Example, Level, Rule, RuleSet};

#[derive(Serialize)]
struct RuleSummary<'a> {
    id: &'a str,
    name: &'a str,
    level: Level,
    summary: &'a str,
    /// What each detector of the rule covers, and its keywords.
    detectors: Vec<DetectorSummary<'a>>,
}

#[derive(Serialize)]
struct DetectorSummary<'a> {
    framework: Option<&'a str>,
    keywords: &'a [String],
}

pub fn list(args: &RulesArgs) -> Result<ExitStatus, Failure> {
    let rules = configured_rules(&args.config)?;
    let mut out = terminal::stdout(false);
    let written = match args.format {
        ListFormat::Text => write_table(&mut out, &rules),
        ListFormat::Json => {
            let summaries: Vec<RuleSummary<'_>> = rules
                .rules()
                .iter()
                .map(|r| RuleSummary {
                    id: &r.id,
                    name: &r.name,
                    level: r.level,
                    summary: &r.summary,
                    detectors: rules
                        .detectors_of(r)
                        .map(|d| DetectorSummary {
                            framework: d.framework.as_deref(),
                            keywords: &d.keywords,
                        })
                        .collect(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &summaries)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
    };
    finish(written.and_then(|()| out.finish()))
}

fn write_table(out: &mut dyn Write, rules: &RuleSet) -> io::Result<()> {
    let name_width = rules
        .rules()
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0);
    for rule in rules.rules() {
        writeln!(
            out,
            "{:<8} {:<7} {:<name_width$}  {}",
            rule.id,
            rule.level.as_str(),
            rule.name,
            rule.summary
        )?;
    }
    Ok(())
}

pub fn explain(args: &ExplainArgs) -> Result<ExitStatus, Failure> {
    let id = args.rule.as_str();
    let rules = configured_rules(&args.config)?;
    let Some(rule) = rules.get(id) else {
        let known: Vec<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
        return Err(Failure::new(format!(
            "no rule `{id}` (known rules: {})",
            known.join(", ")
        )));
    };
    let mut out = terminal::stdout(false);
    let written = write_explanation(&mut out, &rules, rule);
    finish(written.and_then(|()| out.finish()))
}

/// The built-in rules with the config of the current directory (or the one
/// named) applied.
fn configured_rules(config_args: &ConfigArgs) -> Result<RuleSet, Failure> {
    let mut rules = builtin_rules()?;
    let here = [PathBuf::from(".")];
    config::load_for_scan(config_args, &here, &mut rules, false)?;
    Ok(rules)
}

/// A rule's documentation as Markdown, in ruff's order: what it is, why it
/// matters, how to fix it, what it matches and what it does not.
fn write_explanation(out: &mut dyn Write, rules: &RuleSet, rule: &Rule) -> io::Result<()> {
    writeln!(out, "# {} {} ({})\n", rule.id, rule.name, rule.level)?;
    writeln!(out, "{}\n", rule.summary)?;
    writeln!(out, "## Why is this bad?\n\n{}\n", rule.description)?;
    writeln!(
        out,
        "## What to do\n\n{}\n",
        Rule::render(&rule.help, Some("<publicKeyId>"), None)
    )?;
    let detectors: Vec<&Detector> = rules.detectors_of(rule).collect();
    if let [only] = detectors.as_slice()
        && only.framework.is_none()
    {
        writeln!(out, "## Reported\n")?;
        write_examples(out, &only.examples, 6)?;
        writeln!(out, "## Not reported\n")?;
        write_examples(out, &only.negative_examples, 6)?;
    } else {
        writeln!(out, "## Detectors\n")?;
        for detector in detectors {
            let framework = detector.framework.as_deref().unwrap_or("(unnamed)");
            writeln!(out, "### {framework}\n\n{}\n", detector.message)?;
            writeln!(out, "Reported:\n")?;
            write_examples(out, &detector.examples, 2)?;
            writeln!(out, "Not reported:\n")?;
            write_examples(out, &detector.negative_examples, 2)?;
        }
    }
    if !rule.cwe.is_empty() {
        writeln!(out, "References: {}", rule.cwe.join(", "))?;
    }
    Ok(())
}

fn write_examples(out: &mut dyn Write, examples: &[Example], most: usize) -> io::Result<()> {
    for example in examples.iter().take(most) {
        writeln!(out, "```")?;
        writeln!(out, "{}", example.text().trim_end())?;
        writeln!(out, "```")?;
    }
    if examples.len() > most {
        writeln!(out, "(and {} more in the rule data)", examples.len() - most)?;
    }
    writeln!(out)
}

fn finish(written: io::Result<()>) -> Result<ExitStatus, Failure> {
    match written {
        Ok(()) => Ok(ExitStatus::Success),
        // `katscan rules | head` closing the pipe early is not an error.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(ExitStatus::Success),
        Err(error) => Err(Failure::new(error)),
    }
}
