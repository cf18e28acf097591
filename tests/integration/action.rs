//! The GitHub Action (`action.yml`, `action/*.sh`), the pre-commit hook
//! definitions, and what they rely on: `--report FORMAT=FILE` and the
//! Markdown reporter.
//!
//! The action's scripts run here as the runner would run them: `GITHUB_*`
//! variables point at temporary files and the built katscan is on PATH.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::runner::{Job, JobRun, StepRun, run_action};
use crate::support::{
    KEY_ID, SECRET, exit_code, katscan, key, planted_key, repo_root, schema_file,
    stdout_and_stderr, write,
};

// ---------------------------------------------------------------------------
// Definitions: action.yml and .pre-commit-hooks.yaml

fn yaml_file(name: &str) -> Value {
    let path = repo_root().join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

fn assert_valid(schema_name: &str, document: &Value) {
    let schema_file = schema_file(schema_name);
    let schema: Value =
        serde_json::from_str(&fs::read_to_string(&schema_file).unwrap_or_else(|e| {
            panic!(
                "schema {} not readable ({e}); set KATSCAN_SCHEMAS_DIR",
                schema_file.display()
            )
        }))
        .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid against {schema_name}:\n{}",
        errors.join("\n")
    );
}

#[test]
fn action_yml_is_a_valid_composite_action_with_the_documented_interface() {
    let action = yaml_file("action.yml");
    assert_valid("github-action.json", &action);
    assert_eq!(action["runs"]["using"], "composite", "no Docker");

    // Inputs are kebab-case with string defaults (GitHub passes strings).
    let defaults = [
        ("path", "."),
        ("args", ""),
        ("fail-on", "warning"),
        ("sarif-file", "katscan.sarif"),
        ("upload-sarif", "false"),
        ("history", "auto"),
    ];
    let inputs = action["inputs"].as_object().expect("inputs");
    assert_eq!(inputs.len(), defaults.len(), "inputs: {inputs:?}");
    for (name, default) in defaults {
        assert_eq!(
            inputs[name]["default"],
            Value::from(default),
            "default of input {name}"
        );
        assert!(
            inputs[name]["description"].is_string(),
            "{name} is documented"
        );
    }
    let outputs = action["outputs"].as_object().expect("outputs");
    assert_eq!(
        outputs.keys().collect::<Vec<_>>(),
        ["findings", "sarif-file"]
    );
}

#[test]
fn action_steps_get_inputs_only_through_env_and_always_name_a_shell() {
    let action = yaml_file("action.yml");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let mut uses = Vec::new();
    for step in steps {
        let name = step["name"].as_str().unwrap_or("?");
        if let Some(script) = step.get("run") {
            let script = script.as_str().expect("run is text");
            assert_eq!(step["shell"], "bash", "step {name} names its shell");
            assert!(
                !script.contains("${{"),
                "step {name} splices an expression into its script:\n{script}"
            );
        } else {
            uses.push(step["uses"].as_str().expect("a step runs or uses"));
        }
    }
    // Current majors (node24), pinned by commit, and the SARIF upload is
    // code scanning's own.
    assert_eq!(
        uses,
        [
            "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae",
            "github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e"
        ]
    );
    let text = fs::read_to_string(repo_root().join("action.yml")).unwrap();
    assert!(text.contains("actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae # v5.0.5"));
    assert!(text.contains(
        "github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2"
    ));
    // Every script the action calls exists in the repository.
    for step in steps {
        if let Some(script) = step["run"].as_str() {
            for word in script.split(['"', ' ', '\n']) {
                if let Some(relative) = word.strip_prefix("$GITHUB_ACTION_PATH/") {
                    assert!(
                        repo_root().join(relative).is_file(),
                        "{relative} is missing"
                    );
                }
            }
        }
    }
}

#[test]
fn pre_commit_hooks_are_valid_and_serial() {
    let hooks = yaml_file(".pre-commit-hooks.yaml");
    assert_valid("pre-commit-hooks.json", &hooks);
    let hooks = hooks.as_array().expect("a list of hooks");
    let summary: Vec<(&str, &str)> = hooks
        .iter()
        .map(|h| (h["id"].as_str().unwrap(), h["language"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("katscan", "rust"),
            ("katscan-system", "system"),
            ("katscan-history", "rust"),
            ("katscan-history-system", "system"),
        ]
    );
    let (file_hooks, history_hooks) = hooks.split_at(2);
    for hook in history_hooks {
        let id = &hook["id"];
        let entry = hook["entry"].as_str().unwrap();
        assert!(entry.contains("exec katscan history "), "{id}");
        assert_eq!(hook["pass_filenames"], false, "{id}: it scans commits");
        assert_eq!(hook["always_run"], true, "{id}");
        assert_eq!(hook["require_serial"], true, "{id}");
        assert_eq!(hook["stages"], serde_json::json!(["pre-push"]), "{id}");
    }
    for hook in file_hooks {
        let id = &hook["id"];
        assert!(
            hook["entry"].as_str().unwrap().starts_with("katscan scan"),
            "{id}"
        );
        assert_eq!(
            hook["require_serial"], true,
            "{id}: katscan parallelises itself"
        );
        // Files are passed to katscan, which honours ignore rules for them.
        assert_ne!(hook["pass_filenames"], false, "{id}");
        assert_eq!(
            hook["stages"],
            serde_json::json!(["pre-commit", "pre-push", "manual"]),
            "{id}"
        );
    }
}

// ---------------------------------------------------------------------------
// The action's scripts, run as the runner runs them

/// A workspace and the files the runner provides to a step.
struct Runner {
    workspace: TempDir,
    temp: TempDir,
}

/// What one script run left behind.
type StepResult = StepRun;

impl Runner {
    fn new() -> Runner {
        Runner {
            workspace: TempDir::new().unwrap(),
            temp: TempDir::new().unwrap(),
        }
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.workspace.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Runs `action/<script>` alone with `env` and PATH holding
    /// `path_dirs` then the system directories. The action itself runs
    /// through [`Runner::action`].
    fn run(&self, script: &str, env: &[(&str, &str)], path_dirs: &[&Path]) -> StepResult {
        let files = self.temp.path();
        let output_file = files.join("github_output");
        let summary_file = files.join("step_summary");
        let path_file = files.join("github_path");
        for file in [&output_file, &summary_file, &path_file] {
            fs::write(file, "").unwrap();
        }
        let runner_temp = files.join("runner_temp");
        fs::create_dir_all(&runner_temp).unwrap();

        let mut path: Vec<PathBuf> = path_dirs.iter().map(|p| p.to_path_buf()).collect();
        path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
        let mut command = Command::new("bash");
        command
            .arg(repo_root().join("action").join(script))
            .current_dir(self.workspace.path())
            .env_clear()
            .env("PATH", std::env::join_paths(path).unwrap())
            .env("HOME", files)
            .env("NO_COLOR", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_WORKSPACE", self.workspace.path())
            .env("GITHUB_ACTION_PATH", repo_root())
            .env("RUNNER_TEMP", &runner_temp)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64");
        for (name, value) in env {
            command.env(name, value);
        }
        let output: Output = command.output().expect("bash runs");
        StepRun::finished(&output, &output_file, &summary_file, &path_file)
    }

    /// The whole action, as the runner runs it, with `with` as the
    /// workflow's `with:` and the built katscan on PATH.
    fn action(&self, with: &[(&str, &str)]) -> JobRun {
        self.action_on(with, &[])
    }

    /// [`Runner::action`] for an event: `event` adds to the `github`
    /// context of a manual run (`workflow_dispatch`, no commits).
    fn action_on(&self, with: &[(&str, &str)], event: &[(&str, &str)]) -> JobRun {
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_katscan"));
        let mut github = vec![
            ("action_ref", "v0.1.0"),
            ("action_repository", "OWNER/katscan"),
            ("event.repository.default_branch", "main"),
        ];
        github.extend_from_slice(event);
        let job = run_action(&Job {
            workspace: self.workspace.path(),
            temp: self.temp.path(),
            with: with.to_vec(),
            github,
            env: Vec::new(),
            path_dirs: vec![bin.parent().unwrap().to_path_buf()],
            stop_after: None,
        });
        assert!(
            !job.everything().contains(SECRET),
            "the action printed a secret"
        );
        assert_eq!(job.step("locate").output("found"), "true");
        job
    }

    /// The action's scan step (see [`Runner::action`]).
    fn scan(&self, with: &[(&str, &str)]) -> StepResult {
        let mut job = self.action(with);
        let index = job.steps.iter().position(|s| s.id == "scan").unwrap();
        job.steps.swap_remove(index)
    }
}

impl StepResult {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}: {:?}\n{}", self.outputs, self.stderr))
    }

    fn annotations(&self, level: &str) -> Vec<&str> {
        let prefix = format!("::{level} ");
        self.stdout
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .collect()
    }
}

/// Distinct, random-looking public ids: `Zq7PwX2mLk9V` + `A`, `B`, ...
fn key_ids(count: usize) -> Vec<String> {
    (b'A'..)
        .take(count)
        .map(|c| format!("{KEY_ID}{}", c as char))
        .collect()
}

/// 13 keys (KAT001 errors) in 5 files and 2 wildcard origins (CORS001
/// warnings): more errors than GitHub shows annotations for.
fn runner_with_findings() -> Runner {
    let runner = Runner::new();
    let ids = key_ids(13);
    for (file, chunk) in ids.chunks(3).enumerate() {
        let text: String = chunk
            .iter()
            .map(|id| format!("KATALO_API_KEY={}\n", planted_key(id, SECRET)))
            .collect();
        runner.write(&format!("config/service{file}.env"), &text);
    }
    runner.write(
        "api/views.py",
        "def options(response):\n    response.headers[\"Access-Control-Allow-Origin\"] = \"*\"\n",
    );
    runner.write(
        "api/handler.py",
        "def cors(self):\n    self.set_header(\"Access-Control-Allow-Origin\", \"*\")\n",
    );
    runner
}

#[test]
fn the_scan_step_writes_sarif_outputs_capped_annotations_and_a_summary() {
    let runner = runner_with_findings();
    let step = runner.scan(&[]);
    assert_eq!(
        step.status, 0,
        "findings do not fail this step: {}",
        step.stderr
    );

    // Outputs: 13 + 2 findings; katscan's status is kept for the last step.
    assert_eq!(step.output("findings"), "15");
    assert_eq!(step.output("sarif-file"), "katscan.sarif");
    assert_eq!(step.output("sarif-written"), "true");
    assert_eq!(step.output("exit-code"), "1");

    // The SARIF report has every finding.
    let sarif: Value = serde_json::from_slice(
        &fs::read(runner.workspace.path().join("katscan.sarif")).expect("SARIF written"),
    )
    .expect("SARIF parses");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 15);

    // Ten annotations per level at most, then one notice for the rest.
    let errors = step.annotations("error");
    assert_eq!(errors.len(), 10, "{}", step.stdout);
    assert!(errors[0].starts_with("::error file=config/service0.env,line=1,col=16,"));
    assert_eq!(step.annotations("warning").len(), 2);
    let notices = step.annotations("notice");
    assert_eq!(notices.len(), 1, "{}", step.stdout);
    assert!(
        notices[0].contains("3 more findings are not shown")
            && notices[0].contains("katscan.sarif"),
        "{}",
        notices[0]
    );

    // The summary counts by rule and names the keys to revoke.
    let summary = &step.summary;
    assert!(summary.starts_with("## katscan: 15 findings (13 errors, 2 warnings, 0 notes)"));
    assert!(
        summary.contains("| KAT001 | live-key | error | 13 |"),
        "{summary}"
    );
    assert!(
        summary.contains("| CORS001 | wildcard-origin | warning | 2 |"),
        "{summary}"
    );
    for id in key_ids(13) {
        assert!(summary.contains(&id), "summary lacks key id {id}");
    }
    assert!(summary.contains("config/service4.env:1:16"), "{summary}");
}

#[test]
fn the_scan_step_on_a_clean_tree_succeeds() {
    let runner = Runner::new();
    runner.write("src/server.py", "KEY = os.environ[\"KATALO_API_KEY\"]\n");
    let step = runner.scan(&[]);
    assert_eq!(step.status, 0, "{}", step.stderr);
    assert_eq!(step.output("findings"), "0");
    assert_eq!(step.output("exit-code"), "0");
    assert_eq!(step.output("sarif-written"), "true");
    assert!(!step.stdout.contains("::error") && !step.stdout.contains("::notice"));
    assert!(
        step.summary.starts_with("## katscan: no findings"),
        "{}",
        step.summary
    );
}

#[test]
fn the_scan_step_honours_its_inputs() {
    let runner = runner_with_findings();
    runner.write(
        "docs and notes/leak.env",
        &format!("K={}\n", planted_key("Hv5Nq2Lx8TzR", SECRET)),
    );

    // fail-on error: the two CORS001 warnings alone would pass.
    let step = runner.scan(&[
        ("path", "api"),
        ("fail-on", "error"),
        ("sarif-file", "reports/out.sarif"),
    ]);
    assert_eq!(step.output("findings"), "2");
    assert_eq!(step.output("exit-code"), "0", "{}", step.stderr);
    assert_eq!(step.output("sarif-file"), "reports/out.sarif");
    assert!(runner.workspace.path().join("reports/out.sarif").is_file());

    // args are split like shell words: the quoted glob holds a space.
    let step = runner.scan(&[("args", "--exclude 'docs and notes/' --exclude api")]);
    assert_eq!(step.output("findings"), "13", "{}", step.stderr);
    let step = runner.scan(&[("args", "--exclude config --exclude api")]);
    assert_eq!(step.output("findings"), "1", "{}", step.stderr);
}

#[test]
fn the_scan_step_refuses_bad_inputs_before_scanning() {
    // Inputs are given as the workflow gives them (`with:`), so each one
    // reaches run.sh only if action.yml passes it: `upload-sarif: yes` was
    // silently skipped while the scan step's `env:` lacked it.
    let runner = runner_with_findings();
    for (input, value, complaint) in [
        ("args", "--no-redact", "--no-redact"),
        ("args", "-f json", "--format"),
        ("args", "--output=x.txt", "--output"),
        ("args", "--fail-on never", "fail-on input"),
        ("args", "--exclude 'unbalanced", "unbalanced quotes"),
        ("upload-sarif", "yes", "upload-sarif"),
        ("sarif-file", "a\nb.sarif", "line break"),
        // An input cannot smuggle in a workflow command of its own.
        ("upload-sarif", "yes\n::warning::injected", "upload-sarif"),
    ] {
        let job = runner.action(&[(input, value)]);
        let step = job.step("scan");
        assert_eq!(step.status, 2, "{input}={value:?}");
        assert!(
            step.stdout.contains("::error") && step.stdout.contains(complaint),
            "{input}={value:?}: {}",
            step.stdout
        );
        let commands = step.stdout.lines().filter(|l| l.starts_with("::"));
        assert_eq!(commands.count(), 1, "{input}={value:?}: {}", step.stdout);
        assert!(step.outputs.is_empty(), "{input}={value:?}");
        assert!(!runner.workspace.path().join("katscan.sarif").exists());
        // The job stops there: nothing is uploaded.
        assert!(job.failed, "{input}={value:?}");
        assert!(!upload_step(&job).ran, "{input}={value:?}");
    }
}

#[test]
fn upload_sarif_true_uploads_the_report_then_fails_the_job_on_findings() {
    let runner = runner_with_findings();
    let job = runner.action(&[("upload-sarif", "true"), ("sarif-file", "out/k.sarif")]);
    let upload = upload_step(&job);
    assert!(upload.ran, "upload-sarif: true must reach the upload step");
    assert_eq!(upload.with["sarif_file"], "out/k.sarif");
    assert_eq!(upload.with["category"], "katscan");
    assert!(runner.workspace.path().join("out/k.sarif").is_file());
    // Findings fail the job, after the upload.
    let last = job.steps.last().unwrap();
    assert!(last.ran && last.status == 1, "{}", last.stdout);
    assert!(job.failed);
}

#[test]
fn without_upload_sarif_nothing_is_uploaded() {
    let runner = runner_with_findings();
    for with in [&[][..], &[("upload-sarif", "false")][..]] {
        let job = runner.action(with);
        assert!(!upload_step(&job).ran, "{with:?}");
        assert_eq!(job.step("scan").output("sarif-written"), "true");
        assert!(job.failed, "findings still fail the job");
    }
    // A clean tree: the job succeeds, with the report uploaded when asked.
    let runner = Runner::new();
    runner.write("src/app.py", "KEY = os.environ[\"KATALO_API_KEY\"]\n");
    let job = runner.action(&[("upload-sarif", "true")]);
    assert!(upload_step(&job).ran);
    assert!(!job.failed);
    assert!(!job.steps.last().unwrap().ran, "no exit status to report");
}

fn upload_step(job: &JobRun) -> &StepRun {
    job.steps
        .iter()
        .find(|s| s.name == "Upload SARIF to code scanning")
        .expect("the upload step")
}

#[test]
fn every_input_reaches_a_step() {
    // The runner passes a composite action's inputs to nothing by itself:
    // each input must appear in some step's `env:` or `with:`.
    let action = yaml_file("action.yml");
    let wiring: String = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|step| [step["env"].to_string(), step["with"].to_string()])
        .collect();
    for name in action["inputs"].as_object().unwrap().keys() {
        assert!(
            wiring.contains(&format!("${{{{ inputs.{name} }}}}")),
            "input {name} is passed to no step"
        );
    }
}

#[test]
fn the_scan_step_reports_a_failed_scan_without_stopping() {
    let runner = runner_with_findings();
    // A stale report from an earlier step must not pass for this scan's.
    runner.write("katscan.sarif", "{}");
    let step = runner.scan(&[("path", "no/such/dir")]);
    assert_eq!(step.status, 0, "{}", step.stderr);
    assert_eq!(step.output("exit-code"), "2");
    assert_eq!(step.output("findings"), "0");
    assert_eq!(step.output("sarif-written"), "false");
    assert!(
        step.summary.contains("did not complete"),
        "{}",
        step.summary
    );
    assert!(step.stderr.contains("no/such/dir"), "{}", step.stderr);
}

#[test]
fn the_scan_step_needs_katscan() {
    let runner = Runner::new();
    let step = runner.run("run.sh", &[], &[]);
    assert_eq!(step.status, 2);
    assert!(
        step.stdout.contains("katscan is not on PATH"),
        "{}",
        step.stdout
    );
}

#[test]
fn locate_uses_katscan_from_path_when_present() {
    let runner = Runner::new();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_katscan"));
    let step = runner.run("locate.sh", &[], &[bin.parent().unwrap()]);
    assert_eq!(step.status, 0, "{}", step.stderr);
    assert_eq!(step.output("found"), "true");
    assert!(!step.outputs.contains_key("cache-key"));
    assert_eq!(step.path_additions, "");
}

#[test]
fn locate_keys_the_build_cache_on_the_action_source() {
    let runner = Runner::new();
    let step = runner.run("locate.sh", &[], &[]);
    assert_eq!(step.status, 0, "{}", step.stderr);
    assert_eq!(step.output("found"), "false");
    let root = step.output("install-root").to_string();
    assert!(
        root.starts_with(runner.temp.path().to_str().unwrap()),
        "{root}"
    );
    assert_eq!(step.path_additions, format!("{root}/bin\n"));
    let key = step.output("cache-key").to_string();
    let hash = key
        .strip_prefix("katscan-Linux-X64-")
        .unwrap_or_else(|| panic!("{key}"));
    assert_eq!(hash.len(), 32);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    // Same source, same key.
    assert_eq!(runner.run("locate.sh", &[], &[]).output("cache-key"), key);
}

// ---------------------------------------------------------------------------
// `--report FORMAT=FILE` and `--format markdown`

#[test]
fn extra_reports_come_from_the_same_scan() {
    let runner = runner_with_findings();
    let dir = runner.workspace.path();
    fs::create_dir(dir.join("out")).unwrap();
    let output = katscan()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(["--report", "sarif=out/k.sarif"])
        .args([
            "--report",
            "markdown=summary.md",
            "--report",
            "github=gh.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 1);
    let json: Value = serde_json::from_slice(&output.stdout).expect("the main report is on stdout");
    let sarif: Value = serde_json::from_slice(&fs::read(dir.join("out/k.sarif")).unwrap()).unwrap();
    let findings = json["findings"].as_array().unwrap().len();
    assert_eq!(findings, 15);
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        findings
    );
    let github = fs::read_to_string(dir.join("gh.txt")).unwrap();
    assert_eq!(github.lines().count(), findings);
    let markdown = fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        markdown.starts_with("## katscan: 15 findings"),
        "{markdown}"
    );
    for report in [&github, &markdown] {
        assert!(!report.contains(SECRET));
    }
}

#[test]
fn a_bad_report_target_is_a_usage_error() {
    let dir = TempDir::new().unwrap();
    for (value, message) in [
        ("sarif", "is not FORMAT=FILE"),
        ("xml=k.xml", "unknown format `xml`"),
        ("json=", "names no file"),
    ] {
        let output = katscan()
            .current_dir(dir.path())
            .args(["scan", "--report", value])
            .output()
            .unwrap();
        assert_eq!(exit_code(&output), 2, "{value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{value}: {stderr}");
    }
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--report", "sarif=missing/dir/k.sarif"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2);
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot write the report to missing/dir/k.sarif")
    );
}

#[test]
fn two_outputs_naming_one_file_are_a_usage_error_before_scanning() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "leak.env", format!("K={}\n", key()));
    fs::create_dir(dir.path().join("out")).unwrap();
    write(dir.path(), "existing.json", "keep\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink("existing.json", dir.path().join("link.json")).unwrap();
    let mut cases = vec![
        (
            vec!["-o", "k.json", "--report", "sarif=./k.json"],
            "`--output k.json` and `--report sarif=./k.json`",
        ),
        (
            vec!["--report", "sarif=out/k", "--report", "json=out/../out/k"],
            "`--report sarif=out/k` and `--report json=out/../out/k`",
        ),
        (
            vec!["--write-baseline", "b.toml", "--report", "json=b.toml"],
            "`--report json=b.toml` and `--write-baseline b.toml`",
        ),
        (
            vec!["--baseline", "existing.json", "-o", "existing.json"],
            "`--output existing.json` and `--baseline existing.json`",
        ),
    ];
    #[cfg(unix)]
    cases.push((
        vec!["-o", "existing.json", "--report", "json=link.json"],
        "`--output existing.json` and `--report json=link.json`",
    ));
    for (args, message) in cases {
        let output = katscan()
            .current_dir(dir.path())
            .arg("scan")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(exit_code(&output), 2, "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(message) && stderr.contains("name the same file"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("KAT001"), "nothing was scanned: {stderr}");
        assert_eq!(
            fs::read_to_string(dir.path().join("existing.json")).unwrap(),
            "keep\n"
        );
        for written in ["k.json", "out/k", "b.toml"] {
            assert!(!dir.path().join(written).exists(), "{args:?}: {written}");
        }
    }
    // Different files are fine, and so is a device that takes every report.
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "-o", "k.json", "--report", "sarif=out/k"])
        .args([
            "--report",
            "github=/dev/null",
            "--report",
            "markdown=/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 1, "{}", stdout_and_stderr(&output));
}

#[test]
fn markdown_lists_the_first_fifty_findings_and_counts_the_rest() {
    let dir = TempDir::new().unwrap();
    let ids: Vec<String> = (0..55).map(|i| format!("Wk{i:02}Rv7Qz")).collect();
    let text: String = ids
        .iter()
        .map(|id| format!("K={}\n", planted_key(id, SECRET)))
        .collect();
    fs::write(dir.path().join("keys.env"), text).unwrap();
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 1);
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(!markdown.contains(SECRET));
    assert!(
        markdown.contains("### Findings (first 50 of 55)"),
        "{markdown}"
    );
    assert!(markdown.contains("5 more not listed here"), "{markdown}");
    let rows = markdown
        .lines()
        .filter(|l| l.starts_with("| error | KAT001 live-key | keys.env:"))
        .count();
    assert_eq!(rows, 50);
    assert!(markdown.contains("| error | KAT001 live-key | keys.env:50:3 |"));
    assert!(!markdown.contains("keys.env:51:3"));
    // Every key to revoke is named, listed or not.
    for id in &ids {
        assert!(markdown.contains(id.as_str()), "{id} missing");
    }
}

#[test]
fn markdown_cannot_be_injected_through_file_names() {
    let dir = TempDir::new().unwrap();
    let name: OsString = "a|b<img src=x>[l](u).env".into();
    fs::write(
        dir.path().join(&name),
        format!("K={}\n", planted_key(KEY_ID, SECRET)),
    )
    .unwrap();
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--format", "markdown"])
        .output()
        .unwrap();
    let markdown = String::from_utf8(output.stdout).unwrap();
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| error |"))
        .unwrap_or_else(|| panic!("{markdown}"));
    assert_eq!(
        row.matches('|').count(),
        5,
        "four cells, no pipe from the name: {row}"
    );
    assert!(
        row.contains("a&#124;b&#60;img src=x&#62;&#91;l&#93;(u).env:1:3"),
        "{row}"
    );
    assert!(!markdown.contains("<img"));
}

// ---------------------------------------------------------------------------
// The event's commits (`history: auto`)

/// A workspace that is a git repository: a clean start on `main`, then a
/// commit adding a key and one removing it. Returns the runner and the
/// three commits.
fn runner_with_a_key_added_and_removed() -> (Runner, [String; 3]) {
    let runner = Runner::new();
    let root = runner.workspace.path();
    crate::staged::git(root, &["init", "-q", "-b", "main"]);
    crate::staged::git(root, &["config", "user.name", "t"]);
    crate::staged::git(root, &["config", "user.email", "t@katscan.invalid"]);
    crate::staged::git(root, &["config", "commit.gpgsign", "false"]);
    let commit = |message: &str| {
        crate::staged::git(root, &["add", "-A"]);
        crate::staged::git(root, &["commit", "-q", "-m", message]);
        let head = Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(root)
            .output()
            .unwrap();
        String::from_utf8(head.stdout).unwrap().trim().to_string()
    };
    runner.write("README.md", "# app\n");
    let base = commit("start");
    runner.write(
        "config.env",
        &format!("KATALO_API_KEY={}\n", planted_key(KEY_ID, SECRET)),
    );
    let added = commit("add key");
    fs::remove_file(root.join("config.env")).unwrap();
    let removed = commit("remove key");
    (runner, [base, added, removed])
}

#[test]
fn a_pull_request_that_adds_then_removes_a_key_fails_the_job() {
    let (runner, [base, added, removed]) = runner_with_a_key_added_and_removed();
    let event = [
        ("event_name", "pull_request"),
        ("event.pull_request.base.sha", base.as_str()),
        ("event.pull_request.head.sha", removed.as_str()),
    ];
    let job = runner.action_on(&[], &event);
    assert!(
        job.failed,
        "the key in the pull request's commits fails the job"
    );
    let scan = job.step("scan");
    assert_eq!(scan.output("exit-code"), "1", "{}", scan.stderr);
    assert_eq!(scan.output("findings"), "1");
    let errors = scan.annotations("error");
    assert_eq!(errors.len(), 1, "{}", scan.stdout);
    assert!(
        errors[0].contains("file=config.env,line=1"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains(&format!("introduced in {}", &added[..7])),
        "{}",
        errors[0]
    );
    assert!(
        scan.summary
            .contains(&format!("### Commits {base}..{removed}")),
        "{}",
        scan.summary
    );
    let sarif: Value = serde_json::from_str(
        &fs::read_to_string(runner.workspace.path().join("katscan-history.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["commit"]["id"],
        added.as_str()
    );

    // A push of the same commits fails the same way.
    let push = [
        ("event_name", "push"),
        ("event.before", base.as_str()),
        ("event.after", removed.as_str()),
    ];
    let job = runner.action_on(&[], &push);
    assert_eq!(job.step("scan").output("exit-code"), "1");
    // A push of only the removal passes; so does `history: false`.
    let push = [
        ("event_name", "push"),
        ("event.before", added.as_str()),
        ("event.after", removed.as_str()),
    ];
    assert!(!runner.action_on(&[], &push).failed);
    assert!(!runner.action_on(&[("history", "false")], &event).failed);
}

#[test]
fn a_checkout_too_shallow_for_the_pull_request_says_so_and_fails() {
    let (upstream, [base, _, removed]) = runner_with_a_key_added_and_removed();
    let runner = Runner::new();
    let url = format!("file://{}", upstream.workspace.path().display());
    crate::staged::git(
        runner.workspace.path(),
        &["clone", "-q", "--depth", "1", &url, "."],
    );
    let event = [
        ("event_name", "pull_request"),
        ("event.pull_request.base.sha", base.as_str()),
        ("event.pull_request.head.sha", removed.as_str()),
    ];
    let job = runner.action_on(&[], &event);
    assert!(job.failed);
    let scan = job.step("scan");
    assert_eq!(scan.output("exit-code"), "2");
    let errors = scan.annotations("error");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("too shallow") && e.contains("fetch-depth: 0")),
        "{}",
        scan.stdout
    );
    assert!(!runner.action_on(&[("history", "false")], &event).failed);
}

#[test]
fn the_pre_push_hook_entry_scans_the_range_pre_commit_names() {
    // The entry as pre-commit runs it: split like a shell, with the refs
    // of the push in the environment.
    let (runner, [base, added, removed]) = runner_with_a_key_added_and_removed();
    let hooks = yaml_file(".pre-commit-hooks.yaml");
    let entry = hooks[2]["entry"].as_str().unwrap();
    let words: Vec<String> = {
        let split = Command::new("sh")
            .arg("-c")
            .arg(format!("for w in {entry}; do printf '%s\\0' \"$w\"; done"))
            .output()
            .unwrap();
        String::from_utf8(split.stdout)
            .unwrap()
            .split('\0')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    assert_eq!(words[0], "sh");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_katscan"));
    let mut path = OsString::from(bin.parent().unwrap());
    path.push(":/usr/bin:/bin");
    let run = |from: &str, to: &str| {
        let output = Command::new(&words[0])
            .args(&words[1..])
            .current_dir(runner.workspace.path())
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env("PRE_COMMIT_FROM_REF", from)
            .env("PRE_COMMIT_TO_REF", to)
            .output()
            .unwrap();
        exit_code(&output)
    };
    assert_eq!(run(&base, &removed), 1, "the pushed commits held a key");
    assert_eq!(run(&added, &removed), 0, "the removal alone is clean");
    assert_eq!(run("", &removed), 1, "no FROM_REF: all of TO_REF's history");
}
