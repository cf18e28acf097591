//! CORS detectors for JavaScript and TypeScript servers and the hosting
//! configs of the JS world, over realistic projects under
//! `fixtures/cors-javascript/`: every expected finding and nothing else.
//! Safe variants (allowlists, origins from the environment, anchored
//! regexes, guarded reflection, commented-out code) sit beside the
//! permissive ones in the same files.

use crate::support::{assert_fixture_findings, fixture, scan_json};

fn assert_findings(project: &str, rows: &[(&str, u64, &str)]) {
    assert_fixture_findings(&format!("cors-javascript/{project}"), rows);
}

#[test]
fn allowlists_guards_and_look_alikes_are_clean() {
    // Allowlists from the environment, guarded reflection, an anchored
    // regex, callbacks that check, Vite's dev-server `cors: true`, chart code
    // with an `origin` field, and comments and docs that quote the
    // permissive calls.
    assert_findings("allowlisted-api", &[]);
}

#[test]
fn express_cors_package_raw_headers_and_socket_io() {
    assert_findings(
        "express-api",
        &[
            // Reflects any origin through a callback, with credentials.
            ("src/cors-options.js", 22, "CORS003"),
            // `/example\.com$/` is tested anywhere in the origin.
            ("src/cors-options.js", 28, "CORS005"),
            ("src/cors-options.js", 33, "CORS004"),
            // `process.env.REPORTS_ORIGIN || '*'`.
            ("src/cors-options.js", 38, "CORS001"),
            ("src/realtime/socket.js", 19, "CORS001"),
            // The origin taken from the query string (through a variable)
            // and from the body; a bare `null`; an unescaped dot in a CORS
            // origin constant. The allowlisted route and the log line are
            // clean.
            ("src/routes/embed.js", 10, "CORS002"),
            ("src/routes/embed.js", 15, "CORS004"),
            ("src/routes/embed.js", 20, "CORS002"),
            ("src/routes/embed.js", 35, "CORS005"),
            ("src/routes/legacy.js", 22, "CORS001"),
            // `req.headers.origin` plus Access-Control-Allow-Credentials.
            ("src/routes/legacy.js", 28, "CORS003"),
            // `req.get('Origin')` read into a variable, echoed unchecked.
            ("src/routes/legacy.js", 38, "CORS002"),
            // `cors()` on the health route; the commented-out one is silent.
            ("src/server.js", 18, "CORS001"),
        ],
    );
}

#[test]
fn fastify_cors_plugin_defaults_reflection_and_regexes() {
    assert_findings(
        "fastify-api",
        &[
            ("src/admin/server.mjs", 8, "CORS003"),
            ("src/admin/server.mjs", 15, "CORS005"),
            // The second `new RegExp(...)` leaves its dots unescaped; the first
            // is anchored and escaped.
            ("src/plugins/preview-cors.ts", 10, "CORS005"),
            // `register(cors)` with the plugin defaults; `register(corsPlugin)`
            // (the project's own allowlisting plugin) is silent.
            ("src/server.ts", 14, "CORS001"),
        ],
    );
}

#[test]
fn koa_cors_reflects_by_default() {
    assert_findings(
        "koa-api",
        &[
            ("src/app.js", 8, "CORS002"),
            ("src/partner-app.js", 21, "CORS003"),
        ],
    );
}

#[test]
fn hono_cors_and_cloudflare_pages_headers() {
    assert_findings(
        "hono-worker",
        &[
            ("public/_headers", 5, "CORS001"),
            ("public/_headers", 13, "CORS004"),
            ("src/index.ts", 27, "CORS001"),
            ("src/index.ts", 30, "CORS002"),
        ],
    );
}

#[test]
fn nestjs_enable_cors_and_factory_option() {
    assert_findings(
        "nest-api",
        &[
            ("src/admin/main.ts", 9, "CORS003"),
            ("src/public-api/main.ts", 7, "CORS001"),
            ("src/public-api/main.ts", 14, "CORS001"),
        ],
    );
}

#[test]
fn nextjs_route_handlers_config_headers_and_vercel_json() {
    assert_findings(
        "next-app",
        &[
            ("app/api/session/route.ts", 9, "CORS003"),
            ("app/api/webhook/route.ts", 8, "CORS002"),
            ("next.config.js", 9, "CORS001"),
            ("vercel.json", 7, "CORS001"),
        ],
    );
}

#[test]
fn netlify_firebase_and_headers_files() {
    assert_findings(
        "static-hosting",
        &[
            // Fonts for other domains: a static asset wildcard is still CORS001.
            ("firebase.json", 7, "CORS001"),
            ("netlify.toml", 9, "CORS001"),
            ("netlify.toml", 23, "CORS003"),
            ("public/_headers", 6, "CORS003"),
        ],
    );
}

#[test]
fn hapi_route_cors() {
    assert_findings(
        "hapi-api",
        &[
            ("src/routes/points.js", 18, "CORS003"),
            ("src/routes/status.js", 8, "CORS001"),
        ],
    );
}

#[test]
fn credentials_finding_replaces_the_origin_finding_at_the_same_spot() {
    let (document, _) = scan_json(&fixture("cors-javascript/next-app"), &[]);
    let session: Vec<_> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "app/api/session/route.ts")
        .collect();
    assert_eq!(session.len(), 1, "only CORS003, not CORS001 as well");
    assert_eq!(session[0]["rule_id"], "CORS003");
    assert_eq!(session[0]["level"], "error");
    assert_eq!(session[0]["column"], 38);
}
