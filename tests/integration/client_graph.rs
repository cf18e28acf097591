//! Client classification from the module graph (issue 10): what ships is
//! what the bundler reaches from the framework's entry points, not what a
//! path looks like. Fixture apps under `fixtures/graph-*` shaped like real
//! ones, each with files the graph makes client, files it keeps server,
//! and tests that never ship; every finding asserted, and nothing else.
//! App packagers too: Android `assets/` and `res/raw/`, Flutter's
//! `pubspec.yaml` asset list.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    assert_fixture_findings, expected, fixture, katscan, key, locations, scan_json, write,
};

#[test]
fn nextjs_app_router_modules_a_use_client_component_imports_ship() {
    assert_fixture_findings(
        "graph-nextjs-app",
        &[
            // "use server": reaches browsers only as a server call.
            ("app/actions.ts", 3, "KAT001"),
            // Imported by components/cart/modal.tsx ("use client"); by its
            // path alone a server component.
            ("components/ui/button.tsx", 5, "KAT004"),
            // Imported only by the root layout: server.
            ("config/site.ts", 3, "KAT001"),
            ("lib/constants.ts", 4, "KAT002"),
            // `import 'server-only'`: never bundled, its fetch is fine.
            ("lib/katalo-server.ts", 3, "KAT001"),
            // A test imports lib/utils.ts, and never ships itself.
            ("lib/utils.test.ts", 3, "KAT001"),
            // Two imports away from the client component.
            ("lib/utils.ts", 2, "KAT004"),
        ],
    );
}

#[test]
fn pages_router_pages_ship_without_their_data_functions() {
    assert_fixture_findings(
        "graph-nextjs-pages",
        &[
            // Imported only inside getStaticProps: stripped from the page.
            ("src/lib/catalog.ts", 2, "KAT001"),
            // Rendered on the server only.
            ("src/pages/_document.tsx", 4, "KAT001"),
            // The useEffect fetch ships; the getServerSideProps one does not.
            ("src/pages/about.tsx", 6, "KAT004"),
            // `@/utils/AppConfig` through tsconfig `extends` and `paths`.
            ("src/utils/AppConfig.ts", 3, "KAT002"),
        ],
    );
}

#[test]
fn vite_index_html_and_glob_imported_files_ship() {
    assert_fixture_findings(
        "graph-vite",
        &[
            // The inline <script> of the entry page.
            ("index.html", 7, "KAT004"),
            // `import.meta.glob('../locales/*.yml')`, outside `src/`.
            ("locales/en.yml", 2, "KAT002"),
            // A script nothing imports.
            ("scripts/seed.ts", 2, "KAT001"),
        ],
    );
}

#[test]
fn sveltekit_lib_module_only_a_server_load_imports_is_server() {
    assert_fixture_findings(
        "graph-sveltekit",
        &[
            // Under src/ (client by path), imported only by +page.server.js:
            // its key is KAT001 and its Katalo call is no KAT004.
            ("src/lib/api.js", 3, "KAT001"),
            // Imported by +page.svelte.
            ("src/lib/format.js", 2, "KAT004"),
            ("src/lib/server/secrets.js", 1, "KAT001"),
        ],
    );
}

#[test]
fn template_inline_script_ships_the_rest_of_the_template_does_not() {
    // Line 4 names the API host in the page text; line 6 calls it from a
    // <script>.
    assert_fixture_findings(
        "graph-django",
        &[("shop/templates/shop/product.html", 6, "KAT004")],
    );
}

#[test]
fn nuxt_pages_imports_and_global_middleware_ship_server_helpers_do_not() {
    assert_fixture_findings(
        "graph-nuxt",
        &[
            // `~/constants/shop` and `@/i18n/en` from pages/index.vue.
            ("constants/shop.ts", 3, "KAT002"),
            ("i18n/en.ts", 3, "KAT004"),
            ("middleware/track.global.ts", 2, "KAT004"),
            // Imported only by server/api/products.get.ts.
            ("server-lib/catalog.ts", 1, "KAT001"),
        ],
    );
}

#[test]
fn expo_ships_what_the_router_reaches_not_its_cli_scripts_or_mocks() {
    assert_fixture_findings(
        "graph-expo",
        &[
            ("__mocks__/katalo.ts", 1, "KAT001"),
            // app/index.tsx -> hooks/useProducts.ts -> constants/katalo.ts
            ("constants/katalo.ts", 1, "KAT002"),
            ("hooks/useProducts.ts", 7, "KAT004"),
            // Run by developers: the key is committed, not shipped, and the
            // calls (cli/index.js) are not from the app.
            ("scripts/seed.mjs", 1, "KAT001"),
            // Imported only by the API route app/api/products+api.ts.
            ("server-lib/catalog.ts", 1, "KAT001"),
        ],
    );
}

#[test]
fn android_assets_and_raw_resources_ship_unit_tests_do_not() {
    assert_fixture_findings(
        "client-android-assets",
        &[
            ("app/src/main/assets/katalo.json", 2, "KAT004"),
            ("app/src/main/assets/katalo.json", 3, "KAT002"),
            ("app/src/main/res/raw/katalo.properties", 2, "KAT002"),
            // src/test/java is a source set that never reaches the APK.
            (
                "app/src/test/java/com/example/shop/KataloClientTest.kt",
                6,
                "KAT001",
            ),
        ],
    );
}

#[test]
fn flutter_pubspec_assets_ship_unlisted_files_do_not() {
    assert_fixture_findings(
        "client-flutter-assets",
        &[
            // `- .env` under `flutter: assets:` (flutter_dotenv).
            (".env", 2, "KAT002"),
            // A directory entry lists its own files, not subdirectories.
            ("config/dev/katalo.json", 1, "KAT001"),
            ("config/katalo.json", 1, "KAT002"),
            ("tool/seed.json", 1, "KAT001"),
        ],
    );
}

fn message_of<'a>(document: &'a Value, path: &str) -> &'a str {
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("a finding in {path}: {document:#}"))
}

#[test]
fn findings_name_the_import_chain_from_the_entry_point() {
    let (document, _) = scan_json(&fixture("graph-nextjs-app"), &[]);
    assert!(
        message_of(&document, "lib/utils.ts").ends_with(
            "bundled for browsers: imported by `components/cart/modal.tsx` (\"use client\") via `lib/constants.ts`"
        ),
        "{document:#}"
    );
    // Scanned from above, the chain is shown as the findings' paths are.
    let (document, _) = scan_json(&fixture(""), &["graph-vite"]);
    assert!(
        message_of(&document, "graph-vite/locales/en.yml").ends_with(
            "imported by `graph-vite/src/main.ts` (the app's entry module) via `graph-vite/src/i18n.ts`"
        ),
        "{document:#}"
    );
}

#[test]
fn classify_graph_prints_the_import_path() {
    let output = katscan()
        .current_dir(fixture("graph-nextjs-app"))
        .args(["classify", "--graph", "lib/utils.ts"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "lib/utils.ts: bundled for clients\n  components/cart/modal.tsx  (\"use client\")\n    imports lib/constants.ts\n    imports lib/utils.ts\nverdict: bundled for browsers: imported by `components/cart/modal.tsx` (\"use client\") via `lib/constants.ts`\n"
    );
    assert!(output.status.success());

    let output = katscan()
        .current_dir(fixture("graph-sveltekit"))
        .args(["classify", "-f", "json", "--graph", "src/lib/api.js"])
        .output()
        .unwrap();
    let row: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(row["side"], "server");
    assert_eq!(
        row["chain"],
        serde_json::json!(["src/routes/+page.server.js", "src/lib/api.js"])
    );

    // A file no entry point reaches says so, and keeps its path verdict.
    let output = katscan()
        .current_dir(fixture("graph-vite"))
        .args(["classify", "--graph", "scripts/seed.ts"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "scripts/seed.ts: no entry point reaches it\n"
    );
}

#[test]
fn classify_lists_graph_verdicts_and_regions() {
    let output = katscan()
        .current_dir(fixture("graph-nextjs-pages"))
        .args(["classify", "-f", "json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let row = |path: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == path)
            .cloned()
            .unwrap_or_else(|| panic!("{path} in {rows:#}"))
    };
    assert_eq!(
        row("src/pages/index.tsx")["region"],
        "outside-data-functions"
    );
    assert_eq!(row("src/utils/AppConfig.ts")["side"], "client");
    assert_eq!(row("src/lib/catalog.ts")["side"], "server");
    assert_eq!(row("src/pages/_document.tsx")["side"], "server");
}

/// A cycle, an import of a missing file, a syntax error and a 5 MB
/// minified module on the way: classification still follows every import
/// it can, once, and ends quickly.
#[test]
fn cycles_missing_imports_syntax_errors_and_huge_modules_do_not_stall_the_graph() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    write(
        root,
        "package.json",
        r#"{"dependencies":{"next":"15.0.0"}}"#,
    );
    write(root, "app/layout.tsx", "export default function L() {}\n");
    write(
        root,
        "components/widget.tsx",
        "'use client';\nimport { a } from '../lib/a';\nimport '../lib/vendor.min';\nimport '../lib/missing';\nexport default a;\n",
    );
    write(
        root,
        "lib/a.ts",
        "import { b } from './b';\nexport const a = b;\n",
    );
    write(
        root,
        "lib/b.ts",
        format!(
            "import {{ a }} from './a';\nimport './broken';\nexport const b = '{}';\n",
            key()
        ),
    );
    write(
        root,
        "lib/broken.ts",
        format!(
            "export const x = {{ `unterminated ${{ (\nimport './deep';\nconst k = '{}';\n",
            key()
        ),
    );
    write(
        root,
        "lib/deep.ts",
        format!("export const k = '{}';\n", key()),
    );
    let mut bundle = "var a=1/2,b=\"import('./nope')\",c=/re\\/g/;".repeat(130_000);
    bundle.push_str(&format!("import './deep';var k='{}';\n", key()));
    write(root, "lib/vendor.min.ts", &bundle);
    write(
        root,
        "lib/unreached.ts",
        format!("export const k = '{}';\n", key()),
    );

    let started = Instant::now();
    let (document, _) = scan_json(root, &[]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(
        locations(&document),
        expected(&[
            ("lib/b.ts", 3, "KAT002"),
            // Reached from b.ts, though its own template never closes.
            ("lib/broken.ts", 3, "KAT002"),
            // Reached from inside broken.ts's `${`, and from the bundle's
            // last statement.
            ("lib/deep.ts", 1, "KAT002"),
            ("lib/unreached.ts", 1, "KAT001"),
            ("lib/vendor.min.ts", 1, "KAT002"),
        ])
    );
}
