//! CORS in web servers and infrastructure configuration: one realistic
//! project per family under `fixtures/cors-infra/`, permissive and safe
//! variants side by side. Every expected finding, and nothing else.

use crate::support::{assert_fixture_findings, fixture, scan_json};

fn assert_findings(project: &str, rows: &[(&str, u64, &str)]) {
    assert_fixture_findings(&format!("cors-infra/{project}"), rows);
}

#[test]
fn nginx_gateway() {
    assert_findings(
        "nginx-gateway",
        &[
            // A `more_set_headers` configuration snippet on an ingress.
            ("deploy/ingress.yaml", 7, "CORS003"),
            // Unanchored `if ($http_origin ~* …)` guard, and the reflection
            // it fails to protect; the anchored guard above it is fine.
            ("nginx/conf.d/admin.conf", 16, "CORS005"),
            ("nginx/conf.d/admin.conf", 17, "CORS003"),
            ("nginx/conf.d/api.conf", 19, "CORS003"),
            ("nginx/conf.d/api.conf", 27, "CORS001"),
            // The allowlist `map` lives in nginx.conf, not in this file.
            ("nginx/conf.d/api.conf", 36, "CORS002"),
            ("nginx/conf.d/api.conf", 41, "CORS004"),
            // A `map $http_origin` that defaults to the origin itself, and
            // its regex entry without `$`.
            ("nginx/conf.d/widgets-map.conf", 4, "CORS002"),
            ("nginx/conf.d/widgets-map.conf", 6, "CORS005"),
        ],
    );
}

#[test]
fn apache_site() {
    assert_findings(
        "apache-site",
        &[
            ("apache/sites-available/partners.conf", 5, "CORS003"),
            // Vhost-level credentials apply inside `<Location>` too.
            ("apache/sites-available/partners.conf", 9, "CORS003"),
            ("apache/sites-available/partners.conf", 13, "CORS004"),
            // `SetEnvIf Origin "(.*)"` captures every origin.
            ("public/.htaccess", 6, "CORS002"),
            ("public/api/.htaccess", 3, "CORS005"),
            // Public fonts: still a wildcard (scope it out by path).
            ("public/fonts/.htaccess", 4, "CORS001"),
        ],
    );
}

#[test]
fn caddy_proxy() {
    assert_findings(
        "caddy-proxy",
        &[
            ("Caddyfile", 21, "CORS001"),
            ("sites/partners.caddyfile", 2, "CORS005"),
            // The matcher above is no allowlist: its regex is unanchored.
            ("sites/partners.caddyfile", 3, "CORS002"),
            ("sites/partners.caddyfile", 6, "CORS002"),
            ("sites/widgets.caddyfile", 3, "CORS003"),
        ],
    );
}

#[test]
fn haproxy_load_balancer() {
    assert_findings(
        "haproxy-lb",
        &[
            // Reflected with credentials and no `if <acl>`; the api backend
            // above does it behind an anchored ACL.
            ("haproxy.cfg", 27, "CORS003"),
            ("haproxy.cfg", 32, "CORS001"),
            // `-m sub`: a substring test, not an allowlist.
            ("haproxy.cfg", 38, "CORS005"),
        ],
    );
}

#[test]
fn traefik_stack() {
    assert_findings(
        "traefik-stack",
        &[
            ("docker-compose.yml", 28, "CORS001"),
            ("docker-compose.yml", 40, "CORS003"),
            ("k8s/middleware.yaml", 11, "CORS001"),
            ("traefik/dynamic.yml", 22, "CORS005"),
            ("traefik/legacy.toml", 5, "CORS003"),
        ],
    );
}

#[test]
fn kubernetes_ingress_nginx() {
    assert_findings(
        "k8s-ingress",
        &[
            ("charts/shop/values.yaml", 18, "CORS003"),
            // `enable-cors` alone: `*` with credentials, the defaults.
            ("manifests/ingress.yaml", 8, "CORS003"),
            ("manifests/ingress.yaml", 56, "CORS001"),
        ],
    );
}

#[test]
fn envoy_proxy() {
    assert_findings(
        "envoy-proxy",
        &[
            ("envoy.yaml", 35, "CORS003"),
            ("envoy.yaml", 47, "CORS005"),
            ("legacy-routes.json", 7, "CORS001"),
        ],
    );
}

#[test]
fn istio_virtual_services() {
    assert_findings(
        "istio-mesh",
        &[
            ("mesh/virtualservices.yaml", 35, "CORS003"),
            ("mesh/virtualservices.yaml", 52, "CORS005"),
            ("mesh/virtualservices.yaml", 69, "CORS001"),
        ],
    );
}

#[test]
fn gateway_api_envoy_gateway_and_kong() {
    assert_findings(
        "api-gateways",
        &[
            ("k8s/routes.yaml", 12, "CORS003"),
            ("k8s/security-policies.yaml", 28, "CORS001"),
            // Kong's `cors` plugin without `origins` defaults to `*`.
            ("kong/kong.yml", 21, "CORS001"),
            ("kong/kong.yml", 31, "CORS003"),
        ],
    );
}

#[test]
fn aws_s3_bucket_cors() {
    assert_findings(
        "aws-s3-cors",
        &[
            ("cloudformation/buckets.yaml", 27, "CORS001"),
            ("s3/assets-cors.json", 7, "CORS001"),
            ("s3/legacy-cors.xml", 10, "CORS001"),
            ("s3/sandbox-cors.json", 5, "CORS004"),
            ("scripts/setup-buckets.sh", 8, "CORS001"),
        ],
    );
}

#[test]
fn storage_cors_from_the_command_line() {
    assert_findings(
        "storage-cli",
        &[
            ("gcs/public-cors.json", 3, "CORS001"),
            ("scripts/configure-cors.sh", 12, "CORS001"),
        ],
    );
}

#[test]
fn terraform_infra() {
    assert_findings(
        "terraform-infra",
        &[
            ("api.tf", 22, "CORS003"),
            ("api.tf", 35, "CORS001"),
            ("azure.tf", 12, "CORS001"),
            ("azure.tf", 27, "CORS003"),
            ("cloudfront.tf", 16, "CORS003"),
            ("env/dev.tfvars", 1, "CORS001"),
            ("gcs.tf", 18, "CORS001"),
            ("s3.tf", 26, "CORS001"),
        ],
    );
}

#[test]
fn serverless_framework_api() {
    assert_findings(
        "serverless-api",
        &[
            ("serverless.yml", 32, "CORS001"),
            ("serverless.yml", 41, "CORS003"),
            ("services/partners/serverless.yml", 10, "CORS001"),
        ],
    );
}

#[test]
fn sam_and_cloudformation_api_gateway() {
    assert_findings(
        "sam-app",
        &[
            ("legacy-api.json", 14, "CORS001"),
            ("legacy-api.json", 27, "CORS003"),
            ("template.yaml", 32, "CORS001"),
            ("template.yaml", 40, "CORS003"),
            ("template.yaml", 46, "CORS001"),
            ("template.yaml", 54, "CORS001"),
        ],
    );
}

#[test]
fn aws_cdk_app() {
    assert_findings(
        "cdk-app",
        &[
            ("lib/api-stack.ts", 23, "CORS001"),
            ("lib/api-stack.ts", 30, "CORS003"),
            ("lib/api-stack.ts", 41, "CORS001"),
            ("python/reports_stack.py", 12, "CORS003"),
        ],
    );
}

#[test]
fn hardened_stack_with_only_safe_variants_is_clean() {
    assert_findings("hardened-stack", &[]);
}

#[test]
fn credentials_replace_the_wildcard_finding_at_the_same_spot() {
    // nginx `'*'` with credentials: one CORS003, no CORS001 beside it.
    let (document, _) = scan_json(&fixture("cors-infra/nginx-gateway"), &[]);
    let partner: Vec<_> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "nginx/conf.d/api.conf" && f["line"] == 19)
        .collect();
    assert_eq!(partner.len(), 1);
    assert_eq!(partner[0]["rule_id"], "CORS003");
    assert_eq!(partner[0]["level"], "error");
}
