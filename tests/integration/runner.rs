//! A stand-in for the GitHub Actions runner running `action.yml`.
//!
//! A composite action gets its inputs only through the expressions in its
//! steps' `env:` and `with:` (the runner sets no `INPUT_*` variables for
//! composite steps), so the tests run the action the way the runner does:
//! inputs are given as `with:` values of the action, every step's `if:`,
//! `env:` and `with:` expressions are evaluated against a fake context
//! (`inputs`, `steps.*.outputs`, `github`), and each `run:` script runs
//! under `bash --noprofile --norc -eo pipefail` with the runner's files
//! (`GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`) pointed at
//! temporary files. An input that action.yml does not pass to a script
//! never reaches it, as on GitHub.
//!
//! The `github` context is a manual run's (`workflow_dispatch`) unless the
//! job names an event; event properties it does not give are empty, as a
//! property the event lacks is on GitHub.
//!
//! `uses:` steps are recorded, not run (no network): `actions/cache`
//! reports a cache miss, the SARIF upload only records its `with:`.
//! Expressions cover what action.yml uses (`==`, `!=`, `&&`, literals,
//! context references); anything else panics rather than guess.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{exit_code, repo_root};

/// The job around the action: its `with:` inputs, the `github` context,
/// the job's environment and where PATH starts.
pub struct Job<'a> {
    pub workspace: &'a Path,
    pub temp: &'a Path,
    pub with: Vec<(&'a str, &'a str)>,
    pub github: Vec<(&'a str, &'a str)>,
    pub env: Vec<(&'a str, String)>,
    pub path_dirs: Vec<PathBuf>,
    /// Stop after the step with this id (later steps would build katscan).
    pub stop_after: Option<&'a str>,
}

/// One step as the runner ran (or skipped) it.
#[derive(Debug, Default)]
pub struct StepRun {
    pub id: String,
    pub name: String,
    pub ran: bool,
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: BTreeMap<String, String>,
    pub summary: String,
    pub path_additions: String,
    pub uses: Option<String>,
    pub with: BTreeMap<String, String>,
}

impl StepRun {
    /// A step that ran: its exit status and streams, and what its script
    /// left in the files the runner reads back (`GITHUB_OUTPUT`,
    /// `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`).
    pub fn finished(output: &Output, outputs: &Path, summary: &Path, path: &Path) -> StepRun {
        StepRun {
            ran: true,
            status: exit_code(output),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs: fs::read_to_string(outputs)
                .unwrap()
                .lines()
                .map(|line| {
                    let (key, value) = line.split_once('=').expect("outputs are key=value");
                    (key.to_string(), value.to_string())
                })
                .collect(),
            summary: fs::read_to_string(summary).unwrap(),
            path_additions: fs::read_to_string(path).unwrap(),
            ..StepRun::default()
        }
    }
}

pub struct JobRun {
    pub steps: Vec<StepRun>,
    pub failed: bool,
}

impl JobRun {
    pub fn step(&self, id: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    }

    /// Everything the job printed or wrote, for secret checks.
    pub fn everything(&self) -> String {
        self.steps
            .iter()
            .map(|s| format!("{}{}{}{:?}", s.stdout, s.stderr, s.summary, s.outputs))
            .collect()
    }
}

pub fn action_yml() -> Value {
    let path = repo_root().join("action.yml");
    let text = fs::read_to_string(&path).expect("action.yml is readable");
    serde_norway::from_str(&text).expect("action.yml is YAML")
}

/// The fake expression context: inputs, step outputs, `github`.
struct Contexts {
    inputs: BTreeMap<String, String>,
    steps: BTreeMap<String, BTreeMap<String, String>>,
    github: BTreeMap<String, String>,
}

impl Contexts {
    fn lookup(&self, reference: &str) -> String {
        if let Some(name) = reference.strip_prefix("inputs.") {
            return self
                .inputs
                .get(name)
                .unwrap_or_else(|| panic!("action.yml reads undeclared input {name}"))
                .clone();
        }
        if let Some(rest) = reference.strip_prefix("steps.") {
            let (id, output) = rest
                .split_once(".outputs.")
                .unwrap_or_else(|| panic!("unsupported step reference {reference}"));
            // An output a step did not set (or a skipped step) is empty.
            return self
                .steps
                .get(id)
                .and_then(|o| o.get(output))
                .cloned()
                .unwrap_or_default();
        }
        if let Some(name) = reference.strip_prefix("github.") {
            if let Some(value) = self.github.get(name) {
                return value.clone();
            }
            // A property the event does not have (`pull_request` of a
            // push) is null, which expressions turn into the empty string.
            if name.starts_with("event.") {
                return String::new();
            }
            panic!("the test context has no github.{name}");
        }
        panic!("unsupported expression context: {reference}");
    }

    fn term(&self, term: &str) -> String {
        let term = term.trim();
        if let Some(literal) = term.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            return literal.replace("''", "'");
        }
        assert!(
            term.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
            "unsupported expression term: {term}"
        );
        self.lookup(term)
    }

    /// `==`, `!=` (case-insensitive, as GitHub compares strings), `&&`,
    /// and a bare term (truthy when not empty).
    fn condition(&self, expression: &str) -> bool {
        assert!(
            !expression.contains("||") && !expression.contains('('),
            "unsupported condition: {expression}"
        );
        expression.split("&&").all(|part| {
            if let Some((left, right)) = part.split_once("!=") {
                !self.term(left).eq_ignore_ascii_case(&self.term(right))
            } else if let Some((left, right)) = part.split_once("==") {
                self.term(left).eq_ignore_ascii_case(&self.term(right))
            } else {
                !self.term(part).is_empty()
            }
        })
    }

    /// Substitutes every `${{ ... }}` in a value.
    fn substitute(&self, value: &str) -> String {
        let mut result = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("${{") {
            result.push_str(&rest[..start]);
            let end = rest[start..]
                .find("}}")
                .unwrap_or_else(|| panic!("unclosed expression in {value}"))
                + start;
            result.push_str(&self.term(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        result.push_str(rest);
        result
    }
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Runs action.yml's steps in order, as the runner would.
pub fn run_action(job: &Job) -> JobRun {
    let action = action_yml();
    let declared = action["inputs"].as_object().expect("inputs");
    let mut inputs = BTreeMap::new();
    for (name, spec) in declared {
        inputs.insert(name.clone(), as_text(&spec["default"]));
    }
    for (name, value) in &job.with {
        assert!(
            declared.contains_key(*name),
            "the action has no input {name}"
        );
        inputs.insert(name.to_string(), value.to_string());
    }
    let mut contexts = Contexts {
        inputs,
        steps: BTreeMap::new(),
        github: [("event_name", "workflow_dispatch")]
            .into_iter()
            .chain(job.github.iter().copied())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };

    let files = job.temp.join("runner");
    let runner_temp = files.join("temp");
    fs::create_dir_all(&runner_temp).unwrap();
    // GITHUB_PATH additions go before everything, the latest first.
    let mut added_paths: Vec<PathBuf> = Vec::new();
    let mut steps = Vec::new();
    let mut failed = false;

    for (index, step) in action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .enumerate()
    {
        let mut record = StepRun {
            id: step["id"].as_str().map(str::to_string).unwrap_or_default(),
            name: step["name"].as_str().unwrap_or("?").to_string(),
            ..StepRun::default()
        };
        // Steps run while the job succeeds (`success()` is implied).
        let wanted = !failed
            && step["if"]
                .as_str()
                .is_none_or(|condition| contexts.condition(condition));
        if wanted {
            let env: BTreeMap<String, String> = step["env"]
                .as_object()
                .map(|env| {
                    env.iter()
                        .map(|(k, v)| (k.clone(), contexts.substitute(&as_text(v))))
                        .collect()
                })
                .unwrap_or_default();
            record.ran = true;
            if let Some(uses) = step["uses"].as_str() {
                record.uses = Some(uses.to_string());
                record.with = step["with"]
                    .as_object()
                    .map(|with| {
                        with.iter()
                            .map(|(k, v)| (k.clone(), contexts.substitute(&as_text(v))))
                            .collect()
                    })
                    .unwrap_or_default();
                if uses.starts_with("actions/cache@") {
                    record
                        .outputs
                        .insert("cache-hit".to_string(), "false".to_string());
                }
            } else {
                let script = step["run"].as_str().expect("a step runs or uses");
                let step_files = files.join(format!("step{index}"));
                fs::create_dir_all(&step_files).unwrap();
                let script_file = step_files.join("script.sh");
                fs::write(&script_file, script).unwrap();
                let output_file = step_files.join("output");
                let summary_file = step_files.join("summary");
                let path_file = step_files.join("path");
                for file in [&output_file, &summary_file, &path_file] {
                    fs::write(file, "").unwrap();
                }
                let mut path: Vec<PathBuf> = added_paths.iter().rev().cloned().collect();
                path.extend(job.path_dirs.iter().cloned());
                path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
                let mut command = Command::new("bash");
                command
                    .args(["--noprofile", "--norc", "-eo", "pipefail"])
                    .arg(&script_file)
                    .current_dir(job.workspace)
                    .env_clear()
                    .env("PATH", std::env::join_paths(path).unwrap())
                    .env("HOME", &files)
                    .env("NO_COLOR", "1")
                    .env("CI", "true")
                    .env("GITHUB_ACTIONS", "true")
                    .env("GITHUB_OUTPUT", &output_file)
                    .env("GITHUB_STEP_SUMMARY", &summary_file)
                    .env("GITHUB_PATH", &path_file)
                    .env("GITHUB_WORKSPACE", job.workspace)
                    .env("GITHUB_ACTION_PATH", repo_root())
                    .env("RUNNER_TEMP", &runner_temp)
                    .env("RUNNER_OS", "Linux")
                    .env("RUNNER_ARCH", "X64");
                for (name, value) in &job.env {
                    command.env(name, value);
                }
                command.envs(&env);
                let output = command.output().expect("bash runs");
                record = StepRun {
                    id: record.id,
                    name: record.name,
                    uses: record.uses,
                    with: record.with,
                    ..StepRun::finished(&output, &output_file, &summary_file, &path_file)
                };
                added_paths.extend(record.path_additions.lines().map(PathBuf::from));
                failed = record.status != 0;
            }
            contexts
                .steps
                .insert(record.id.clone(), record.outputs.clone());
        }
        let stop = job.stop_after == Some(record.id.as_str());
        steps.push(record);
        if stop {
            break;
        }
    }
    JobRun { steps, failed }
}
