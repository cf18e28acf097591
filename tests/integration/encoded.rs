//! Keys behind an encoding: base64 (Kubernetes `data:`, Basic auth),
//! percent-encoding and `\u`/`\x` escapes, found at the encoded text and
//! never printed, in any form, without `--no-redact`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tempfile::TempDir;

use crate::support::{KEY_ID, SECRET, expected, katscan, key, locations, scan_json, write};

#[test]
fn encoded_keys_are_found_where_they_are_written() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "deploy/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: katalo\ndata:\n  KATALO_API_KEY: {}\n",
            STANDARD.encode(key())
        ),
    );
    write(
        root,
        "tests/fixtures/api.har",
        format!(
            "{{\"headers\": [{{\"name\": \"Authorization\", \"value\": \"Basic {}\"}}]}}\n",
            STANDARD.encode(format!("org:{}", key()))
        ),
    );
    write(
        root,
        "logs/access.log",
        format!(
            "GET /v1/items?api_key={} 200\n",
            key().replace('_', "%5F").replace('.', "%2E")
        ),
    );
    // A bundle that ships to browsers: KAT002 as for a plain key.
    write(
        root,
        "dist/assets/index-4f2a.js",
        format!("var a=1;\nconst k=\"{}\";\n", key().replace('_', "\\u005f")),
    );
    // A plain key beside percent-encoded text: one finding, the plain one.
    write(
        root,
        "logs/plain.log",
        format!("GET /v1?key={}%20&q=a%5Fb%2Ec\n", key()),
    );
    // Base64 that decodes to something else, and escapes of other text.
    write(
        root,
        "deploy/other.yaml",
        format!(
            "data:\n  TOKEN: {}\n  S: \"\\u005fprivate\\x2e\"\n",
            STANDARD.encode("not a katalo key at all, just long enough")
        ),
    );

    let (document, code) = scan_json(root, &["--no-ignore"]);
    assert_eq!(
        locations(&document),
        expected(&[
            ("deploy/secret.yaml", 6, "KAT001"),
            ("dist/assets/index-4f2a.js", 2, "KAT002"),
            ("logs/access.log", 1, "KAT001"),
            ("logs/plain.log", 1, "KAT001"),
            ("tests/fixtures/api.har", 1, "KAT001"),
        ])
    );
    assert_eq!(code, 1);
    let findings = document["findings"].as_array().unwrap();
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("base64-encoded"),
        "{}",
        findings[0]["message"]
    );
    for finding in findings {
        assert_eq!(finding["key_id"], KEY_ID, "{finding}");
    }
}

#[test]
fn no_output_shows_an_encoded_secret() {
    let dir = TempDir::new().unwrap();
    let encoded = STANDARD.encode(key());
    // A CORS finding on the same line as the encoded key: its snippet
    // shows the line, and must not show the base64 either.
    write(
        dir.path(),
        "server.js",
        format!("const k = '{encoded}'; res.setHeader('Access-Control-Allow-Origin', '*');\n"),
    );
    let secret_b64 = &encoded[16..40];
    for format in ["human", "json", "sarif", "github", "markdown"] {
        let output = katscan()
            .current_dir(dir.path())
            .args(["scan", "--no-ignore", "--color", "never", "-f", format])
            .output()
            .unwrap();
        let printed = [output.stdout, output.stderr].concat();
        let printed = String::from_utf8_lossy(&printed);
        assert!(printed.contains(KEY_ID), "{format}: {printed}");
        assert!(!printed.contains(SECRET), "{format}: {printed}");
        assert!(
            !printed.contains(secret_b64),
            "{format} shows the base64: {printed}"
        );
    }
    let output = katscan()
        .current_dir(dir.path())
        .args(["scan", "--no-ignore", "--no-redact", "-f", "json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains(SECRET));
}

#[test]
fn an_encoded_key_is_judged_by_the_file_it_is_in() {
    // A server-rendered template: only its inline `<script>` reaches the
    // browser. Where the encoded key sits in the template decides, not
    // the decoded text (which has no `<script>` of its own).
    let dir = TempDir::new().unwrap();
    let escaped = key().replace('_', "\\u005f");
    write(
        dir.path(),
        "shop/templates/shop/cart.html",
        format!(
            "<p data-k=\"{escaped}\">cart</p>\n<script>\n  const k = \"{escaped}\";\n</script>\n"
        ),
    );
    let (document, _) = scan_json(dir.path(), &["--no-ignore"]);
    assert_eq!(
        locations(&document),
        expected(&[
            ("shop/templates/shop/cart.html", 1, "KAT001"),
            ("shop/templates/shop/cart.html", 3, "KAT002"),
        ])
    );
}
