//! CORS conditions with `scope = "block"`: a guard or a credentials header
//! counts only inside the `{…}` blocks that enclose the header it qualifies
//! (issue 12). A guard in the next handler does not silence a reflection;
//! a guard in the same block, or in the header of the block (`if
//! allowed(origin) {`, a loop over an allowlist), does; credentials sent by
//! another branch do not make a wildcard branch CORS003.

use tempfile::TempDir;

use crate::support::{expected, locations, scan_json, write};

fn scan(path: &str, source: &str) -> Vec<(String, u64, String)> {
    let dir = TempDir::new().unwrap();
    write(dir.path(), path, source);
    let (document, _) = scan_json(dir.path(), &["--no-config"]);
    locations(&document)
}

#[test]
fn a_guard_in_the_next_handler_does_not_silence_a_reflection() {
    let source = r#"package main

func routes() {
	http.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Set("Access-Control-Allow-Origin", origin)
	})
	http.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if allowedOrigin(origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
	})
}
"#;
    assert_eq!(
        scan("main.go", source),
        expected(&[("main.go", 6, "CORS002")])
    );
}

#[test]
fn a_guard_in_the_same_block_or_its_header_silences_the_reflection() {
    let source = r#"package main

func routes() {
	http.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && strings.HasSuffix(origin, ".example.com") {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
	})
	http.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		for _, v := range cfg.AllowedOrigins {
			if v == origin {
				w.Header().Add("Access-Control-Allow-Origin", origin)
				break
			}
		}
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	})
}
"#;
    assert_eq!(scan("main.go", source), expected(&[]));
}

#[test]
fn credentials_pair_with_the_branch_that_sends_them() {
    let source = r#"package main

func handler(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if publicRoute {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	} else if allowedOrigins[origin] {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
}

func other(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Credentials", "true")
}
"#;
    assert_eq!(
        scan("main.go", source),
        expected(&[("main.go", 6, "CORS001"), ("main.go", 14, "CORS003")])
    );
}

#[test]
fn credentials_after_the_block_of_the_header_still_pair_with_it() {
    // The credentials header is in the enclosing function block, which
    // holds the reflection too.
    let source = r#"server.on('request', (req, res) => {
    if (ready) {
        res.setHeader("Access-Control-Allow-Origin", "*");
    }
    res.setHeader("Access-Control-Allow-Credentials", "true");
});
server.on('request', (req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
});
"#;
    assert_eq!(
        scan("server.js", source),
        expected(&[("server.js", 3, "CORS003"), ("server.js", 8, "CORS001")])
    );
}
