//! CORS detectors for Go and Rust web frameworks, over realistic projects
//! under `fixtures/cors-go_rust/`: every expected finding and nothing else.
//! Allowlists, origins read from the environment, anchored regexes and
//! comments that mention the permissive calls sit beside the planted
//! permissive configurations in the same projects.

use crate::support::assert_fixture_findings;

fn assert_findings(project: &str, rows: &[(&str, u64, &str)]) {
    assert_fixture_findings(&format!("cors-go_rust/{project}"), rows);
}

#[test]
fn gin_api() {
    assert_findings(
        "gin-api",
        &[
            // Unanchored origin regex.
            ("internal/server/legacy.go", 14, "CORS005"),
            // c.Header(..., c.GetHeader("Origin")), no allowlist.
            ("internal/server/legacy.go", 19, "CORS002"),
            // Health check: "*".
            ("internal/server/legacy.go", 38, "CORS001"),
            // cors.Default().
            ("internal/server/public.go", 10, "CORS001"),
            // AllowOriginFunc returning true with AllowCredentials.
            ("internal/server/public.go", 17, "CORS003"),
            // AllowAllOrigins = true; the credentials a few lines up belong
            // to another function.
            ("internal/server/public.go", 28, "CORS001"),
        ],
    );
}

#[test]
fn echo_api() {
    assert_findings(
        "echo-api",
        &[
            // AllowOrigins "*" with AllowCredentials.
            ("internal/api/admin.go", 11, "CORS003"),
            // AllowOriginFunc returning true, nil.
            ("internal/api/admin.go", 22, "CORS002"),
            // UnsafeWildcardOriginWithAllowCredentials.
            ("internal/api/admin.go", 33, "CORS003"),
            // CORSConfig without AllowOrigins: Echo's default is "*".
            ("internal/api/admin.go", 39, "CORS001"),
            // Access-Control-Allow-Origin: null.
            ("internal/api/webhooks.go", 30, "CORS004"),
            // The request's Origin echoed with credentials.
            ("internal/api/webhooks.go", 40, "CORS003"),
            // middleware.CORS() defaults to "*".
            ("main.go", 26, "CORS001"),
        ],
    );
}

#[test]
fn fiber_api() {
    assert_findings(
        "fiber-api",
        &[
            // cors.New() defaults to "*".
            ("handlers/routes.go", 11, "CORS001"),
            // "null" in the comma-separated origins.
            ("handlers/routes.go", 17, "CORS004"),
            // AllowOrigins "*" with AllowCredentials.
            ("handlers/routes.go", 23, "CORS003"),
            // AllowOriginsFunc returning true.
            ("handlers/routes.go", 30, "CORS002"),
            // c.Set(fiber.HeaderAccessControlAllowOrigin, "*").
            ("handlers/routes.go", 43, "CORS001"),
            // A cors.Config without AllowOrigins: Fiber's default is "*".
            ("handlers/routes.go", 51, "CORS001"),
        ],
    );
}

#[test]
fn net_http_rs_cors_chi_and_gorilla() {
    assert_findings(
        "nethttp-api",
        &[
            // rs/cors AllowAll().
            ("cmd/devserver/main.go", 15, "CORS001"),
            // go-chi/cors AllowOriginFunc returning true.
            ("internal/httpapi/chi.go", 27, "CORS002"),
            // gorilla handlers.AllowedOrigins([]string{"*"}).
            ("internal/httpapi/chi.go", 36, "CORS001"),
            // rs/cors Options without AllowedOrigins, with credentials.
            ("internal/httpapi/metrics.go", 15, "CORS003"),
            // HasSuffix(origin, "example.com"): no leading dot.
            ("internal/httpapi/metrics.go", 26, "CORS005"),
            // Unescaped dots in an origin regex.
            ("internal/httpapi/mux.go", 14, "CORS005"),
            // Origin echoed from a variable with credentials, no allowlist.
            ("internal/httpapi/mux.go", 40, "CORS003"),
            // Health check: "*".
            ("internal/httpapi/mux.go", 47, "CORS001"),
        ],
    );
}

#[test]
fn axum_tower_http() {
    assert_findings(
        "axum-api",
        &[
            // Regex without `^`.
            ("src/middleware.rs", 14, "CORS005"),
            // Raw header insert of "*".
            ("src/middleware.rs", 32, "CORS001"),
            // mirror_request() with allow_credentials(true).
            ("src/routes/admin.rs", 7, "CORS003"),
            // very_permissive().
            ("src/routes/admin.rs", 16, "CORS003"),
            // Static asset host: still a wildcard.
            ("src/routes/assets.rs", 10, "CORS001"),
            // CorsLayer::permissive().
            ("src/routes/public.rs", 8, "CORS001"),
        ],
    );
}

#[test]
fn actix_cors() {
    assert_findings(
        "actix-api",
        &[
            // allow_any_origin().send_wildcard().
            ("src/cors.rs", 6, "CORS001"),
            // allowed_origin_fn always true, with supports_credentials().
            ("src/cors.rs", 15, "CORS003"),
            // Cors::permissive().
            ("src/cors.rs", 25, "CORS003"),
            // allowed_origin("null").
            ("src/cors.rs", 30, "CORS004"),
            // ends_with(b"example.com"): no leading dot.
            ("src/cors.rs", 45, "CORS005"),
            // insert_header(("Access-Control-Allow-Origin", "*")).
            ("src/main.rs", 36, "CORS001"),
        ],
    );
}

#[test]
fn rocket_cors() {
    assert_findings(
        "rocket-api",
        &[
            // some_regex with unescaped dots.
            ("src/cors.rs", 22, "CORS005"),
            // AllowedOrigins::all() with allow_credentials: true.
            ("src/cors.rs", 42, "CORS003"),
            // CorsOptions::default() without allowed_origins.
            ("src/cors.rs", 53, "CORS001"),
        ],
    );
}

#[test]
fn warp_cors() {
    assert_findings("warp-api", &[("src/main.rs", 14, "CORS001")]);
}
