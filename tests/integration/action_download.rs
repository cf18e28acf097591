//! The action's prebuilt-binary path (`action/download.sh`), run through
//! action.yml as the runner runs it, against release assets served from
//! 127.0.0.1: a good binary installs and scans, a wrong checksum is a hard
//! error with nothing installed, a missing release or asset and a server
//! that never answers fall back to building from source.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use crate::runner::{Job, JobRun, run_action};
use crate::support::{SECRET, planted_key, repo_root};

const TARGET: &str = "x86_64-unknown-linux-musl";
const ASSET: &str = "katscan-x86_64-unknown-linux-musl";

/// How the local release server answers.
#[derive(Clone, Copy, PartialEq)]
enum Serving {
    Files,
    /// Accepts connections and never answers.
    Silence,
}

/// A release server on 127.0.0.1: `GET /<tag>/<file>` from `files`, 404
/// for anything else. Returns the base URL.
fn serve(files: BTreeMap<String, Vec<u8>>, serving: Serving) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let files = Arc::new(files);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let files = Arc::clone(&files);
            thread::spawn(move || answer(stream, &files, serving));
        }
    });
    base
}

fn answer(mut stream: TcpStream, files: &BTreeMap<String, Vec<u8>>, serving: Serving) {
    if serving == Serving::Silence {
        // Hold the connection open past curl's limit.
        thread::sleep(Duration::from_secs(60));
        return;
    }
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buffer[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request);
    let path = request.split(' ').nth(1).unwrap_or("");
    let response = match files.get(path) {
        Some(body) => {
            let mut response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            response.extend_from_slice(body);
            response
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    let _ = stream.write_all(&response);
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The version the action's source declares, as download.sh reads it.
fn version() -> String {
    let manifest: toml::Table = fs::read_to_string(repo_root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    manifest["package"]["version"].as_str().unwrap().to_string()
}

/// A stand-in release binary: a script that runs the katscan under test
/// (small to serve, and it proves the installed file is what runs).
fn release_binary() -> Vec<u8> {
    format!(
        "#!/bin/sh\nexec '{}' \"$@\"\n",
        env!("CARGO_BIN_EXE_katscan")
    )
    .into_bytes()
}

/// A release `tag` holding `binary` (if any), its SHA256SUMS line
/// (`checksum_of` is what the line claims) and COMMIT.
fn release(
    tag: &str,
    binary: Option<&[u8]>,
    checksum_of: &[u8],
    commit: &str,
) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert(
        format!("/{tag}/SHA256SUMS"),
        format!(
            "{}  {ASSET}\n{}  katscan-aarch64-apple-darwin\n",
            sha256_hex(checksum_of),
            sha256_hex(b"another platform")
        )
        .into_bytes(),
    );
    files.insert(format!("/{tag}/COMMIT"), format!("{commit}\n").into_bytes());
    if let Some(binary) = binary {
        files.insert(format!("/{tag}/{ASSET}"), binary.to_vec());
    }
    files
}

struct Setup {
    workspace: TempDir,
    temp: TempDir,
}

impl Setup {
    fn new() -> Setup {
        let setup = Setup {
            workspace: TempDir::new().unwrap(),
            temp: TempDir::new().unwrap(),
        };
        let leak = format!("KATALO_API_KEY={}\n", planted_key("Rv3Tn8Qw2Lx5", SECRET));
        fs::write(setup.workspace.path().join("app.env"), leak).unwrap();
        setup
    }

    fn install_root(&self) -> PathBuf {
        self.temp.path().join("runner/temp/katscan-action")
    }

    /// The action with no katscan on PATH, `action_ref` as its ref and
    /// releases served from `base`. Stops before the build from source
    /// (`stop_after`), which would compile katscan.
    fn run(&self, action_ref: &str, base: &str, timeout: &str, stop_after: &str) -> JobRun {
        let job = run_action(&Job {
            workspace: self.workspace.path(),
            temp: self.temp.path(),
            with: vec![],
            github: vec![
                ("action_ref", action_ref),
                ("action_repository", "OWNER/katscan"),
            ],
            env: vec![
                ("KATSCAN_RELEASES_URL", base.to_string()),
                ("KATSCAN_DOWNLOAD_TIMEOUT", timeout.to_string()),
            ],
            path_dirs: vec![],
            stop_after: Some(stop_after),
        });
        assert_eq!(job.step("locate").outputs["found"], "false");
        assert!(!job.everything().contains(SECRET));
        job
    }
}

fn installed(root: &Path) -> bool {
    root.join("bin/katscan").exists()
}

#[test]
fn a_verified_release_binary_is_installed_and_scans() {
    let tag = format!("v{}", version());
    let binary = release_binary();
    let base = serve(
        release(&tag, Some(&binary), &binary, "unused"),
        Serving::Files,
    );
    let setup = Setup::new();
    let job = setup.run(&tag, &base, "20", "scan");

    let download = job.step("download");
    assert_eq!(download.status, 0, "{}{}", download.stdout, download.stderr);
    assert_eq!(download.outputs["downloaded"], "true");
    assert!(
        download.stdout.contains("SHA-256 verified") && download.stdout.contains(TARGET),
        "{}",
        download.stdout
    );
    let binary_file = setup.install_root().join("bin/katscan");
    assert_eq!(fs::read(&binary_file).unwrap(), binary);
    assert!(fs::metadata(&binary_file).unwrap().permissions().mode() & 0o111 != 0);
    // No cache, no build: the scan runs the downloaded binary from PATH.
    assert!(!job.step("cache").ran);
    let scan = job.step("scan");
    assert_eq!(scan.outputs["findings"], "1", "{}", scan.stderr);
    assert_eq!(scan.outputs["exit-code"], "1");
}

#[test]
fn a_commit_ref_uses_the_release_built_from_that_commit() {
    let tag = format!("v{}", version());
    let binary = release_binary();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let base = serve(
        release(&tag, Some(&binary), &binary, commit),
        Serving::Files,
    );

    let setup = Setup::new();
    let job = setup.run(commit, &base, "20", "download");
    assert_eq!(job.step("download").outputs["downloaded"], "true");
    assert!(installed(&setup.install_root()));

    // Another commit (between releases): its source may differ from the
    // release, so it is built.
    let setup = Setup::new();
    let other = "fedcba9876543210fedcba9876543210fedcba98";
    let job = setup.run(other, &base, "20", "cache");
    let download = job.step("download");
    assert_eq!(download.outputs["downloaded"], "false");
    assert!(download.stdout.contains("no prebuilt binary"));
    assert!(download.stdout.contains(commit), "{}", download.stdout);
    assert!(job.step("cache").ran, "falls back to the build");
    assert!(!installed(&setup.install_root()));
}

#[test]
fn a_wrong_checksum_is_a_hard_error_and_nothing_is_installed() {
    let tag = format!("v{}", version());
    let binary = release_binary();
    let base = serve(
        release(&tag, Some(&binary), b"what the release built", "unused"),
        Serving::Files,
    );
    let setup = Setup::new();
    let job = setup.run(&tag, &base, "20", "scan");

    let download = job.step("download");
    assert_eq!(download.status, 2, "{}", download.stdout);
    assert!(
        download
            .stdout
            .starts_with("::error title=katscan action::")
            && download.stdout.contains("not installed, not run"),
        "{}",
        download.stdout
    );
    assert!(!installed(&setup.install_root()));
    // The job stops: no build hides the tampered download, no scan runs.
    assert!(job.failed);
    assert!(!job.step("cache").ran && !job.step("scan").ran);
}

#[test]
fn a_missing_release_or_asset_falls_back_to_building() {
    let version = version();
    let tag = format!("v{version}");
    let binary = release_binary();
    let cases = [
        // No release at all for this tag.
        (BTreeMap::new(), "404"),
        // A release without this platform's binary in SHA256SUMS.
        (
            release(&tag, None, &binary, "unused")
                .into_iter()
                .map(|(path, body)| {
                    let sums = String::from_utf8(body).unwrap().replace(ASSET, "other");
                    (path, sums.into_bytes())
                })
                .collect(),
            "lists no katscan-x86_64-unknown-linux-musl",
        ),
        // Listed, but the asset itself is missing.
        (release(&tag, None, &binary, "unused"), "404"),
    ];
    for (files, reason) in cases {
        let base = serve(files, Serving::Files);
        let setup = Setup::new();
        let job = setup.run(&tag, &base, "20", "cache");
        let download = job.step("download");
        assert_eq!(download.status, 0, "{}", download.stderr);
        assert_eq!(download.outputs["downloaded"], "false");
        assert!(
            download
                .stdout
                .starts_with("katscan action: no prebuilt binary")
                && download.stdout.contains(reason),
            "{reason}: {}",
            download.stdout
        );
        assert!(!installed(&setup.install_root()));
        assert!(job.step("cache").ran, "{reason}: falls back to the build");
    }

    // A ref that has no release of its own: a branch, a moving major tag.
    let base = serve(release(&tag, Some(&binary), &binary, "x"), Serving::Files);
    for action_ref in ["main", "v1", "v99.0.0"] {
        let setup = Setup::new();
        let job = setup.run(action_ref, &base, "20", "cache");
        let download = job.step("download");
        assert_eq!(download.outputs["downloaded"], "false", "{action_ref}");
        assert!(
            download
                .stdout
                .contains(&format!("not its release tag v{version}")),
            "{}",
            download.stdout
        );
        assert!(!installed(&setup.install_root()));
    }
}

#[test]
fn a_server_that_never_answers_is_bounded_by_the_timeout_then_falls_back() {
    let tag = format!("v{}", version());
    let base = serve(BTreeMap::new(), Serving::Silence);
    let setup = Setup::new();
    let started = Instant::now();
    let job = setup.run(&tag, &base, "1", "cache");
    let elapsed = started.elapsed();

    let download = job.step("download");
    assert_eq!(download.status, 0, "{}", download.stderr);
    assert_eq!(download.outputs["downloaded"], "false");
    assert!(
        download.stdout.contains("no prebuilt binary")
            && download.stdout.contains("could not download"),
        "{}",
        download.stdout
    );
    // Three attempts of one second each, one second apart: bounded, well
    // under the 60 s the server holds the connection.
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    assert!(!installed(&setup.install_root()));
    assert!(job.step("cache").ran);
}

#[test]
fn without_the_context_the_ref_is_read_from_the_action_path() {
    // Where the runner unpacks `uses: OWNER/katscan@<ref>`, for when
    // `github.action_ref` is empty (actions/runner#2473).
    let tag = format!("v{}", version());
    let binary = release_binary();
    let base = serve(
        release(&tag, Some(&binary), &binary, "unused"),
        Serving::Files,
    );
    let temp = TempDir::new().unwrap();
    let action_path = temp.path().join("work/_actions/OWNER/katscan").join(&tag);
    fs::create_dir_all(&action_path).unwrap();
    fs::copy(
        repo_root().join("Cargo.toml"),
        action_path.join("Cargo.toml"),
    )
    .unwrap();
    let output_file = temp.path().join("output");
    let install_root = temp.path().join("install");
    let status = std::process::Command::new("bash")
        .arg(repo_root().join("action/download.sh"))
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_ACTION_PATH", &action_path)
        .env("KATSCAN_INSTALL_ROOT", &install_root)
        .env("KATSCAN_ACTION_REF", "")
        .env("KATSCAN_ACTION_REPOSITORY", "")
        .env("KATSCAN_RELEASES_URL", &base)
        .env("RUNNER_TEMP", temp.path())
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        fs::read_to_string(&output_file).unwrap(),
        "downloaded=true\n"
    );
    assert!(installed(&install_root));
}
