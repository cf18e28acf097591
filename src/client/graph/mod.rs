//! What the bundler reaches: the module graph of one JavaScript project.
//!
//! A file ships to browsers when a client entry point reaches it through
//! imports, not because of where it sits. Entries come from the
//! frameworks' own conventions (`"use client"` components, Next.js
//! pages-router pages, a Vite app's `index.html` and `src/main.*`,
//! SvelteKit `+page`/`+layout` files, Nuxt app directories, Expo Router's
//! `app/` and the `package.json` `main` of a React Native app). Modules that
//! cannot be bundled for browsers (`import "server-only"`, `"use server"`,
//! `.server` files, `$lib/server`) stop the walk. A file reached only from
//! server code (what the path data calls server) is server.
//!
//! The graph is built once per project root, only when a client-scoped
//! detector hit a file of that project (or for `katscan classify`), and
//! every step is bounded: at most [`MAX_FILES`] files, [`MODULE_READ_LIMIT`]
//! bytes a module, each module parsed once, so cycles and huge bundles
//! cost one pass.

pub(crate) mod imports;
mod resolve;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobBuilder;

use self::imports::ImportKind;
use self::resolve::Resolver;
use super::region::{data_function_ranges, script_elements, script_sources};
use crate::tree::Tree;

/// Files listed per project at most: a project larger than this is
/// classified from the files listed first, and by path beyond them.
const MAX_FILES: usize = 50_000;

/// Bytes of one module read for its imports (a 5 MB bundle is read and
/// scanned in one linear pass; more is not worth it).
const MODULE_READ_LIMIT: u64 = 8 << 20;

/// Directives (`"use client"`) sit at the top, in the first 4 KiB.
const HEAD_BYTES: usize = 4096;

/// How much of each module the entry scan reads. Most source files are
/// smaller: read whole, they are kept for parsing rather than opened a
/// second time.
const FIRST_READ_BYTES: u64 = 16 * 1024;

/// Total bytes of whole small files kept between the entry scan and
/// parsing; beyond it, files are read again when parsed.
const KEPT_BYTES: usize = 64 << 20;

/// Frameworks whose client entry points the graph knows. Elsewhere a file
/// reached only from server code may still ship through an entry the graph
/// does not know, so the path data decides.
pub const GRAPH_FRAMEWORKS: &[&str] = &["nextjs", "sveltekit", "nuxt", "spa", "expo"];

/// Extensions of modules whose imports are followed.
const MODULE_EXTENSIONS: &[&str] = &[
    "js", "jsx", "ts", "tsx", "mjs", "cjs", "mts", "cts", "vue", "svelte", "astro",
];

/// What the path data says about a file, as the graph needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSide {
    Nothing,
    Client,
    Server,
    /// Tests, build output: the graph does not overrule these, and they
    /// are no entry points.
    Decided,
}

/// How a file was reached.
#[derive(Debug, Clone)]
enum Step {
    /// An entry point, with what makes it one.
    Entry(Arc<str>),
    /// Imported by this node.
    From(usize),
}

/// What the graph says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// A client entry point.
    ClientEntry { label: Arc<str>, page: bool },
    /// Imported, directly or not, by a client entry. `chain` runs from the
    /// entry to the file (absolute paths); `audience` is where the bundle
    /// goes ("browsers", "the app").
    Client {
        chain: Vec<PathBuf>,
        label: Arc<str>,
        audience: &'static str,
    },
    /// Reached only from server code.
    Server {
        chain: Vec<PathBuf>,
        label: Arc<str>,
    },
    /// A module that says it must never be bundled for browsers.
    ServerOnly { why: &'static str },
}

#[derive(Debug, Default)]
struct Module {
    /// Imports that ship with the importer.
    edges: Vec<usize>,
    /// Imports used only inside Next.js data functions: stripped from the
    /// client bundle, so they are followed from server code only.
    server_edges: Vec<usize>,
    server_only: Option<&'static str>,
}

/// The graph of one project, walked from its entries.
#[derive(Debug)]
pub struct Graph {
    /// Where client bundles go: "browsers", or "the app" (React Native).
    audience: &'static str,
    files: Vec<PathBuf>,
    index: HashMap<PathBuf, usize>,
    client: HashMap<usize, Step>,
    server: HashMap<usize, Step>,
    server_only: HashMap<usize, &'static str>,
    pages: HashSet<usize>,
}

impl Graph {
    /// Builds the graph of the project at `root` (absolute). `frameworks`
    /// names its project kinds; `data` is what the path data says of a
    /// file (absolute path, first bytes).
    pub fn build(
        root: &Path,
        frameworks: &[&str],
        tree: &dyn Tree,
        data: &dyn Fn(&Path, &[u8]) -> DataSide,
    ) -> Graph {
        let files = tree.files(root, MAX_FILES);
        let index: HashMap<PathBuf, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        let resolver = Resolver::new(root, index.keys().cloned().collect(), tree, frameworks);
        let mut builder = Builder {
            root,
            frameworks,
            tree,
            resolver: &resolver,
            files: &files,
            index: &index,
            modules: HashMap::new(),
            pages: HashSet::new(),
            kept: HashMap::new(),
        };
        let mut kept_bytes = 0;

        let mut client_seeds = Vec::new();
        let mut server_seeds = Vec::new();
        for (node, file) in files.iter().enumerate() {
            let Some(relative) = relative(file, root) else {
                continue;
            };
            let module = is_module(file);
            if !module && !relative.ends_with("index.html") {
                continue;
            }
            let first = tree.read(file, FIRST_READ_BYTES).unwrap_or_default();
            let decoded = crate::decode::scannable(&first);
            let head = &decoded[..decoded.len().min(HEAD_BYTES)];
            let side = data(file, head);
            if side == DataSide::Decided {
                continue;
            }
            if let Some(label) = builder.client_entry(&relative, head) {
                client_seeds.push((node, Step::Entry(label.into())));
            } else if side == DataSide::Server
                || (module && server_marker(&relative, head).is_some())
            {
                server_seeds.push((node, Step::Entry("server code".into())));
            }
            drop(decoded);
            if (first.len() as u64) < FIRST_READ_BYTES && kept_bytes + first.len() <= KEPT_BYTES {
                kept_bytes += first.len();
                builder.kept.insert(node, first);
            }
        }

        if frameworks.contains(&"expo")
            && let Some(main) = package_main(root, tree)
            && let Some(&node) = resolver
                .resolve(&root.join("package.json"), &main)
                .and_then(|file| index.get(&file))
        {
            client_seeds.push((node, Step::Entry("the app's `main` in package.json".into())));
        }

        let mut client: HashMap<usize, Step> = HashMap::new();
        let mut queue = VecDeque::new();
        for (node, step) in client_seeds {
            if builder.module(node).server_only.is_none() {
                client.insert(node, step);
                queue.push_back(node);
            }
        }
        while let Some(node) = queue.pop_front() {
            let edges = builder.module(node).edges.clone();
            for target in edges {
                if client.contains_key(&target) || builder.module(target).server_only.is_some() {
                    continue;
                }
                client.insert(target, Step::From(node));
                queue.push_back(target);
            }
        }

        // Data-function imports of pages are server code's too.
        for page in builder.pages.clone() {
            if client.contains_key(&page) {
                for target in builder.module(page).server_edges.clone() {
                    server_seeds.push((target, Step::From(page)));
                }
            }
        }
        let mut server: HashMap<usize, Step> = HashMap::new();
        for (node, step) in server_seeds {
            if !client.contains_key(&node) && !server.contains_key(&node) {
                server.insert(node, step);
                queue.push_back(node);
            }
        }
        while let Some(node) = queue.pop_front() {
            let module = builder.module(node);
            let edges: Vec<usize> = module
                .edges
                .iter()
                .chain(&module.server_edges)
                .copied()
                .collect();
            for target in edges {
                if client.contains_key(&target) || server.contains_key(&target) {
                    continue;
                }
                server.insert(target, Step::From(node));
                queue.push_back(target);
            }
        }

        let server_only = builder
            .modules
            .iter()
            .filter_map(|(node, module)| module.server_only.map(|why| (*node, why)))
            .collect();
        let pages = builder.pages;
        Graph {
            audience: if frameworks.contains(&"expo") {
                "the app"
            } else {
                "browsers"
            },
            files,
            index,
            client,
            server,
            server_only,
            pages,
        }
    }

    /// What the graph says about `file` (absolute), if it knows it.
    pub fn reach(&self, file: &Path) -> Option<Reach> {
        let &node = self.index.get(file)?;
        if let Some(&why) = self.server_only.get(&node) {
            return Some(Reach::ServerOnly { why });
        }
        if let Some(step) = self.client.get(&node) {
            let (chain, label) = self.chain(&self.client, node, step);
            return Some(match chain.len() {
                1 => Reach::ClientEntry {
                    label,
                    page: self.pages.contains(&node),
                },
                _ => Reach::Client {
                    chain,
                    label,
                    audience: self.audience,
                },
            });
        }
        let step = self.server.get(&node)?;
        let (chain, label) = self.chain(&self.server, node, step);
        (chain.len() > 1).then_some(Reach::Server { chain, label })
    }

    /// The import path from the entry to `node`, entry first.
    fn chain(
        &self,
        steps: &HashMap<usize, Step>,
        node: usize,
        step: &Step,
    ) -> (Vec<PathBuf>, Arc<str>) {
        let mut chain = vec![self.files[node].clone()];
        let mut step = step.clone();
        // Each node has one step, set when first reached: the walk back
        // visits each node once at most.
        let mut left = steps.len() + 1;
        loop {
            match step {
                Step::Entry(label) => {
                    chain.reverse();
                    return (chain, label);
                }
                Step::From(parent) => {
                    chain.push(self.files[parent].clone());
                    left -= 1;
                    step = match steps.get(&parent) {
                        Some(next) if left > 0 => next.clone(),
                        // A data-function import: the page is the entry.
                        _ => Step::Entry(
                            "getStaticProps and the other data functions run on the server".into(),
                        ),
                    };
                }
            }
        }
    }
}

struct Builder<'a> {
    root: &'a Path,
    frameworks: &'a [&'a str],
    tree: &'a dyn Tree,
    resolver: &'a Resolver,
    files: &'a [PathBuf],
    index: &'a HashMap<PathBuf, usize>,
    modules: HashMap<usize, Module>,
    pages: HashSet<usize>,
    /// Whole files read by the entry scan, not parsed yet.
    kept: HashMap<usize, Vec<u8>>,
}

impl Builder<'_> {
    /// Why the file at `relative` (to the root) is a client entry point.
    fn client_entry(&mut self, relative: &str, head: &[u8]) -> Option<&'static str> {
        let name = relative.rsplit('/').next().unwrap_or(relative);
        let is_module = MODULE_EXTENSIONS.contains(&extension(name));
        if name.contains(".server.") || relative.contains("lib/server/") {
            return None;
        }
        if is_module && directive(head, b"use client") {
            return Some("\"use client\"");
        }
        let has = |kind: &str| self.frameworks.contains(&kind);
        if has("nextjs") && is_module {
            let pages = relative
                .strip_prefix("src/pages/")
                .or_else(|| relative.strip_prefix("pages/"));
            if let Some(page) = pages
                && !page.starts_with("api/")
                && !name.starts_with("_document.")
            {
                if let Some(&node) = self.index.get(&self.root.join(relative)) {
                    self.pages.insert(node);
                }
                return Some("a Next.js page");
            }
        }
        if has("spa") {
            if relative == "index.html" || relative == "public/index.html" {
                return Some("the app's `index.html`");
            }
            let stem = name.split('.').next().unwrap_or("");
            if is_module
                && relative.matches('/').count() == 1
                && relative.starts_with("src/")
                && (stem == "main" || stem == "index")
            {
                return Some("the app's entry module");
            }
        }
        let svelte_page = (relative.starts_with("src/routes/")
            && ["+page.", "+layout.", "+error."]
                .iter()
                .any(|p| name.starts_with(p)))
            || name.starts_with("hooks.client.");
        if has("sveltekit") && is_module && svelte_page {
            return Some("a SvelteKit page");
        }
        if has("nuxt") && is_module {
            let in_app = relative.strip_prefix("app/").unwrap_or(relative);
            let dirs = [
                "pages/",
                "layouts/",
                "components/",
                "composables/",
                "plugins/",
                "middleware/",
                "utils/",
            ];
            if dirs.iter().any(|d| in_app.starts_with(d))
                || matches!(in_app, "app.vue" | "error.vue")
            {
                return Some("Nuxt app code");
            }
        }
        if has("expo") && is_module {
            let in_src = relative.strip_prefix("src/").unwrap_or(relative);
            if in_src.starts_with("app/") && !name.contains("+api.") && !name.starts_with("+html.")
            {
                return Some("an Expo Router screen");
            }
        }
        None
    }

    /// The module at `node`, parsed on first use.
    fn module(&mut self, node: usize) -> &Module {
        if !self.modules.contains_key(&node) {
            let module = self.parse(node);
            self.modules.insert(node, module);
        }
        &self.modules[&node]
    }

    fn parse(&mut self, node: usize) -> Module {
        let file = &self.files[node];
        let ext = extension(&file.to_string_lossy()).to_string();
        let is_html = ext == "html" || ext == "htm";
        if !MODULE_EXTENSIONS.contains(&ext.as_str()) && !is_html {
            return Module::default();
        }
        let Some(bytes) = self
            .kept
            .remove(&node)
            .or_else(|| self.tree.read(file, MODULE_READ_LIMIT))
        else {
            return Module::default();
        };
        let source = crate::decode::scannable(&bytes);
        let mut module = Module::default();
        let relative = relative(file, self.root).unwrap_or_default();
        module.server_only = server_marker(&relative, &source[..source.len().min(HEAD_BYTES)]);

        let mut found = Vec::new();
        let mut html_sources = Vec::new();
        match ext.as_str() {
            "vue" | "svelte" | "astro" => {
                for range in script_elements(&source) {
                    found.extend(imports::imports(&source[range.clone()]).into_iter().map(
                        |mut i| {
                            i.statement =
                                i.statement.start + range.start..i.statement.end + range.start;
                            i
                        },
                    ));
                }
            }
            _ if is_html => {
                for range in script_elements(&source) {
                    found.extend(imports::imports(&source[range]));
                }
                html_sources = script_sources(&source);
            }
            _ => found = imports::imports(&source),
        }
        if found.iter().any(|i| i.specifier == "server-only") {
            module.server_only = module.server_only.or(Some("it imports \"server-only\""));
        }
        let data_ranges = if self.pages.contains(&node) {
            data_function_ranges(&source)
        } else {
            Vec::new()
        };

        let mut edges = Vec::new();
        let mut server_edges = Vec::new();
        for specifier in html_sources {
            if let Some(target) = self.resolver.resolve(file, &specifier) {
                edges.push(target);
            }
        }
        let mut globs = Vec::new();
        for import in &found {
            if import.kind == ImportKind::Glob {
                globs.push(import.specifier.as_str());
                continue;
            }
            let Some(target) = self.resolver.resolve(file, &import.specifier) else {
                continue;
            };
            if !data_ranges.is_empty()
                && !import.bindings.is_empty()
                && import
                    .bindings
                    .iter()
                    .all(|b| !used_outside(&source, b.as_bytes(), &import.statement, &data_ranges))
            {
                server_edges.push(target);
            } else {
                edges.push(target);
            }
        }
        edges.extend(self.glob_targets(file, &globs));
        let to_nodes = |paths: Vec<PathBuf>| -> Vec<usize> {
            let mut nodes: Vec<usize> = paths
                .iter()
                .filter_map(|p| self.index.get(p).copied())
                .collect();
            nodes.dedup();
            nodes
        };
        module.edges = to_nodes(edges);
        module.server_edges = to_nodes(server_edges);
        module
    }

    /// The files `import.meta.glob` patterns (`!` to exclude) match.
    fn glob_targets(&self, importer: &Path, patterns: &[&str]) -> Vec<PathBuf> {
        if patterns.is_empty() {
            return Vec::new();
        }
        let compile = |pattern: &str| {
            let absolute = self.resolver.glob_pattern(importer, pattern)?;
            GlobBuilder::new(&absolute)
                .literal_separator(true)
                .build()
                .ok()
                .map(|g| g.compile_matcher())
        };
        let include: Vec<_> = patterns
            .iter()
            .filter(|p| !p.starts_with('!'))
            .filter_map(|p| compile(p))
            .collect();
        let exclude: Vec<_> = patterns
            .iter()
            .filter_map(|p| p.strip_prefix('!'))
            .filter_map(compile)
            .collect();
        if include.is_empty() {
            return Vec::new();
        }
        self.resolver
            .files()
            .iter()
            .filter(|file| {
                let shown = file.to_string_lossy().replace('\\', "/");
                include.iter().any(|g| g.is_match(&shown))
                    && !exclude.iter().any(|g| g.is_match(&shown))
            })
            .cloned()
            .collect()
    }
}

/// The module a React Native app starts from: `package.json` `main`
/// (`index` when unset), as a path in the project. A package entry
/// (`expo-router/entry`) resolves to nothing: `app/` holds the entries then.
fn package_main(root: &Path, tree: &dyn Tree) -> Option<String> {
    let manifest = tree.read(&root.join("package.json"), 1 << 20)?;
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).ok()?;
    let main = manifest
        .get("main")
        .and_then(|m| m.as_str())
        .unwrap_or("index");
    Some(format!("./{}", main.trim_start_matches("./")))
}

/// Why a module may never be bundled for browsers, from its name and
/// first bytes.
fn server_marker(relative: &str, head: &[u8]) -> Option<&'static str> {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    if name.contains(".server.") {
        Some("`.server` modules never reach the browser")
    } else if relative.contains("lib/server/") {
        Some("SvelteKit refuses to bundle `$lib/server` for browsers")
    } else if directive(head, b"use server") {
        Some("a \"use server\" module reaches browsers only as a call to the server")
    } else {
        None
    }
}

/// Whether `source` starts (after blank space and comments) with the
/// directive `"text"` or `'text'`.
pub fn directive(source: &[u8], text: &[u8]) -> bool {
    let mut at = 0;
    loop {
        while source.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        if source[at..].starts_with(b"//") {
            at = memchr::memchr(b'\n', &source[at..]).map_or(source.len(), |i| at + i);
        } else if source[at..].starts_with(b"/*") {
            at = memchr::memmem::find(&source[at + 2..], b"*/")
                .map_or(source.len(), |i| at + 2 + i + 2);
        } else {
            break;
        }
    }
    let rest = &source[at..];
    matches!(rest.first(), Some(b'"' | b'\''))
        && rest[1..].starts_with(text)
        && rest.get(1 + text.len()) == rest.first()
}

/// Whether the word `name` occurs in `source` outside `statement` and
/// `ranges`.
fn used_outside(
    source: &[u8],
    name: &[u8],
    statement: &std::ops::Range<usize>,
    ranges: &[std::ops::Range<usize>],
) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    memchr::memmem::find_iter(source, name).any(|at| {
        let end = at + name.len();
        let whole = (at == 0 || !word(source[at - 1])) && source.get(end).is_none_or(|&b| !word(b));
        whole && !statement.contains(&at) && !ranges.iter().any(|r| r.contains(&at))
    })
}

fn is_module(file: &Path) -> bool {
    MODULE_EXTENSIONS.contains(&extension(&file.to_string_lossy()))
}

fn extension(name: &str) -> &str {
    match name.rsplit_once('.') {
        Some((_, ext)) if !ext.contains('/') => ext,
        _ => "",
    }
}

/// `file` relative to `base`, `/`-separated.
pub fn relative(file: &Path, base: &Path) -> Option<String> {
    let rest = file.strip_prefix(base).ok()?;
    Some(
        rest.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}
