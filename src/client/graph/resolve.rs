//! From an import specifier to the project file a bundler would load.
//!
//! Hand-written for the cases apps use: relative paths with extension and
//! `index` probing (and TypeScript's `./x.js` meaning `./x.ts`),
//! tsconfig/jsconfig `paths` and `baseUrl` (with `extends`, comments and
//! trailing commas), SvelteKit's `$lib`, Nuxt's `~` and `@`, Vite's
//! root-absolute `/src/main.ts`. Anything else is a package: a leaf, never
//! walked. Existence is answered from the project's file list, so resolving
//! costs no system call. The project's own `package.json` `imports`
//! (`#lib/*`) are followed too. `oxc_resolver` would add package
//! `exports`, which only matter for packages, leaves here; it adds 34
//! crates to the lock file, and a clean `cargo build --release` went from
//! 177 s to 425 s on the 2-core build machine (busy both times).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use crate::tree::Tree;

/// Extensions tried, in the bundlers' order, for a specifier without one.
const EXTENSIONS: &[&str] = &[
    "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "vue", "svelte", "json",
];

/// How many `extends` a tsconfig chain may have (a cycle ends here too).
const MAX_EXTENDS: usize = 8;

/// tsconfig files are small; a larger one is not read.
const CONFIG_READ_LIMIT: u64 = 1 << 20;

#[derive(Debug, Default)]
pub struct Resolver {
    files: HashSet<PathBuf>,
    base_url: Option<PathBuf>,
    /// tsconfig `paths`: (pattern, target patterns, already absolute).
    paths: Vec<(String, Vec<PathBuf>)>,
    /// Framework aliases: (prefix, directory), longest prefix first.
    aliases: Vec<(String, PathBuf)>,
    root: PathBuf,
}

impl Resolver {
    /// `frameworks` names the project kinds at `root` (`sveltekit`, `nuxt`).
    pub fn new(
        root: &Path,
        files: HashSet<PathBuf>,
        tree: &dyn Tree,
        frameworks: &[&str],
    ) -> Resolver {
        let mut resolver = Resolver {
            files,
            root: root.to_path_buf(),
            ..Resolver::default()
        };
        for name in ["tsconfig.json", "jsconfig.json"] {
            let config = root.join(name);
            if resolver.files.contains(&config) {
                resolver.read_tsconfig(&config, tree);
                break;
            }
        }
        resolver.read_package_imports(root, tree);
        let mut aliases: Vec<(String, PathBuf)> = Vec::new();
        if frameworks.contains(&"sveltekit") {
            aliases.push(("$lib/".into(), root.join("src/lib")));
            aliases.push(("$lib".into(), root.join("src/lib")));
        }
        if frameworks.contains(&"nuxt") {
            // Nuxt 4 keeps the app under `app/`; `~~` and `@@` are the root.
            let has_dir = |name: &str| {
                let dir = root.join(name);
                resolver.files.iter().any(|file| file.starts_with(&dir))
            };
            let src = if has_dir("app") && !has_dir("pages") {
                root.join("app")
            } else {
                root.to_path_buf()
            };
            for (prefix, dir) in [("~~/", root), ("@@/", root), ("~/", &src), ("@/", &src)] {
                aliases.push((prefix.into(), dir.to_path_buf()));
            }
        }
        // Vite and Vue CLI apps alias `@` to `src/` by convention; tried
        // after tsconfig `paths`, which say it explicitly when they do.
        aliases.push(("@/".into(), root.join("src")));
        resolver.aliases = aliases;
        resolver
    }

    /// Reads `compilerOptions.baseUrl` and `paths`, nearest config first,
    /// following `extends` to relative files.
    fn read_tsconfig(&mut self, first: &Path, tree: &dyn Tree) {
        let mut next = Some(first.to_path_buf());
        let mut seen = 0;
        let (mut have_base, mut have_paths) = (false, false);
        while let Some(config) = next.take() {
            seen += 1;
            if seen > MAX_EXTENDS {
                break;
            }
            let Some(bytes) = tree.read(&config, CONFIG_READ_LIMIT) else {
                break;
            };
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(&strip_jsonc(&bytes))
            else {
                break;
            };
            let dir = config.parent().unwrap_or(Path::new("")).to_path_buf();
            let options = value.get("compilerOptions");
            let base = options
                .and_then(|o| o.get("baseUrl"))
                .and_then(|b| b.as_str())
                .map(|b| lexical(&dir.join(b)));
            if !have_base && let Some(base) = &base {
                self.base_url = Some(base.clone());
                have_base = true;
            }
            if !have_paths
                && let Some(paths) = options
                    .and_then(|o| o.get("paths"))
                    .and_then(|p| p.as_object())
            {
                // Targets are relative to baseUrl when one is set (in this
                // config or one it extends), else to this config.
                have_paths = true;
                let targets_dir = self.base_url.clone().or(base).unwrap_or(dir.clone());
                for (pattern, targets) in paths {
                    let targets = targets
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|t| t.as_str())
                        .map(|t| lexical(&targets_dir.join(t)))
                        .collect();
                    self.paths.push((pattern.clone(), targets));
                }
            }
            let extends = match value.get("extends") {
                Some(serde_json::Value::String(one)) => Some(one.clone()),
                Some(serde_json::Value::Array(many)) => {
                    many.first().and_then(|m| m.as_str()).map(String::from)
                }
                _ => None,
            };
            next = extends.filter(|e| e.starts_with('.')).map(|e| {
                let path = lexical(&dir.join(&e));
                if self.files.contains(&path) {
                    path
                } else {
                    PathBuf::from(format!("{}.json", path.display()))
                }
            });
        }
        // Longest pattern first, as TypeScript picks the longest prefix.
        self.paths.sort_by_key(|(pattern, _)| {
            std::cmp::Reverse(pattern.find('*').unwrap_or(pattern.len()))
        });
    }

    /// `package.json` `imports` (`"#lib/*": "./src/lib/*"`), with the
    /// browser target of a conditional one, as `paths` patterns.
    fn read_package_imports(&mut self, root: &Path, tree: &dyn Tree) {
        let Some(bytes) = tree.read(&root.join("package.json"), CONFIG_READ_LIMIT) else {
            return;
        };
        let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return;
        };
        let Some(imports) = manifest.get("imports").and_then(|i| i.as_object()) else {
            return;
        };
        for (pattern, target) in imports {
            let target = match target {
                serde_json::Value::String(one) => Some(one.as_str()),
                serde_json::Value::Object(conditions) => ["browser", "import", "default"]
                    .iter()
                    .find_map(|c| conditions.get(*c)?.as_str()),
                _ => None,
            };
            if let Some(target) = target.filter(|t| t.starts_with("./")) {
                self.paths
                    .push((pattern.clone(), vec![lexical(&root.join(target))]));
            }
        }
    }

    /// The project file `specifier`, imported from `importer`, loads; `None`
    /// for packages and for files not in the project.
    pub fn resolve(&self, importer: &Path, specifier: &str) -> Option<PathBuf> {
        // `?raw`, `?url` and `#hash` suffixes; a leading `#` is a subpath
        // import.
        let end = specifier
            .char_indices()
            .find(|&(at, c)| c == '?' || (c == '#' && at > 0))
            .map_or(specifier.len(), |(at, _)| at);
        let specifier = Some(&specifier[..end]).filter(|s| !s.is_empty())?;
        if specifier.starts_with("./")
            || specifier.starts_with("../")
            || specifier == "."
            || specifier == ".."
        {
            let dir = importer.parent()?;
            return self.probe(&lexical(&dir.join(specifier)));
        }
        if let Some(rest) = specifier.strip_prefix('/') {
            return self.probe(&lexical(&self.root.join(rest)));
        }
        for (pattern, targets) in &self.paths {
            let Some(star) = matched_star(pattern, specifier) else {
                continue;
            };
            for target in targets {
                let target = target.to_string_lossy().replacen('*', star, 1);
                if let Some(found) = self.probe(Path::new(&target)) {
                    return Some(found);
                }
            }
        }
        for (prefix, dir) in &self.aliases {
            if let Some(rest) = specifier.strip_prefix(prefix.as_str()) {
                if let Some(found) = self.probe(&lexical(&dir.join(rest))) {
                    return Some(found);
                }
            } else if prefix.ends_with('/')
                && specifier == &prefix[..prefix.len() - 1]
                && let Some(found) = self.probe(dir)
            {
                return Some(found);
            }
        }
        self.base_url
            .as_ref()
            .and_then(|base| self.probe(&lexical(&base.join(specifier))))
    }

    /// The absolute glob of an `import.meta.glob` pattern written in
    /// `importer`, or `None` for a pattern this resolver cannot place.
    pub fn glob_pattern(&self, importer: &Path, pattern: &str) -> Option<String> {
        let absolute = if pattern.starts_with("./") || pattern.starts_with("../") {
            lexical(&importer.parent()?.join(pattern))
        } else if let Some(rest) = pattern.strip_prefix('/') {
            lexical(&self.root.join(rest))
        } else {
            let (prefix, dir) = self
                .aliases
                .iter()
                .find(|(prefix, _)| pattern.starts_with(prefix.as_str()))?;
            lexical(&dir.join(&pattern[prefix.len()..]))
        };
        Some(absolute.to_string_lossy().replace('\\', "/"))
    }

    pub fn files(&self) -> &HashSet<PathBuf> {
        &self.files
    }

    fn probe(&self, candidate: &Path) -> Option<PathBuf> {
        if self.files.contains(candidate) {
            return Some(candidate.to_path_buf());
        }
        let text = candidate.to_string_lossy();
        for ext in EXTENSIONS {
            let with = PathBuf::from(format!("{text}.{ext}"));
            if self.files.contains(&with) {
                return Some(with);
            }
        }
        // TypeScript's ESM style: `./x.js` names the source `./x.ts`.
        if let Some(ext) = candidate.extension().and_then(|e| e.to_str()) {
            let sources: &[&str] = match ext {
                "js" => &["ts", "tsx"],
                "jsx" => &["tsx"],
                "mjs" => &["mts"],
                "cjs" => &["cts"],
                _ => &[],
            };
            for source in sources {
                let with = candidate.with_extension(source);
                if self.files.contains(&with) {
                    return Some(with);
                }
            }
        }
        EXTENSIONS.iter().find_map(|ext| {
            let index = candidate.join(format!("index.{ext}"));
            self.files.contains(&index).then_some(index)
        })
    }
}

/// The part of `specifier` a tsconfig `paths` pattern's `*` stands for
/// (empty for an exact pattern), if the pattern matches.
fn matched_star<'s>(pattern: &str, specifier: &'s str) -> Option<&'s str> {
    match pattern.split_once('*') {
        None => (pattern == specifier).then_some(""),
        Some((prefix, suffix)) => specifier
            .strip_prefix(prefix)?
            .strip_suffix(suffix)
            .filter(|_| specifier.len() >= prefix.len() + suffix.len()),
    }
}

/// `a/./b/../c` as `a/c`, without touching the disk.
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// JSON with comments and trailing commas (tsconfig's dialect) as JSON.
pub fn strip_jsonc(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < text.len() && text[i] != b'"' {
                    i += if text[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(text.len());
                out.extend_from_slice(&text[start..i]);
            }
            b'/' if text.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |n| i + n);
            }
            b'/' if text.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&text[i + 2..], b"*/")
                    .map_or(text.len(), |n| i + 2 + n + 2);
            }
            b',' => {
                let next = text[i + 1..]
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .map(|n| text[i + 1 + n]);
                if !matches!(next, Some(b'}' | b']')) {
                    out.push(b',');
                }
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::WorkTree;

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Resolver) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let mut set = HashSet::new();
        for (path, text) in files {
            let full = root.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text).unwrap();
            set.insert(full);
        }
        let resolver = Resolver::new(&root, set, &WorkTree, &["sveltekit"]);
        (tmp, resolver)
    }

    #[test]
    fn relative_extensions_index_and_ts_esm_style() {
        let (tmp, r) = project(&[
            ("src/a.ts", ""),
            ("src/lib/index.tsx", ""),
            ("src/b.ts", ""),
            ("src/c.svelte", ""),
        ]);
        let root = tmp.path();
        let from = root.join("src/main.ts");
        assert_eq!(r.resolve(&from, "./a"), Some(root.join("src/a.ts")));
        assert_eq!(
            r.resolve(&from, "./lib"),
            Some(root.join("src/lib/index.tsx"))
        );
        assert_eq!(r.resolve(&from, "./b.js"), Some(root.join("src/b.ts")));
        assert_eq!(
            r.resolve(&from, "./c.svelte?raw"),
            Some(root.join("src/c.svelte"))
        );
        assert_eq!(r.resolve(&from, "/src/a.ts"), Some(root.join("src/a.ts")));
        assert_eq!(
            r.resolve(&from, "$lib"),
            Some(root.join("src/lib/index.tsx"))
        );
        assert_eq!(r.resolve(&from, "react"), None);
        assert_eq!(r.resolve(&from, "./missing"), None);
    }

    #[test]
    fn tsconfig_paths_base_url_extends_comments_and_trailing_commas() {
        let (tmp, r) = project(&[
            (
                "tsconfig.json",
                "// app config\n{ \"extends\": \"./tsconfig.base\", /* x */ \"compilerOptions\": { \"strict\": true, }, }",
            ),
            (
                "tsconfig.base.json",
                "{ \"compilerOptions\": { \"baseUrl\": \".\", \"paths\": { \"@/*\": [\"./*\"], \"~ui/*\": [\"components/ui/*\",], }, }, }",
            ),
            ("lib/constants.ts", ""),
            ("components/ui/button.tsx", ""),
            ("utils/format.ts", ""),
        ]);
        let root = tmp.path();
        let from = root.join("app/page.tsx");
        assert_eq!(
            r.resolve(&from, "@/lib/constants"),
            Some(root.join("lib/constants.ts"))
        );
        assert_eq!(
            r.resolve(&from, "~ui/button"),
            Some(root.join("components/ui/button.tsx"))
        );
        // baseUrl makes bare project paths resolve too.
        assert_eq!(
            r.resolve(&from, "utils/format"),
            Some(root.join("utils/format.ts"))
        );
    }

    #[test]
    fn package_json_subpath_imports() {
        let (tmp, r) = project(&[
            (
                "package.json",
                r##"{"imports": {"#lib/*": "./src/lib/*.js", "#env": {"browser": "./src/env.browser.js", "default": "./src/env.js"}, "#dep": "some-package"}}"##,
            ),
            ("src/lib/format.js", ""),
            ("src/env.browser.js", ""),
            ("src/env.js", ""),
        ]);
        let root = tmp.path();
        let from = root.join("src/main.js");
        assert_eq!(
            r.resolve(&from, "#lib/format"),
            Some(root.join("src/lib/format.js"))
        );
        assert_eq!(
            r.resolve(&from, "#env"),
            Some(root.join("src/env.browser.js"))
        );
        assert_eq!(r.resolve(&from, "#dep"), None);
    }

    #[test]
    fn jsonc_is_stripped_outside_strings_only() {
        let out = strip_jsonc(b"{\"a\": \"// not a comment\", \"b\": [1,2,], } // c");
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()["a"],
            "// not a comment"
        );
    }
}
