//! Runs every rule's `examples` and `negative_examples` through the real
//! scanner (prefilter, path scope, placeholder filter and all), so an
//! example that only works against the bare regex still fails.

use std::fmt;

use crate::rules::{Example, RuleSet};
use crate::scanner::Scanner;

/// One way a rule's examples disagree with its behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExampleFailure {
    /// A rule must show at least one example and one negative example.
    Missing {
        rule_id: String,
        which: &'static str,
    },
    /// An example the rule should report was not reported.
    NotFound { rule_id: String, example: String },
    /// A negative example was reported.
    FalsePositive { rule_id: String, example: String },
}

impl fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExampleFailure::Missing { rule_id, which } => {
                write!(f, "{rule_id}: has no {which}; every rule needs both kinds")
            }
            ExampleFailure::NotFound { rule_id, example } => {
                write!(f, "{rule_id}: example not reported: {example}")
            }
            ExampleFailure::FalsePositive { rule_id, example } => {
                write!(f, "{rule_id}: negative example reported: {example}")
            }
        }
    }
}

/// Checks every rule of `rules`; an empty result means all examples hold.
pub fn check(rules: &RuleSet) -> Vec<ExampleFailure> {
    let scanner = Scanner::new(rules, true);
    let reported_by = |rule_id: &str, example: &Example| {
        scanner
            .scan(example.path(), example.text().as_bytes())
            .iter()
            .any(|finding| finding.rule_id == rule_id)
    };

    let mut failures = Vec::new();
    for rule in rules.rules() {
        let rule_id = rule.id.clone();
        if rule.examples.is_empty() {
            failures.push(ExampleFailure::Missing {
                rule_id: rule_id.clone(),
                which: "examples",
            });
        }
        if rule.negative_examples.is_empty() {
            failures.push(ExampleFailure::Missing {
                rule_id: rule_id.clone(),
                which: "negative_examples",
            });
        }
        for example in &rule.examples {
            if !reported_by(&rule.id, example) {
                failures.push(ExampleFailure::NotFound {
                    rule_id: rule_id.clone(),
                    example: example.text().to_string(),
                });
            }
        }
        for example in &rule.negative_examples {
            if reported_by(&rule.id, example) {
                failures.push(ExampleFailure::FalsePositive {
                    rule_id: rule_id.clone(),
                    example: example.text().to_string(),
                });
            }
        }
    }
    failures
}
