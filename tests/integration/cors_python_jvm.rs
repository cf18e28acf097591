//! Permissive CORS in Python, Java/Kotlin, C#, Ruby and PHP backends: one
//! realistic project per framework group under `fixtures/cors-python_jvm/`,
//! with the safe variants (allowlists from the environment, anchored
//! regexes, wildcard subdomain patterns, guarded echoes, comments) beside
//! the permissive ones. Every expected finding, and nothing else.

use crate::support::{expected, fixture, locations, scan_json};

fn scan(project: &str) -> (Vec<(String, u64, String)>, i32) {
    let (document, code) = scan_json(&fixture(&format!("cors-python_jvm/{project}")), &[]);
    (locations(&document), code)
}

#[test]
fn flask_cors_defaults_wildcards_credentials_and_regex_origins() {
    let (found, code) = scan("flask-api");
    assert_eq!(
        found,
        expected(&[
            // CORS(public): no origins means `*`.
            ("app/__init__.py", 18, "CORS001"),
            // re.match'ed without `$`; the anchored entry above it is fine.
            ("app/__init__.py", 25, "CORS005"),
            // @cross_origin(supports_credentials=True) without origins.
            ("app/views.py", 10, "CORS003"),
            ("app/views.py", 22, "CORS001"),
            ("app/views.py", 28, "CORS004"),
            // CORS_ORIGINS = "*" with CORS_SUPPORTS_CREDENTIALS = True.
            ("config.py", 12, "CORS003"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn django_cors_headers_settings() {
    let (found, code) = scan("django-api");
    assert_eq!(
        found,
        expected(&[
            // A variable before the "null" entry.
            ("mysite/settings/desktop.py", 5, "CORS004"),
            // CORS_ALLOW_ALL_ORIGINS with CORS_ALLOW_CREDENTIALS in the same file.
            ("mysite/settings/local.py", 4, "CORS003"),
            ("mysite/settings/production.py", 7, "CORS004"),
            // Each bad entry of the list: no `$`, then an unescaped dot.
            ("mysite/settings/production.py", 12, "CORS005"),
            ("mysite/settings/production.py", 13, "CORS005"),
            // Legacy name; `CORS_ALLOW_ALL_ORIGINS = DEBUG` and `= False` are not findings.
            ("mysite/settings/staging.py", 4, "CORS001"),
            // Anchored, but `.example.com` is not escaped.
            ("mysite/settings/staging.py", 7, "CORS005"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn starlette_cors_middleware() {
    let (found, code) = scan("fastapi-api");
    assert_eq!(
        found,
        expected(&[
            ("app/admin/routes.py", 9, "CORS003"),
            // Match-all regex; the neighbouring app's allow_credentials=True
            // belongs to another call.
            ("app/admin/routes.py", 18, "CORS002"),
            ("app/core/config.py", 9, "CORS001"),
            ("app/main.py", 20, "CORS001"),
            // Full-matched, so no anchors needed, but the dot is unescaped.
            ("app/main.py", 25, "CORS005"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn aiohttp_cors_resource_options() {
    let (found, code) = scan("aiohttp-api");
    assert_eq!(
        found,
        expected(&[
            ("service/app.py", 26, "CORS001"),
            ("service/app.py", 35, "CORS003"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn spring_ktor_servlet_filters_and_configuration_files() {
    let (found, code) = scan("spring-api");
    let j = |file: &str| format!("src/main/java/com/example/catalogue/{file}");
    let k = |file: &str| format!("src/main/kotlin/com/example/catalogue/{file}");
    let rows = [
        (j("api/ItemController.java"), 11, "CORS001"),
        (j("api/ItemController.java"), 23, "CORS001"),
        (j("api/ItemController.java"), 29, "CORS003"),
        (j("api/ItemController.java"), 35, "CORS003"),
        (j("config/SecurityCorsConfig.java"), 25, "CORS003"),
        // Passed inline; the assigned one below it gets explicit origins.
        (j("config/SecurityCorsConfig.java"), 30, "CORS001"),
        (j("config/WebConfig.java"), 23, "CORS001"),
        (j("config/WebConfig.java"), 30, "CORS003"),
        (j("config/WebConfig.java"), 35, "CORS004"),
        (j("web/EchoOriginFilter.java"), 17, "CORS002"),
        (j("web/EchoOriginFilter.java"), 29, "CORS003"),
        // The guarded echo in the same filter is not a finding.
        (j("web/LegacyCorsFilter.java"), 30, "CORS001"),
        // String.matches is a full match, but the dot is unescaped; the
        // echo it guards is not CORS002.
        (j("web/PartnerOriginFilter.java"), 17, "CORS005"),
        (k("Application.kt"), 10, "CORS001"),
        (k("KotlinCorsConfig.kt"), 15, "CORS001"),
        // A property placeholder that defaults to `*`.
        (k("KotlinCorsConfig.kt"), 34, "CORS001"),
        (
            "src/main/resources/application-demo.properties".into(),
            2,
            "CORS001",
        ),
        // Spring Cloud Gateway: the credentials above belong to another route.
        ("src/main/resources/application.yml".into(), 14, "CORS001"),
        ("src/main/resources/application.yml".into(), 22, "CORS003"),
    ];
    let rows: Vec<(&str, u64, &str)> = rows
        .iter()
        .map(|(path, line, rule)| (path.as_str(), *line, *rule))
        .collect();
    assert_eq!(found, expected(&rows));
    assert_eq!(code, 1);
}

#[test]
fn aspnet_core_policies_and_hand_set_headers() {
    let (found, code) = scan("aspnet-api");
    assert_eq!(
        found,
        expected(&[
            // ASP.NET Web API 2 attributes and an IIS config transform.
            ("Legacy/Controllers/ItemsController.cs", 13, "CORS001"),
            ("Legacy/Controllers/ItemsController.cs", 19, "CORS003"),
            ("Legacy/Web.Release.config", 6, "CORS003"),
            ("Middleware/LegacyCorsMiddleware.cs", 18, "CORS001"),
            ("Middleware/LegacyCorsMiddleware.cs", 29, "CORS002"),
            // Regex.IsMatch searches: no anchors.
            ("Middleware/PartnerOriginCheck.cs", 13, "CORS005"),
            ("Program.cs", 15, "CORS001"),
            // SetIsOriginAllowed(_ => true) … AllowCredentials() in one chain.
            ("Program.cs", 24, "CORS003"),
            ("Program.cs", 32, "CORS001"),
            ("Program.cs", 34, "CORS004"),
            ("Program.cs", 36, "CORS002"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn rack_cors_allow_blocks() {
    let (found, code) = scan("rails-api");
    assert_eq!(
        found,
        expected(&[
            // Hand-set headers; the guarded echo in ApplicationController is fine.
            ("app/controllers/feeds_controller.rb", 6, "CORS001"),
            ("app/controllers/widgets_controller.rb", 13, "CORS003"),
            ("config.ru", 8, "CORS003"),
            ("config.ru", 13, "CORS004"),
            // The credentials of the block above belong to another block.
            ("config/initializers/cors.rb", 17, "CORS001"),
            ("config/initializers/cors.rb", 27, "CORS005"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn laravel_config_and_raw_php_headers() {
    let (found, code) = scan("laravel-api");
    assert_eq!(
        found,
        expected(&[
            ("app/Http/Middleware/PublicFeedCors.php", 13, "CORS001"),
            ("config/cors-desktop.php", 5, "CORS004"),
            ("config/cors-desktop.php", 6, "CORS005"),
            ("config/cors-partner.php", 7, "CORS003"),
            ("config/cors.php", 23, "CORS005"),
            ("public/embed.php", 2, "CORS004"),
            ("public/legacy-api.php", 5, "CORS003"),
            // preg_match without anchors; the echo it guards is not CORS002.
            ("public/partner.php", 5, "CORS005"),
            ("public/widget.php", 3, "CORS002"),
            // Symfony `new Response(…, ['Access-Control-Allow-Origin' => '*'])`
            // and `Header(…)` in another case; the partner origin is fine.
            ("src/Controller/FeedController.php", 11, "CORS001"),
            ("src/Controller/FeedController.php", 16, "CORS001"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn credentials_replace_the_wildcard_finding_at_the_same_spot() {
    let (document, _) = scan_json(&fixture("cors-python_jvm/flask-api"), &[]);
    let config = document["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .find(|f| f["path"] == "config.py")
        .expect("config.py has a finding");
    assert_eq!(config["rule_id"], "CORS003");
    assert_eq!(config["level"], "error");
    // The span is the `"*"` value, as the CORS001 detector reports it.
    assert_eq!(
        (config["line"].as_u64(), config["column"].as_u64()),
        (Some(12), Some(20))
    );
    assert_eq!(config["end_column"], 23);
}

#[test]
fn vertx_and_javalin_services() {
    let (found, code) = scan("jvm-microservices");
    assert_eq!(
        found,
        expected(&[
            (
                "javalin-admin/src/main/java/com/example/admin/PublicApp.java",
                8,
                "CORS001"
            ),
            // create() with no origin; the account route adds its origins.
            (
                "vertx-gateway/src/main/java/com/example/gateway/MainVerticle.java",
                24,
                "CORS001"
            ),
            (
                "vertx-gateway/src/main/java/com/example/gateway/MainVerticle.java",
                28,
                "CORS003"
            ),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn sinatra_cross_origin_defaults_and_hand_set_headers() {
    let (found, code) = scan("sinatra-api");
    assert_eq!(
        found,
        expected(&[
            // The admin app's echo has no allowlist check.
            ("admin.rb", 15, "CORS002"),
            // Defaults: any origin, credentials on.
            ("app.rb", 8, "CORS003"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn quart_cors_defaults() {
    let (found, code) = scan("quart-api");
    assert_eq!(
        found,
        expected(&[
            ("app/__init__.py", 11, "CORS001"),
            ("app/__init__.py", 15, "CORS001"),
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn safe_configurations_in_every_framework_are_clean() {
    // Allowlists from the environment, anchored and escaped regexes,
    // wildcard subdomain patterns, guarded echoes, and comments that quote
    // the permissive calls: no finding, exit 0, every file scanned.
    let (document, code) = scan_json(&fixture("cors-python_jvm/safe-services"), &[]);
    assert_eq!(locations(&document), expected(&[]));
    assert_eq!(code, 0);
    assert_eq!(document["summary"]["files_scanned"], 10);
}
