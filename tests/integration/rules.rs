//! The rule catalogue: every built-in rule's examples hold, and the checks
//! that protect rule authors (custom rules in `.katscan.toml` use the same
//! schema).

use katscan::examples::{self, ExampleFailure};
use katscan::rules::{RuleError, RuleSet};

use crate::support::{exit_code, katscan};

#[test]
fn builtin_rules_compile_and_every_example_holds() {
    let rules = RuleSet::builtin().expect("built-in rules compile");
    assert!(rules.get("KAT001").is_some());
    let failures = examples::check(&rules);
    let listed: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(
        failures.is_empty(),
        "rule examples disagree with the rules:\n{}",
        listed.join("\n")
    );
}

/// A minimal valid rule file, to be broken one field at a time.
fn rule_file(id: &str, pattern: &str, keywords: &str, negatives: &str) -> String {
    format!(
        r#"
id = "{id}"
name = "demo-{lower}"
level = "warning"
summary = "demo"
help = "demo"
description = "demo"
precision = "high"

[[detector]]
message = "demo"
keywords = [{keywords}]
pattern = '''{pattern}'''
examples = ["token TOKEN_abcdef"]
negative_examples = [{negatives}]
"#,
        lower = id.to_lowercase()
    )
}

#[test]
fn a_rule_without_negative_examples_is_unfinished() {
    let text = rule_file("DEMO001", r"TOKEN_[a-z]+", r#""TOKEN_""#, "");
    let rules = RuleSet::from_sources([("demo.toml", text.as_str())]).unwrap();
    assert_eq!(
        examples::check(&rules),
        vec![ExampleFailure::Missing {
            detector: "DEMO001".into(),
            which: "negative_examples"
        }]
    );
}

#[test]
fn a_negative_example_that_matches_is_reported() {
    let text = rule_file("DEMO001", r"TOKEN_[a-z]+", r#""TOKEN_""#, r#""TOKEN_zzz""#);
    let rules = RuleSet::from_sources([("demo.toml", text.as_str())]).unwrap();
    assert_eq!(
        examples::check(&rules),
        vec![ExampleFailure::FalsePositive {
            detector: "DEMO001".into(),
            path: "example.txt".into(),
            example: "TOKEN_zzz".into()
        }]
    );
}

#[test]
fn examples_run_through_the_keyword_prefilter_not_just_the_regex() {
    // The regex matches the example, but the keyword never occurs in it:
    // the prefilter would skip every real file, and the check must say so.
    let text = rule_file(
        "DEMO001",
        r"TOKEN_[a-z]+",
        r#""NEVER_THERE""#,
        r#""nothing""#,
    );
    let rules = RuleSet::from_sources([("demo.toml", text.as_str())]).unwrap();
    assert_eq!(
        examples::check(&rules),
        vec![ExampleFailure::NotFound {
            detector: "DEMO001".into(),
            path: "example.txt".into(),
            example: "token TOKEN_abcdef".into()
        }]
    );
}

/// Each detector answers for its own examples (issue 16): a detector that
/// lost its pattern fails even when a sibling detector of the same rule
/// reports the example for it. Built from the real data: the
/// django-cors-headers "second bad entry" detector, whose examples the
/// first-entry detector also reports, given a pattern that never matches.
#[test]
fn a_detector_is_held_to_its_own_examples_not_its_siblings() {
    let file = "rules/detectors/python_jvm/02-python-django-cors-headers-settings.toml";
    let text = std::fs::read_to_string(crate::support::repo_root().join(file)).unwrap();
    let marker = "framework = \"django-cors-headers origin regexes (second bad entry)\"";
    let start = text.find(marker).expect("the detector is in the data");
    let quotes = "'''";
    let pattern_at = start
        + text[start..]
            .find("\npattern = ")
            .expect("it has a pattern")
        + 1;
    let body = pattern_at + "pattern = ".len() + quotes.len();
    let pattern_end = body + text[body..].find(quotes).unwrap() + quotes.len();
    let broken = format!(
        "{}pattern = 'NEVER_MATCHES_ANYTHING_[0-9]{{40}}'{}",
        &text[..pattern_at],
        &text[pattern_end..]
    );
    let mut sources: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(crate::support::repo_root().join("rules")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            sources.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    sources.push((file.to_string(), broken));
    let rules =
        RuleSet::from_sources(sources.iter().map(|(n, t)| (n.as_str(), t.as_str()))).unwrap();
    let failures = examples::check(&rules);
    assert!(
        failures.iter().any(|f| matches!(
            f,
            ExampleFailure::NotFound { detector, .. } if detector.contains("second bad entry")
        )),
        "{failures:?}"
    );
}

#[test]
fn broken_rules_are_typed_errors() {
    let load = |text: String| RuleSet::from_sources([("demo.toml", text.as_str())]).unwrap_err();

    let bad_regex = load(rule_file("DEMO001", r"TOKEN_[a-z", r#""TOKEN_""#, r#""x""#));
    assert!(
        matches!(bad_regex, RuleError::BadPattern { .. }),
        "{bad_regex}"
    );

    let bad_id = load(rule_file(
        "DEMO01",
        r"TOKEN_[a-z]+",
        r#""TOKEN_""#,
        r#""x""#,
    ));
    assert!(matches!(bad_id, RuleError::BadId { .. }), "{bad_id}");

    let common_keyword = load(rule_file("DEMO001", r"TOKEN_[a-z]+", r#""to""#, r#""x""#));
    assert!(
        matches!(common_keyword, RuleError::BadKeywords { .. }),
        "{common_keyword}"
    );

    let unknown_field =
        load(rule_file("DEMO001", r"TOKEN_[a-z]+", r#""TOKEN_""#, r#""x""#) + "\nseverity = 3\n");
    assert!(
        matches!(unknown_field, RuleError::Parse { .. }),
        "{unknown_field}"
    );

    // A block-scoped condition needs a line window to bound its blocks.
    let unbounded_block = load(
        rule_file("DEMO001", r"TOKEN_[a-z]+", r#""TOKEN_""#, r#""x""#)
            + "requires = [{ pattern = 'allowed', scope = \"block\" }]\n",
    );
    assert!(
        matches!(unbounded_block, RuleError::Inconsistent { .. }),
        "{unbounded_block}"
    );
    // `{finding}` is checked with the text put in, not as a repetition.
    let bad_finding_pattern = load(
        rule_file("DEMO001", r"TOKEN_[a-z]+", r#""TOKEN_""#, r#""x""#)
            + "requires = [{ pattern = '\\b{finding}\\s*=\\s*[', within_lines = 2 }]\n",
    );
    assert!(
        matches!(bad_finding_pattern, RuleError::BadPattern { .. }),
        "{bad_finding_pattern}"
    );

    let text = rule_file("DEMO001", r"TOKEN_[a-z]+", r#""TOKEN_""#, r#""x""#);
    let duplicate =
        RuleSet::from_sources([("a.toml", text.as_str()), ("b.toml", text.as_str())]).unwrap_err();
    assert!(
        matches!(duplicate, RuleError::DuplicateId { .. }),
        "{duplicate}"
    );
}

#[test]
fn a_pattern_too_large_to_compile_is_reported_not_skipped() {
    // It parses, so it loads; compiling waits for first use, and the check
    // (which the test suite runs on every built-in rule) reports it.
    let text = rule_file(
        "DEMO001",
        r"TOKEN_(?:a{1000}){1000}{100}",
        r#""TOKEN_""#,
        r#""x""#,
    );
    let rules = RuleSet::from_sources([("demo.toml", text.as_str())]).unwrap();
    let failures = examples::check(&rules);
    assert!(
        matches!(failures.first(), Some(ExampleFailure::NotCompiled { .. })),
        "{failures:?}"
    );
}

#[test]
fn rules_command_lists_every_rule() {
    let output = katscan().arg("rules").output().unwrap();
    assert_eq!(exit_code(&output), 0);
    let text = String::from_utf8(output.stdout).unwrap();
    let rules = RuleSet::builtin().unwrap();
    for rule in rules.rules() {
        assert!(
            text.contains(&rule.id) && text.contains(&rule.name),
            "{} missing:\n{text}",
            rule.id
        );
    }

    let output = katscan()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), rules.rules().len());
    let kat001 = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "KAT001")
        .unwrap();
    assert_eq!(kat001["detectors"][0]["keywords"][0], "kat_live_");
}

#[test]
fn explain_prints_a_rules_documentation() {
    let output = katscan().args(["explain", "kat001"]).output().unwrap();
    assert_eq!(exit_code(&output), 0);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("# KAT001 live-key (error)"), "{text}");
    assert!(text.contains("## Why is this bad?"));
    assert!(text.contains("Revoke key `<publicKeyId>`"), "{text}");
    assert!(text.contains("## Not reported"));
}

#[test]
fn explain_an_unknown_rule_is_a_usage_error() {
    let output = katscan().args(["explain", "KAT999"]).output().unwrap();
    assert_eq!(exit_code(&output), 2);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("no rule `KAT999`") && stderr.contains("KAT001"),
        "{stderr}"
    );
}
