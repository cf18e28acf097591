//! The workflows katscan ships or documents: the release workflow, the
//! organisation sweep example and the README's workflow. Each is valid
//! against SchemaStore's workflow schema, pins third-party actions by
//! commit, grants the least permissions, and agrees with the Action's
//! download (asset names) and with `[package.metadata.binstall]`.

use std::collections::BTreeSet;
use std::fs;

use serde_json::{Value, json};

use crate::support::{repo_root, schema_file};

/// Third-party actions and the commits they are pinned to, each read from
/// the action's repository (the tag's commit, not a tag object).
const PINS: &[(&str, &str, &str)] = &[
    (
        "actions/checkout",
        "3d3c42e5aac5ba805825da76410c181273ba90b1",
        "v7.0.1",
    ),
    (
        "actions/cache",
        "27d5ce7f107fe9357f9df03efb73ab90386fccae",
        "v5.0.5",
    ),
    (
        "actions/upload-artifact",
        "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
        "v7.0.0",
    ),
    (
        "actions/download-artifact",
        "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
        "v8.0.1",
    ),
    (
        "github/codeql-action/upload-sarif",
        "8aad20d150bbac5944a9f9d289da16a4b0d87c1e",
        "v4.36.2",
    ),
];

const TARGETS: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn text(relative: &str) -> String {
    fs::read_to_string(repo_root().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn parse(name: &str, text: &str) -> Value {
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

fn version() -> String {
    let manifest: toml::Table = text("Cargo.toml").parse().unwrap();
    manifest["package"]["version"].as_str().unwrap().to_string()
}

fn assert_valid_workflow(name: &str, workflow: &Value) {
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(schema_file("github-workflow.json")).expect("workflow schema"),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(workflow)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
}

/// Every step of every job.
fn steps(workflow: &Value) -> Vec<&Value> {
    workflow["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|job| job["steps"].as_array().into_iter().flatten())
        .collect()
}

/// Third-party `uses:` are pinned to a known commit with its version in a
/// comment on the same line; katscan itself is used by its repository
/// path at the release tag of this version.
fn assert_pinned(name: &str, source: &str, workflow: &Value) {
    let release = format!("OWNER/katscan@v{}", version());
    for step in steps(workflow) {
        let Some(uses) = step["uses"].as_str() else {
            continue;
        };
        if uses.starts_with("OWNER/katscan@") {
            assert_eq!(uses, release, "{name}");
            continue;
        }
        let (action, sha) = uses.split_once('@').unwrap();
        let (_, pinned, tag) = PINS
            .iter()
            .find(|(known, _, _)| *known == action)
            .unwrap_or_else(|| panic!("{name}: {action} is not a known pinned action"));
        assert_eq!(sha, *pinned, "{name}: {action}");
        assert!(
            source.contains(&format!("uses: {uses} # {tag}\n")),
            "{name}: {uses} without `# {tag}`"
        );
    }
}

/// Expressions reach scripts only through `env:` (no template injection).
fn assert_no_expressions_in_scripts(name: &str, workflow: &Value) {
    for step in steps(workflow) {
        if let Some(script) = step["run"].as_str() {
            assert!(!script.contains("${{"), "{name}: {script}");
        }
    }
}

fn assert_checkouts_keep_no_credentials(name: &str, workflow: &Value) {
    for step in steps(workflow) {
        if step["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/checkout@"))
        {
            assert_eq!(
                step["with"]["persist-credentials"], false,
                "{name}: checkout keeps its token in .git/config"
            );
        }
    }
}

#[test]
fn the_release_workflow_builds_every_platform_with_least_privilege() {
    let source = text(".github/workflows/release.yml");
    let workflow = parse("release.yml", &source);
    assert_valid_workflow("release.yml", &workflow);
    assert_pinned("release.yml", &source, &workflow);
    assert_no_expressions_in_scripts("release.yml", &workflow);
    assert_checkouts_keep_no_credentials("release.yml", &workflow);

    assert_eq!(
        workflow["on"],
        json!({"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}})
    );
    // Nothing by default; the builds read, only publishing writes.
    assert_eq!(workflow["permissions"], json!({}));
    assert_eq!(
        workflow["jobs"]["build"]["permissions"],
        json!({"contents": "read"})
    );
    assert_eq!(
        workflow["jobs"]["publish"]["permissions"],
        json!({"contents": "write"})
    );
    assert_eq!(workflow["jobs"]["publish"]["needs"], "build");

    let built: BTreeSet<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    assert_eq!(built, TARGETS.iter().copied().collect());

    // The assets, their checksums and their commit: what download.sh reads.
    assert!(source.contains(
        r#"cp "target/$TARGET/release/katscan$extension" "dist/katscan-$TARGET$extension""#
    ));
    assert!(source.contains("sha256sum katscan-* > SHA256SUMS"));
    assert!(source.contains(r#"echo "$GITHUB_SHA" > COMMIT"#));
    assert!(source.contains("cargo build --release --locked"));
}

#[test]
fn the_action_downloads_what_the_release_publishes() {
    let script = text("action/download.sh");
    for target in TARGETS {
        assert!(
            script.contains(&format!("target={target} ;;")),
            "download.sh does not map a runner to {target}"
        );
    }
    assert!(script.contains(r#"asset="katscan-$target$extension""#));
    for file in ["SHA256SUMS", "COMMIT"] {
        assert!(script.contains(&format!("fetch {file}")), "{file}");
    }
    // Timeouts keep a dead server from holding the job.
    assert!(script.contains("--max-time") && script.contains("--connect-timeout"));
}

#[test]
fn binstall_metadata_points_at_the_release_assets() {
    let manifest: toml::Table = text("Cargo.toml").parse().unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    assert_eq!(binstall["pkg-fmt"].as_str(), Some("bin"));
    assert_eq!(binstall["bin-dir"].as_str(), Some("{ bin }{ binary-ext }"));
    let version = version();
    for target in TARGETS {
        let extension = if target.contains("windows") {
            ".exe"
        } else {
            ""
        };
        let url = binstall["pkg-url"]
            .as_str()
            .unwrap()
            .replace("{ repo }", "https://github.com/OWNER/katscan")
            .replace("{ version }", &version)
            .replace("{ name }", "katscan")
            .replace("{ target }", target)
            .replace("{ binary-ext }", extension);
        assert_eq!(
            url,
            format!(
                "https://github.com/OWNER/katscan/releases/download/v{version}/katscan-{target}{extension}"
            )
        );
    }
}

#[test]
fn the_org_sweep_example_is_a_reusable_workflow_with_one_report_per_repository() {
    let source = text("examples/org-sweep.yml");
    let workflow = parse("org-sweep.yml", &source);
    assert_valid_workflow("org-sweep.yml", &workflow);
    assert_pinned("org-sweep.yml", &source, &workflow);
    assert_no_expressions_in_scripts("org-sweep.yml", &workflow);
    assert_checkouts_keep_no_credentials("org-sweep.yml", &workflow);

    let call = &workflow["on"]["workflow_call"];
    assert!(call.is_object(), "on: workflow_call");
    assert_eq!(call["secrets"]["token"]["required"], true);
    assert_eq!(workflow["permissions"], json!({}));
    for job in workflow["jobs"].as_object().unwrap().values() {
        assert_eq!(job["permissions"], json!({}), "the token is the secret");
    }

    // One job per repository.
    let scan = &workflow["jobs"]["scan"];
    assert_eq!(
        scan["strategy"]["matrix"]["repository"],
        "${{ fromJSON(needs.list.outputs.repositories) }}"
    );
    assert_eq!(scan["strategy"]["fail-fast"], false);
    let steps = scan["steps"].as_array().unwrap();
    assert_eq!(steps[0]["with"]["repository"], "${{ matrix.repository }}");
    let katscan = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("OWNER/katscan@"))
        })
        .expect("the sweep runs the katscan action");
    assert_eq!(katscan["with"]["upload-sarif"], "false");
    assert_eq!(katscan["with"]["sarif-file"], "katscan.sarif");

    // Each report goes to its own repository's code scanning, under a
    // category per repository.
    let upload = steps
        .iter()
        .find_map(|s| {
            s["run"]
                .as_str()
                .filter(|r| r.contains("code-scanning/sarifs"))
        })
        .expect("an upload step");
    assert!(upload.contains(r#""repos/$REPOSITORY/code-scanning/sarifs""#));
    assert!(upload.contains(r#"category="katscan-sweep/$REPOSITORY/""#));
    assert!(upload.contains(".runs[].automationDetails.id = $id"));
}

/// The README's workflow example (the block under `.github/workflows/katscan.yml`).
fn readme_workflow() -> String {
    let readme = text("README.md");
    let start = readme
        .find("```yaml\n# .github/workflows/katscan.yml\n")
        .expect("the README's workflow example")
        + "```yaml\n".len();
    let end = readme[start..].find("```").unwrap() + start;
    readme[start..end].to_string()
}

#[test]
fn the_readme_workflow_grants_security_events_only_to_the_uploading_job() {
    let source = readme_workflow();
    let workflow = parse("README workflow", &source);
    assert_valid_workflow("README workflow", &workflow);
    assert_pinned("README workflow", &source, &workflow);
    assert_checkouts_keep_no_credentials("README workflow", &workflow);
    assert_eq!(workflow["permissions"], json!({}));

    let jobs = workflow["jobs"].as_object().unwrap();
    let mut uploading = 0;
    for (name, job) in jobs {
        let uploads = job["steps"].as_array().unwrap().iter().any(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("OWNER/katscan@"))
                && s["with"]["upload-sarif"] == "true"
        });
        let writes = job["permissions"]["security-events"] == "write";
        assert_eq!(uploads, writes, "job {name}");
        if uploads {
            uploading += 1;
            // Not on pull requests, whose tokens from forks are read-only.
            assert_eq!(job["if"], "github.event_name == 'push'", "job {name}");
        }
        assert_eq!(job["permissions"]["contents"], "read", "job {name}");
    }
    assert_eq!(uploading, 1);
}
