//! Client exposure (KAT002 key-in-client-code, KAT003 public-env-var,
//! KAT004 direct-browser-call) over realistic projects under
//! `fixtures/client-*/`: every expected finding and nothing else.
//!
//! Each project mixes the leaks with their correct counterparts: server
//! components, route handlers, API routes, middleware and server hooks that
//! read `KATALO_API_KEY` and call `api.katalo.ai`; links to `docs.katalo.ai`;
//! public env vars that are not Katalo keys; keys in server files (KAT001,
//! never KAT002).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{
    assert_fixture_findings, expected, fixture, katscan, locations, planted_key, repo_root,
    scan_json, stdout_and_stderr,
};

const VITE_CHUNK: &str = "dist/assets/index-C4xNq2Lb.js";
const VITE_MAP: &str = "dist/assets/index-C4xNq2Lb.js.map";

/// The committed build output of `fixtures/client-vite` (`dist/` is in the
/// fixture's own `.gitignore`, as in every Vite project, but tracked).
const VITE_DIST_FINDINGS: &[(&str, u64, &str)] = &[
    // One minified line: the hard-coded key, the fetch, the VITE_ key Vite
    // inlined from .env, the WebSocket.
    (VITE_CHUNK, 1, "KAT002"),
    (VITE_CHUNK, 1, "KAT004"),
    (VITE_CHUNK, 1, "KAT002"),
    (VITE_CHUNK, 1, "KAT004"),
    // `sourcesContent`, one source per line, as escaped JSON strings: the
    // key of src/config.ts, then the fetch and Bearer header of
    // src/lib/katalo.ts and the WebSocket of src/hooks/useStockUpdates.ts
    // (the map publishes that code too).
    (VITE_MAP, 16, "KAT002"),
    (VITE_MAP, 17, "KAT004"),
    (VITE_MAP, 17, "KAT004"),
    (VITE_MAP, 18, "KAT004"),
];

/// What a scan of `fixtures/client-vite` finds outside `dist/`.
const VITE_SOURCE_FINDINGS: &[(&str, u64, &str)] = &[
    // A committed .env: the VITE_ name is inlined into the bundle (KAT003)
    // and the key is in git (KAT001); the .env file itself is not shipped.
    (".env", 2, "KAT003"),
    (".env", 2, "KAT001"),
    (".env", 5, "KAT001"),
    // Everything under src/ of a Vite SPA ships, .ts modules included.
    ("src/config.ts", 5, "KAT002"),
    ("src/hooks/useStockUpdates.ts", 8, "KAT003"),
    ("src/hooks/useStockUpdates.ts", 9, "KAT004"),
    ("src/lib/katalo.ts", 6, "KAT004"),
    // Bearer from a Katalo key variable.
    ("src/lib/katalo.ts", 7, "KAT004"),
    // `envPrefix` admitting KATALO_, `define` of process.env.KATALO_API_KEY;
    // the dev-server proxy that adds the key runs in Node and is fine.
    ("vite.config.ts", 9, "KAT003"),
    ("vite.config.ts", 12, "KAT003"),
];

#[test]
fn nextjs_app_router_pages_router_config_and_env() {
    assert_fixture_findings(
        "client-nextjs",
        &[
            // Server key in a committed .env.local: in git, not shipped.
            (".env.local", 3, "KAT001"),
            (".env.local", 6, "KAT003"),
            (".env.local", 6, "KAT001"),
            // "use client" component: key, fetch, Bearer from the key.
            ("app/components/ProductSearch.tsx", 5, "KAT002"),
            ("app/components/ProductSearch.tsx", 14, "KAT004"),
            ("app/components/ProductSearch.tsx", 15, "KAT004"),
            // `env: { KATALO_API_KEY }` inlines the server key; SITE_URL does not matter.
            ("next.config.js", 10, "KAT003"),
            // pages/ is client (pages/api/ is not).
            ("pages/index.tsx", 5, "KAT003"),
            ("pages/index.tsx", 13, "KAT004"),
        ],
    );
}

// The fixture's own `.gitignore` lists `dist` (tracked with `git add -f`);
// git ignore files apply inside a git checkout, which this test assumes.
#[test]
fn vite_spa_sources_and_env_without_its_gitignored_dist() {
    assert_fixture_findings("client-vite", VITE_SOURCE_FINDINGS);
}

#[test]
fn sveltekit_pages_are_client_server_files_are_not() {
    assert_fixture_findings(
        "client-sveltekit",
        &[
            (".env", 2, "KAT001"),
            (".env", 5, "KAT003"),
            (".env", 5, "KAT001"),
            // `import { PUBLIC_KATALO_API_KEY } from '$env/static/public'`.
            ("src/lib/components/Search.svelte", 2, "KAT003"),
            ("src/lib/components/Search.svelte", 8, "KAT004"),
            // The Bearer header (KAT004) from the public variable (KAT003 again).
            ("src/lib/components/Search.svelte", 9, "KAT004"),
            ("src/lib/components/Search.svelte", 9, "KAT003"),
            ("src/routes/+page.svelte", 7, "KAT002"),
            // A key in a `+server.ts` endpoint is leaked to git, not to browsers.
            ("src/routes/api/products/+server.ts", 7, "KAT001"),
        ],
    );
}

#[test]
fn expo_app_config_eas_profiles_and_screens() {
    assert_fixture_findings(
        "client-expo",
        &[
            // `extra` is compiled into the app: the name and the key.
            ("app.json", 16, "KAT003"),
            ("app.json", 16, "KAT002"),
            ("app/(tabs)/index.tsx", 7, "KAT003"),
            ("app/(tabs)/index.tsx", 13, "KAT004"),
            ("app/(tabs)/index.tsx", 14, "KAT004"),
            ("eas.json", 15, "KAT003"),
            ("eas.json", 15, "KAT002"),
            // The API route app/api/search+api.ts runs on the server.
            ("lib/shop-api.ts", 13, "KAT004"),
        ],
    );
}

#[test]
fn android_resources_manifest_build_config_and_gradle_properties() {
    assert_fixture_findings(
        "client-android",
        &[
            ("app/build.gradle.kts", 25, "KAT002"),
            ("app/src/main/AndroidManifest.xml", 13, "KAT002"),
            // OkHttp `.url("https://api.katalo.ai/…")` from the app.
            (
                "app/src/main/java/com/example/shop/KataloClient.kt",
                11,
                "KAT004",
            ),
            // `"Bearer ${BuildConfig.KATALO_API_KEY}"` in an OkHttp request.
            (
                "app/src/main/java/com/example/shop/KataloClient.kt",
                12,
                "KAT004",
            ),
            ("app/src/main/res/values/strings.xml", 4, "KAT002"),
            ("gradle.properties", 6, "KAT002"),
        ],
    );
}

#[test]
fn ios_swift_objective_c_and_xcconfig() {
    // Info.plist only names `$(KATALO_API_KEY)`; the CI script writes the
    // key from the environment.
    assert_fixture_findings(
        "client-ios",
        &[
            ("Config.xcconfig", 5, "KAT002"),
            ("KataloShop/Legacy/KTLAnalytics.m", 4, "KAT002"),
            ("KataloShop/Services/KataloService.swift", 7, "KAT002"),
            // `URL(string: "https://api.katalo.ai/…")`.
            ("KataloShop/Services/KataloService.swift", 11, "KAT004"),
        ],
    );
}

#[test]
fn flutter_lib_is_client_a_dart_server_beside_it_is_not() {
    assert_fixture_findings(
        "client-flutter",
        &[
            // `http.get(Uri.parse('https://api.katalo.ai/…'))` from the app.
            ("lib/api.dart", 11, "KAT004"),
            ("lib/main.dart", 5, "KAT002"),
            // server/ has its own pubspec without flutter: its lib/ is a backend.
            ("server/lib/katalo_proxy.dart", 5, "KAT001"),
        ],
    );
}

#[test]
fn browser_extension_popup_and_service_worker() {
    assert_fixture_findings(
        "client-extension",
        &[
            ("background.js", 6, "KAT004"),
            ("popup.js", 1, "KAT002"),
            // The URL built on line 4 is fetched on line 5 with the key.
            ("popup.js", 4, "KAT004"),
            ("popup.js", 5, "KAT004"),
        ],
    );
}

#[test]
fn express_backend_with_static_public_files_is_only_kat001() {
    // src/ of a server project is not an SPA; public/app.js calls the
    // project's own backend.
    assert_fixture_findings("client-server-only", &[("src/server.ts", 6, "KAT001")]);
}

#[test]
fn naming_the_dist_directory_scans_it_though_gitignored() {
    let (document, code) = scan_json(&repo_root(), &["fixtures/client-vite/dist"]);
    let prefixed: Vec<(String, u64, &str)> = VITE_DIST_FINDINGS
        .iter()
        .map(|(path, line, rule)| (format!("fixtures/client-vite/{path}"), *line, *rule))
        .collect();
    let rows: Vec<(&str, u64, &str)> = prefixed
        .iter()
        .map(|(path, line, rule)| (path.as_str(), *line, *rule))
        .collect();
    assert_eq!(locations(&document), expected(&rows));
    assert_eq!(code, 1);
}

#[test]
fn build_output_is_recognised_from_inside_dist_too() {
    // `cd dist && katscan scan .`: hashed chunk names and `.map` files are
    // build output without a `dist/` prefix.
    let (document, _) = scan_json(&fixture("client-vite/dist"), &["."]);
    let rules: Vec<String> = locations(&document)
        .into_iter()
        .map(|(path, line, rule)| format!("{path}:{line}:{rule}"))
        .collect();
    assert_eq!(
        rules,
        [
            "assets/index-C4xNq2Lb.js:1:KAT002",
            "assets/index-C4xNq2Lb.js:1:KAT004",
            "assets/index-C4xNq2Lb.js:1:KAT002",
            "assets/index-C4xNq2Lb.js:1:KAT004",
            "assets/index-C4xNq2Lb.js.map:16:KAT002",
            "assets/index-C4xNq2Lb.js.map:17:KAT004",
            "assets/index-C4xNq2Lb.js.map:17:KAT004",
            "assets/index-C4xNq2Lb.js.map:18:KAT004",
        ]
    );
}

#[test]
fn key_in_the_middle_of_a_one_megabyte_bundle_has_its_exact_column() {
    let bundle = fs::read_to_string(fixture("client-vite").join(VITE_CHUNK)).unwrap();
    assert!(bundle.len() > 1_000_000, "the bundle is over 1 MB");
    let first_line = bundle.lines().next().unwrap();
    assert!(first_line.is_ascii());
    let offset = first_line.find("kat_live_").expect("a key in the bundle");
    assert!(
        offset > 500_000 && offset < first_line.len() - 400_000,
        "the key sits in the middle of the line"
    );
    let fetch = first_line
        .find("fetch(`https://api.katalo.ai/")
        .expect("a fetch in the bundle");

    let (document, _) = scan_json(&fixture("client-vite/dist"), &["assets"]);
    let key = finding(&document, "assets/index-C4xNq2Lb.js", "KAT002", 0);
    assert_eq!(
        (key["line"].as_u64(), key["column"].as_u64()),
        (Some(1), Some(offset as u64 + 1))
    );
    assert_eq!(key["end_line"], 1);
    let key_len = first_line[offset..].find('"').unwrap();
    assert_eq!(
        key["end_column"].as_u64(),
        Some((offset + key_len) as u64 + 1)
    );

    let call = finding(&document, "assets/index-C4xNq2Lb.js", "KAT004", 0);
    assert_eq!(call["line"], 1);
    let column = call["column"].as_u64().unwrap() as usize;
    // The call is reported at `fetch(` or at its URL, not elsewhere.
    assert!(
        (fetch + 1..=fetch + "fetch(`".len() + 1).contains(&column),
        "KAT004 column {column}, fetch at column {}",
        fetch + 1
    );
}

#[test]
fn key_in_source_map_sources_content_is_reported_at_its_line() {
    let map = fs::read_to_string(fixture("client-vite").join(VITE_MAP)).unwrap();
    let (index, line) = map
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains("kat_live_"))
        .expect("a key in the source map");
    assert!(line.contains("\\n"), "inside an escaped JSON string");
    let column = line.find("kat_live_").unwrap() + 1;

    let (document, _) = scan_json(&fixture("client-vite/dist"), &[]);
    let key = finding(&document, "assets/index-C4xNq2Lb.js.map", "KAT002", 0);
    assert_eq!(
        (key["line"].as_u64(), key["column"].as_u64()),
        (Some(index as u64 + 1), Some(column as u64))
    );
    assert_eq!(index + 1, 16, "VITE_DIST_FINDINGS names the map line");
}

#[test]
fn include_build_output_walks_a_gitignored_dist() {
    let repo = TempDir::new().unwrap();
    copy_tree(&fixture("client-vite"), repo.path());
    let status = Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(repo.path())
        .status();
    assert!(status.is_ok_and(|s| s.success()), "git init failed");

    let (plain, _) = scan_json(repo.path(), &[]);
    assert_eq!(locations(&plain), expected(VITE_SOURCE_FINDINGS));

    let (with_build, code) = scan_json(repo.path(), &["--include-build-output"]);
    let mut all: Vec<(&str, u64, &str)> = VITE_SOURCE_FINDINGS.to_vec();
    // Sorted by path: `.env`, then `dist/`, then `src/`.
    all.splice(3..3, VITE_DIST_FINDINGS.iter().copied());
    assert_eq!(locations(&with_build), expected(&all));
    assert_eq!(code, 1);

    // Other ignored directories stay ignored.
    fs::create_dir_all(repo.path().join("node_modules/left-pad")).unwrap();
    fs::write(
        repo.path().join("node_modules/left-pad/index.js"),
        first_key_in(&fixture("client-vite").join("src/config.ts")),
    )
    .unwrap();
    let (again, _) = scan_json(repo.path(), &["--include-build-output"]);
    assert_eq!(locations(&again), expected(&all));
}

#[test]
fn client_findings_say_why_the_file_ships_and_to_revoke_the_key() {
    let (document, _) = scan_json(&fixture("client-nextjs"), &[]);
    let component = finding(&document, "app/components/ProductSearch.tsx", "KAT002", 0);
    let text = explanation(component);
    assert!(text.contains("use client"), "{text}");
    assert!(text.to_lowercase().contains("revoke"), "{text}");
    assert_eq!(component["key_id"], "jkiZ3qFWAdj2Jt");

    let (document, _) = scan_json(&fixture("client-vite"), &["dist"]);
    let bundle = finding(&document, VITE_CHUNK, "KAT002", 0);
    let text = explanation(bundle);
    assert!(text.contains("build output"), "{text}");
    assert!(text.to_lowercase().contains("revoke"), "{text}");
}

#[test]
fn no_secret_of_a_planted_key_is_printed_in_any_format() {
    for project in [
        "client-nextjs",
        "client-vite",
        "client-sveltekit",
        "client-expo",
        "client-android",
        "client-ios",
        "client-flutter",
        "client-extension",
        "client-server-only",
    ] {
        let root = fixture(project);
        let keys = planted_keys(&root);
        assert!(!keys.is_empty(), "{project} plants keys");
        // Naming dist/ scans the Vite build output, gitignored or not.
        let paths: &[&str] = if project == "client-vite" {
            &[".", "dist"]
        } else {
            &["."]
        };
        for format in ["json", "human", "sarif", "github"] {
            let output = katscan()
                .current_dir(&root)
                .args(["scan", "--format", format])
                .args(paths)
                .output()
                .expect("katscan runs");
            assert_eq!(output.status.code(), Some(1), "{project} {format}");
            let printed = stdout_and_stderr(&output);
            for (key_id, secret) in &keys {
                assert!(
                    !printed.contains(secret.as_str()),
                    "{project}: secret of {key_id} printed in {format} output"
                );
            }
            if format == "json" {
                let document: Value = serde_json::from_slice(&output.stdout).unwrap();
                for (key_id, _) in &keys {
                    assert!(
                        document["findings"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|f| f["key_id"] == key_id.as_str()),
                        "{project}: key {key_id} is reported by its public id"
                    );
                }
            }
        }
    }
}

/// The `n`-th finding of `rule` in `path`.
fn finding<'a>(document: &'a Value, path: &str, rule: &str, n: usize) -> &'a Value {
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path && f["rule_id"] == rule)
        .nth(n)
        .unwrap_or_else(|| panic!("no {rule} finding #{n} in {path}: {document:#}"))
}

fn explanation(finding: &Value) -> String {
    format!(
        "{} {}",
        finding["message"].as_str().unwrap(),
        finding["help"].as_str().unwrap()
    )
}

/// `(key id, secret)` of every key planted under `root`, read from the
/// files themselves, so the test holds no key and follows the fixtures.
fn planted_keys(root: &Path) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for file in files_under(root) {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(at) = rest.find("kat_live_") {
            rest = &rest[at + "kat_live_".len()..];
            if let Some(key) = parse_key(rest) {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// The id and secret at the start of `text` (what follows `kat_live_`), if
/// they have the shape of a real key rather than a placeholder.
fn parse_key(text: &str) -> Option<(String, String)> {
    let id_len = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    let after_id = text[id_len..].strip_prefix('.')?;
    let secret_len = after_id
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(after_id.len());
    (id_len >= 4 && secret_len >= 16).then(|| {
        (
            text[..id_len].to_string(),
            after_id[..secret_len].to_string(),
        )
    })
}

fn first_key_in(file: &Path) -> String {
    let text = fs::read_to_string(file).unwrap();
    let at = text.find("kat_live_").unwrap();
    let (id, secret) = parse_key(&text[at + "kat_live_".len()..]).unwrap();
    format!("const k = '{}';\n", planted_key(&id, &secret))
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}
