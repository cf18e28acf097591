//! KAT003 public-env-var over projects built at run time: Katalo key
//! variables behind client prefixes in `.env` files, code, CI and deploy
//! config, and the config constructs that inline a server name, beside the
//! safe variants in the same trees. Every finding is asserted, and nothing
//! else may appear.

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{SECRET, expected, key, locations, scan_json, write};

/// A Vite SPA deployed on Netlify from GitHub Actions, with a committed
/// `.env` that wires the key into `VITE_KATALO_API_KEY`.
fn vite_project() -> TempDir {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        ".env",
        format!(
            "VITE_KATALO_BASE_URL=https://api.katalo.ai\n\
             VITE_KATALO_API_KEY={}\n\
             # VITE_KATALO_SECRET= (commented out: not a finding)\n\
             VITE_STRIPE_KEY=pk_live_51Habc\n",
            key()
        ),
    );
    write(
        root,
        "src/api/katalo.ts",
        "const base = import.meta.env.VITE_KATALO_BASE_URL;\n\
         export const apiKey = import.meta.env.VITE_KATALO_API_KEY;\n",
    );
    write(
        root,
        "vite.config.ts",
        "import { defineConfig, loadEnv } from 'vite';\n\
         export default defineConfig(({ mode }) => {\n\
         \x20 const env = loadEnv(mode, process.cwd(), '');\n\
         \x20 return {\n\
         \x20   envPrefix: ['VITE_', 'KATALO_'],\n\
         \x20   define: {\n\
         \x20     __APP_VERSION__: JSON.stringify('1.0.0'),\n\
         \x20     'process.env.KATALO_API_KEY': JSON.stringify(env.KATALO_API_KEY),\n\
         \x20   },\n\
         \x20 };\n\
         });\n",
    );
    write(
        root,
        ".github/workflows/deploy.yml",
        "on: push\n\
         jobs:\n\
         \x20 build:\n\
         \x20   runs-on: ubuntu-latest\n\
         \x20   steps:\n\
         \x20     - run: npm run build\n\
         \x20       env:\n\
         \x20         VITE_KATALO_API_KEY: ${{ secrets.KATALO_API_KEY }}\n\
         \x20         KATALO_API_KEY: ${{ secrets.KATALO_API_KEY }}\n",
    );
    write(
        root,
        "netlify.toml",
        "[build]\n  command = \"npm run build\"\n\n\
         [build.environment]\n  NODE_VERSION = \"20\"\n\n\
         [context.production.environment]\n  VITE_KATALO_TOKEN = \"set-in-ui\"\n",
    );
    write(
        root,
        "Dockerfile",
        "FROM node:20 AS build\n\
         ARG VITE_KATALO_API_KEY\n\
         ARG KATALO_API_KEY\n\
         RUN npm run build\n",
    );
    // The backend holds the key under its server name: correct, silent.
    write(
        root,
        "server/index.ts",
        "const key = process.env.KATALO_API_KEY;\n\
         app.get('/api/products', (req, res) => fetch('https://api.katalo.ai/v1/products', \
         { headers: { Authorization: `Bearer ${key}` } }));\n",
    );
    // Docs may name the public variable to warn about it.
    write(
        root,
        "README.md",
        "Never name the key VITE_KATALO_API_KEY: Vite would ship it.\n",
    );
    dir
}

fn findings(dir: &TempDir) -> (Value, i32) {
    scan_json(dir.path(), &[])
}

#[test]
fn vite_project_public_names_and_inlining_config() {
    let dir = vite_project();
    let (document, code) = findings(&dir);
    assert_eq!(
        locations(&document),
        expected(&[
            // The committed line is two findings: the key literal (KAT001)
            // and the public variable it is wired into (KAT003).
            (".env", 2, "KAT003"),
            (".env", 2, "KAT001"),
            (".github/workflows/deploy.yml", 8, "KAT003"),
            ("Dockerfile", 2, "KAT003"),
            ("netlify.toml", 8, "KAT003"),
            ("src/api/katalo.ts", 2, "KAT003"),
            ("vite.config.ts", 5, "KAT003"),
            ("vite.config.ts", 8, "KAT003"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn message_names_the_variable_and_the_framework_and_never_the_secret() {
    let dir = vite_project();
    let (document, _) = findings(&dir);
    let env_finding = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == ".env" && f["rule_id"] == "KAT003")
        .expect("the .env line is reported as KAT003");
    assert_eq!(
        env_finding["message"],
        "`VITE_KATALO_API_KEY` is inlined into the client bundle by Vite (VITE_ prefix)"
    );
    assert_eq!(env_finding["column"], 1);
    let help = env_finding["help"].as_str().unwrap();
    assert!(
        help.contains("https://app.katalo.ai/en/organization/api"),
        "{help}"
    );
    assert!(
        !document.to_string().contains(SECRET),
        "a secret leaked into the report"
    );
}

/// A Next.js app: `.env.example`, a client component, next.config `env`,
/// beside server routes, `serverRuntimeConfig` and non-Katalo public vars.
#[test]
fn next_project_example_env_client_code_and_next_config_env() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        ".env.example",
        "KATALO_API_KEY=\n\
         NEXT_PUBLIC_SITE_URL=http://localhost:3000\n\
         NEXT_PUBLIC_KATALO_API_KEY=\n",
    );
    write(
        root,
        "app/products/ProductList.tsx",
        "\"use client\";\n\
         // process.env.NEXT_PUBLIC_KATALO_API_KEY used to be read here\n\
         const appUrl = process.env.NEXT_PUBLIC_KATALO_APP_URL;\n\
         const key = process.env.NEXT_PUBLIC_KATALO_API_KEY;\n",
    );
    write(
        root,
        "app/api/products/route.ts",
        "export async function GET() {\n\
         \x20 const key = process.env.KATALO_API_KEY;\n\
         \x20 return fetch('https://api.katalo.ai/v1/products', { headers: { Authorization: `Bearer ${key}` } });\n\
         }\n",
    );
    write(
        root,
        "next.config.js",
        "module.exports = {\n\
         \x20 env: {\n\
         \x20   SITE_NAME: 'Shop',\n\
         \x20   KATALO_API_KEY: process.env.KATALO_API_KEY,\n\
         \x20 },\n\
         \x20 serverRuntimeConfig: { KATALO_SECRET: process.env.KATALO_SECRET },\n\
         };\n",
    );
    write(
        root,
        "vercel.json",
        "{\n  \"build\": {\n    \"env\": {\n      \"NEXT_PUBLIC_STRIPE_KEY\": \"@stripe\",\n      \"KATALO_API_KEY\": \"@katalo\"\n    }\n  }\n}\n",
    );
    let (document, code) = scan_json(root, &[]);
    assert_eq!(
        locations(&document),
        expected(&[
            (".env.example", 3, "KAT003"),
            ("app/products/ProductList.tsx", 4, "KAT003"),
            ("next.config.js", 4, "KAT003"),
        ])
    );
    assert_eq!(code, 1);
}

/// SvelteKit: the public env modules ship, the private ones do not.
#[test]
fn sveltekit_public_modules_only() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "src/routes/+page.svelte",
        "<script>\n\
         \x20 import { PUBLIC_KATALO_API_KEY } from '$env/static/public';\n\
         </script>\n",
    );
    write(
        root,
        "src/routes/api/products/+server.ts",
        "import { KATALO_API_KEY } from '$env/static/private';\n\
         import { PUBLIC_SITE_URL } from '$env/static/public';\n",
    );
    write(
        root,
        ".env",
        "KATALO_API_KEY=\nPUBLIC_KATALO_KEY=\nPUBLIC_KATALO_BASE_URL=https://api.katalo.ai\n",
    );
    let (document, code) = scan_json(root, &[]);
    assert_eq!(
        locations(&document),
        expected(&[
            (".env", 2, "KAT003"),
            ("src/routes/+page.svelte", 2, "KAT003")
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn server_only_project_is_clean() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        ".env.example",
        "KATALO_API_KEY=\nNEXT_PUBLIC_STRIPE_KEY=\n",
    );
    write(
        root,
        "vite.config.ts",
        "export default defineConfig({ envPrefix: 'VITE_', define: { __V__: '\"1\"' } });\n\
         const key = process.env.KATALO_API_KEY;\n",
    );
    write(
        root,
        "next.config.mjs",
        "export default { env: { NEXT_PUBLIC_STRIPE_KEY: process.env.STRIPE_KEY } };\n\
         const k = process.env.KATALO_API_KEY;\n",
    );
    let (document, code) = scan_json(root, &[]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(code, 0);
}
