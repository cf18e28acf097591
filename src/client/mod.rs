//! Which files ship to clients: browsers, phones, desktops.
//!
//! No other secret scanner knows this, and KAT002 and KAT004 depend on it
//! being right. The knowledge is data (`rules/clients/*.toml`, schema in
//! `rules/README.md`): project kinds recognised by marker files and
//! dependencies, and an ordered list of path globs, path regexes and
//! content markers, each saying `client` or `server` and why. The first
//! entry that matches decides; a file nothing matches is neither.

mod flutter;
pub mod graph;
mod project;
mod region;

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;

use graph::{DataSide, GRAPH_FRAMEWORKS, Graph, Reach};
use project::{Place, ProjectCache};

use crate::tree::{Tree, WorkTree};
pub use region::script_elements;

/// The classification data compiled into the binary.
const BUILTIN_SOURCES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_clients.rs"));

/// How much of a file `content` markers look at: `"use client"` must be
/// the first statement, so its head is enough, and bundles stay cheap.
const CONTENT_HEAD: usize = 4096;

/// Which side of the network a file runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Client,
    Server,
}

/// The part of a client file that actually ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    #[default]
    Whole,
    /// Only `<script>` elements (Astro: the frontmatter runs on the server;
    /// server-rendered templates).
    ScriptElements,
    /// All but the Next.js pages-router data functions (`getStaticProps`,
    /// `getServerSideProps`, `getStaticPaths`), which run on the server and
    /// are stripped from the browser bundle.
    OutsideDataFunctions,
}

impl Region {
    /// The byte ranges of `source` that ship, or `None` for all of it.
    pub fn client_ranges(self, source: &[u8]) -> Option<Vec<Range<usize>>> {
        match self {
            Region::Whole => None,
            Region::ScriptElements => Some(script_elements(source)),
            Region::OutsideDataFunctions => Some(region::outside_data_functions(source)),
        }
    }
}

/// What the classifier says about one file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub side: Side,
    /// For people: "`dist/` is build output served to browsers".
    pub reason: Arc<str>,
    pub region: Region,
}

impl Verdict {
    pub fn is_client(&self) -> bool {
        self.side == Side::Client
    }
}

/// A classification file exactly as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassificationFile {
    /// Directories (relative paths) that hold build output for clients.
    #[serde(default)]
    build_output: Vec<String>,
    #[serde(default, rename = "project")]
    projects: Vec<ProjectSpec>,
    #[serde(default, rename = "files")]
    files: Vec<FilesSpec>,
}

/// How to recognise the root directory of one kind of project. Any one
/// marker is enough.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectSpec {
    pub kind: String,
    /// Files (relative paths) whose presence marks the root.
    #[serde(default)]
    pub files: Vec<String>,
    /// `package.json` dependencies (any dependency section) that mark it.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// A file that must contain a text.
    #[serde(default)]
    pub contains: Vec<ContainsSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContainsSpec {
    pub file: String,
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilesSpec {
    side: Side,
    project: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
    content: Option<String>,
    #[serde(default)]
    region: Region,
    /// The module graph does not overrule this entry (tests, build output).
    #[serde(default)]
    decisive: bool,
    reason: String,
}

/// Everything that can be wrong with classification data or overrides.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{source_name}: not a valid client classification file: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: invalid glob `{glob}`: {message}")]
    BadGlob {
        source_name: String,
        glob: String,
        message: String,
    },
    #[error("{source_name}: invalid pattern `{pattern}`: {message}")]
    BadPattern {
        source_name: String,
        pattern: String,
        message: String,
    },
    #[error("{source_name}: {message}")]
    Inconsistent {
        source_name: String,
        message: String,
    },
}

/// One compiled `[[files]]` entry.
#[derive(Debug)]
struct Entry {
    side: Side,
    /// Index into `ClientRules::projects`.
    project: Option<usize>,
    paths: Option<GlobSet>,
    patterns: Option<RegexSet>,
    content: Option<Regex>,
    region: Region,
    decisive: bool,
    reason: Arc<str>,
}

impl Entry {
    fn verdict(&self) -> Verdict {
        Verdict {
            side: self.side,
            reason: Arc::clone(&self.reason),
            region: self.region,
        }
    }

    fn matches_path(&self, relative: &str) -> bool {
        let by_glob = self.paths.as_ref().map(|g| g.is_match(relative));
        let by_pattern = self
            .patterns
            .as_ref()
            .map(|p| p.is_match(relative.as_bytes()));
        match (by_glob, by_pattern) {
            (None, None) => true,
            (glob, pattern) => glob.unwrap_or(false) || pattern.unwrap_or(false),
        }
    }
}

/// Compiled classification data: immutable, shared by every scan thread.
#[derive(Debug)]
pub struct ClientRules {
    build_output: Vec<String>,
    projects: Vec<ProjectSpec>,
    entries: Vec<Entry>,
    /// Indexes of the project kinds whose roots get a module graph.
    graph_kinds: Vec<usize>,
    /// The index of the `flutter` project kind, whose `pubspec.yaml`
    /// lists assets.
    flutter_kind: Option<usize>,
}

impl ClientRules {
    /// Parses and compiles classification files given as `(name, TOML)`.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ClientRules, ClientError> {
        let mut build_output = Vec::new();
        let mut projects: Vec<ProjectSpec> = Vec::new();
        let mut files = Vec::new();
        for (source_name, text) in sources {
            let file: ClassificationFile =
                toml::from_str(text).map_err(|e| ClientError::Parse {
                    source_name: source_name.into(),
                    message: e.to_string(),
                })?;
            if let Some(bad) = file
                .build_output
                .iter()
                .find(|dir| dir.trim_matches('/').is_empty() || dir.contains(".."))
            {
                return Err(ClientError::Inconsistent {
                    source_name: source_name.into(),
                    message: format!("`{bad}` is not a build-output directory below a root"),
                });
            }
            build_output.extend(file.build_output);
            for project in file.projects {
                if projects.iter().any(|p| p.kind == project.kind) {
                    return Err(ClientError::Inconsistent {
                        source_name: source_name.into(),
                        message: format!("project kind `{}` is defined twice", project.kind),
                    });
                }
                if project.files.is_empty()
                    && project.dependencies.is_empty()
                    && project.contains.is_empty()
                {
                    return Err(ClientError::Inconsistent {
                        source_name: source_name.into(),
                        message: format!("project kind `{}` has no marker", project.kind),
                    });
                }
                projects.push(project);
            }
            files.extend(file.files.into_iter().map(|spec| (source_name, spec)));
        }
        let mut entries = Vec::with_capacity(files.len());
        for (source_name, spec) in files {
            entries.push(compile_entry(&projects, source_name, spec)?);
        }
        let graph_kinds = projects
            .iter()
            .enumerate()
            .filter(|(_, p)| GRAPH_FRAMEWORKS.contains(&p.kind.as_str()))
            .map(|(i, _)| i)
            .collect();
        let flutter_kind = projects.iter().position(|p| p.kind == "flutter");
        Ok(ClientRules {
            build_output,
            projects,
            entries,
            graph_kinds,
            flutter_kind,
        })
    }

    /// Build-output directories (`dist`, `.next/static`) for
    /// `--include-build-output`.
    pub fn build_output_dirs(&self) -> &[String] {
        &self.build_output
    }

    /// The classification shipped in the binary, compiled once.
    pub fn builtin() -> Result<Arc<ClientRules>, &'static ClientError> {
        static BUILTIN: OnceLock<Result<Arc<ClientRules>, ClientError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                ClientRules::from_sources(BUILTIN_SOURCES.iter().copied()).map(Arc::new)
            })
            .as_ref()
            .map(Arc::clone)
    }
}

fn compile_entry(
    projects: &[ProjectSpec],
    source_name: &str,
    spec: FilesSpec,
) -> Result<Entry, ClientError> {
    let project = match &spec.project {
        None => None,
        Some(kind) => Some(
            projects
                .iter()
                .position(|p| &p.kind == kind)
                .ok_or_else(|| ClientError::Inconsistent {
                    source_name: source_name.into(),
                    message: format!(
                        "unknown project kind `{kind}` (define it in a [[project]] table)"
                    ),
                })?,
        ),
    };
    if spec.paths.is_empty() && spec.patterns.is_empty() && spec.content.is_none() {
        return Err(ClientError::Inconsistent {
            source_name: source_name.into(),
            message: format!(
                "the entry \"{}\" has no `paths`, `patterns` or `content`",
                spec.reason
            ),
        });
    }
    let patterns = if spec.patterns.is_empty() {
        None
    } else {
        Some(
            RegexSetBuilder::new(&spec.patterns)
                .unicode(false)
                .build()
                .map_err(|e| ClientError::BadPattern {
                    source_name: source_name.into(),
                    pattern: spec.patterns.join(", "),
                    message: e.to_string(),
                })?,
        )
    };
    let content = spec
        .content
        .as_ref()
        .map(|pattern| {
            RegexBuilder::new(pattern)
                .unicode(false)
                .build()
                .map_err(|e| ClientError::BadPattern {
                    source_name: source_name.into(),
                    pattern: pattern.clone(),
                    message: e.to_string(),
                })
        })
        .transpose()?;
    Ok(Entry {
        side: spec.side,
        project,
        paths: compile_globs(&spec.paths, source_name)?,
        patterns,
        content,
        region: spec.region,
        decisive: spec.decisive,
        reason: spec.reason.into(),
    })
}

/// Globs as in `.gitignore`: `*` stays within a directory.
pub fn compile_globs(globs: &[String], source_name: &str) -> Result<Option<GlobSet>, ClientError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let bad = |glob: &str, e: globset::Error| ClientError::BadGlob {
        source_name: source_name.into(),
        glob: glob.to_string(),
        message: e.to_string(),
    };
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let compiled = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| bad(glob, e))?;
        builder.add(compiled);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| bad(&globs.join(", "), e))
}

/// Classifies files: the compiled data plus a cache of what each directory
/// on disk says about projects. One per scan, shared by its threads.
#[derive(Debug)]
pub struct Classifier {
    rules: Arc<ClientRules>,
    /// User entries (`.katscan.toml` `[client]`), tried before the data.
    overrides: Overrides,
    projects: ProjectCache,
    /// Module graphs by project root, each built once, on first need; the
    /// map's lock is held only to find a root's slot, so threads on other
    /// projects never wait for a build.
    graphs: Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<Graph>>>>>,
    /// Flutter `pubspec.yaml` asset lists by project root.
    flutter_assets: Mutex<HashMap<PathBuf, Arc<Vec<String>>>>,
    /// Where the files around a blob are looked at: the disk, or the git
    /// tree (index, commit) the blobs come from.
    tree: Arc<dyn Tree>,
}

impl Classifier {
    pub fn new(rules: Arc<ClientRules>) -> Classifier {
        Classifier {
            rules,
            overrides: Overrides::default(),
            projects: ProjectCache::default(),
            graphs: Mutex::default(),
            flutter_assets: Mutex::default(),
            tree: Arc::new(WorkTree),
        }
    }

    /// Looks at the files around a blob in `tree` instead of on disk:
    /// staged blobs are judged against the index, blobs from history
    /// against their commit's tree.
    pub fn reading(mut self, tree: Arc<dyn Tree>) -> Classifier {
        self.tree = tree;
        // What was learned from another tree does not hold in this one.
        self.projects = ProjectCache::default();
        self.graphs = Mutex::default();
        self.flutter_assets = Mutex::default();
        self
    }

    /// The built-in classification. Its data is checked by the test suite,
    /// so a failure here is a build defect, reported as an error all the
    /// same.
    pub fn builtin() -> Result<Classifier, &'static ClientError> {
        ClientRules::builtin().map(Classifier::new)
    }

    pub fn rules(&self) -> &ClientRules {
        &self.rules
    }

    /// Adds user overrides from a config file: `not_client` globs are
    /// never client files, `client` globs always are. Globs are
    /// gitignore-style, relative to the config file's directory, like the
    /// config's other path lists. Both win over the built-in data;
    /// `not_client` wins over `client`.
    pub fn with_overrides(
        mut self,
        client: &[String],
        not_client: &[String],
        config_file: &Path,
    ) -> Result<Classifier, ClientError> {
        let shown = config_file.display().to_string();
        let dir = match config_file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // Findings carry paths relative to the current directory; on disk,
        // the file's absolute path is made relative to this one.
        let base = dir.canonicalize().ok();
        let mut overrides = Vec::new();
        for (globs, side, key) in [
            (not_client, Side::Server, "not-paths"),
            (client, Side::Client, "paths"),
        ] {
            if globs.is_empty() {
                continue;
            }
            let mut builder = GitignoreBuilder::new(dir);
            for glob in globs {
                builder
                    .add_line(None, glob)
                    .map_err(|e| ClientError::BadGlob {
                        source_name: shown.clone(),
                        glob: glob.clone(),
                        message: e.to_string(),
                    })?;
            }
            let matcher = builder.build().map_err(|e| ClientError::BadGlob {
                source_name: shown.clone(),
                glob: globs.join(", "),
                message: e.to_string(),
            })?;
            overrides.push(Override {
                side,
                matcher,
                reason: format!("listed in `[client] {key}` of {shown}").into(),
            });
        }
        self.overrides = Overrides {
            base,
            entries: overrides,
        };
        Ok(self)
    }

    /// Classifies the file reported as `path` (relative, `/`-separated),
    /// found on disk at `location` when it comes from disk, with contents
    /// `source`. Without a location, project kinds cannot be recognised and
    /// only the generic entries apply (rule examples work that way).
    pub fn classify(&self, path: &str, location: Option<&Path>, source: &[u8]) -> Option<Verdict> {
        let place = location.and_then(|location| {
            self.projects
                .place_of(self.tree.as_ref(), location, &self.rules.projects)
        });
        if let Some(verdict) = self.overrides.classify(path, place.as_ref()) {
            return Some(verdict);
        }
        let data = self.data_entry(path, place.as_ref(), source);
        if data.is_some_and(|entry| entry.decisive) {
            return data.map(Entry::verdict);
        }
        let data = data.map(Entry::verdict);
        let Some(place) = place else { return data };
        if self.is_flutter_asset(&place) {
            return Some(Verdict {
                side: Side::Client,
                reason: "listed under `flutter: assets:` in `pubspec.yaml`: bundled into the app as it is".into(),
                region: Region::Whole,
            });
        }
        match self.reach(&place) {
            Some(reach) => Some(verdict_from_graph(reach, data, &Shown::new(&place, path))),
            None => data,
        }
    }

    /// The first data entry that matches the file.
    fn data_entry(&self, path: &str, place: Option<&Place>, source: &[u8]) -> Option<&Entry> {
        let generic_path = place
            .and_then(|place| place.relative_to_top())
            .unwrap_or_else(|| normalize(path));
        let head = &source[..source.len().min(CONTENT_HEAD)];
        self.rules.entries.iter().find(|entry| {
            let relative = match entry.project {
                None => Some(generic_path.clone()),
                Some(kind) => place.and_then(|place| place.relative_to_project(kind)),
            };
            relative.is_some_and(|relative| entry.matches_path(&relative))
                && entry.content.as_ref().is_none_or(|c| c.is_match(head))
        })
    }

    /// Whether the file is listed under `flutter: assets:` in its Flutter
    /// project's `pubspec.yaml` (read once per project).
    fn is_flutter_asset(&self, place: &Place) -> bool {
        let Some(kind) = self.rules.flutter_kind else {
            return false;
        };
        let (Some(root), Some(relative)) = (place.root_of(kind), place.relative_to_project(kind))
        else {
            return false;
        };
        let assets = {
            let mut cache = self
                .flutter_assets
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            Arc::clone(cache.entry(root.to_path_buf()).or_insert_with(|| {
                let pubspec = self.tree.read(&root.join("pubspec.yaml"), 1 << 20);
                Arc::new(
                    pubspec
                        .map(|p| flutter::listed_assets(&p))
                        .unwrap_or_default(),
                )
            }))
        };
        flutter::is_listed(&assets, &relative)
    }

    /// What the module graph of the file's project says about it, when
    /// the file belongs to a project whose entry points the graph knows.
    fn reach(&self, place: &Place) -> Option<Reach> {
        let root = place.deepest_root(&self.rules.graph_kinds)?;
        self.graph(&root, place)?.reach(place.file())
    }

    /// The graph of the project at `root`, built on first use.
    fn graph(&self, root: &Path, place: &Place) -> Option<Arc<Graph>> {
        let slot = {
            let mut graphs = self.graphs.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(graphs.entry(root.to_path_buf()).or_default())
        };
        let graph = slot.get_or_init(|| {
            let frameworks: Vec<&str> = place
                .kinds_rooted_at(root)
                .into_iter()
                .map(|kind| self.rules.projects[kind].kind.as_str())
                .collect();
            let data = |file: &Path, head: &[u8]| {
                let place = self
                    .projects
                    .place_of(self.tree.as_ref(), file, &self.rules.projects);
                match self.data_entry(&file.to_string_lossy(), place.as_ref(), head) {
                    None => DataSide::Nothing,
                    Some(entry) if entry.decisive => DataSide::Decided,
                    Some(entry) if entry.side == Side::Client => DataSide::Client,
                    Some(_) => DataSide::Server,
                }
            };
            Arc::new(Graph::build(root, &frameworks, self.tree.as_ref(), &data))
        });
        Some(Arc::clone(graph))
    }

    /// The import path by which the file at `location` is reached from an
    /// entry point (entry first, the file last), and the entry's label,
    /// for `katscan classify --graph`.
    /// `path` is the file as reported, `location` where it is on disk;
    /// the chain's paths are shown the same way.
    pub fn import_chain(
        &self,
        path: &str,
        location: &Path,
    ) -> Option<(Side, Vec<String>, Arc<str>)> {
        let place = self
            .projects
            .place_of(self.tree.as_ref(), location, &self.rules.projects)?;
        let shown = Shown::new(&place, path);
        let (side, chain, label) = match self.reach(&place)? {
            Reach::Client { chain, label, .. } => (Side::Client, chain, label),
            Reach::Server { chain, label } => (Side::Server, chain, label),
            Reach::ClientEntry { label, .. } => {
                (Side::Client, vec![place.file().to_path_buf()], label)
            }
            Reach::ServerOnly { .. } => return None,
        };
        Some((
            side,
            chain.iter().map(|file| shown.path(file)).collect(),
            label,
        ))
    }
}

/// How a file of a chain is shown: as the scanned file is reported (relative
/// to the same directory) when it can be, else relative to the repository.
struct Shown {
    base: Option<PathBuf>,
}

impl Shown {
    /// `path` is how the file at `place` is reported.
    fn new(place: &Place, path: &str) -> Shown {
        let reported = Path::new(path);
        let plain = reported
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        let depth = reported
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .count();
        let base = if plain && depth > 0 {
            place.file().ancestors().nth(depth).map(Path::to_path_buf)
        } else {
            None
        }
        .or_else(|| place.top().map(Path::to_path_buf));
        Shown { base }
    }

    fn path(&self, file: &Path) -> String {
        self.base
            .as_deref()
            .and_then(|base| graph::relative(file, base))
            .unwrap_or_else(|| file.display().to_string())
    }
}

/// The verdict from what the graph says, `data` being what the path data
/// says (kept when the graph only confirms it: its reason names the rule).
fn verdict_from_graph(reach: Reach, data: Option<Verdict>, shown: &Shown) -> Verdict {
    let shown_chain = |chain: &[PathBuf], label: &str| {
        let entry = format!("`{}` ({label})", shown.path(&chain[0]));
        let via: Vec<String> = chain[1..chain.len() - 1]
            .iter()
            .map(|step| format!("`{}`", shown.path(step)))
            .collect();
        if via.is_empty() {
            entry
        } else {
            format!("{entry} via {}", via.join(", "))
        }
    };
    match reach {
        Reach::ClientEntry { label, page } => {
            let region = if page {
                Region::OutsideDataFunctions
            } else {
                Region::Whole
            };
            match data {
                Some(data) if data.is_client() => Verdict { region, ..data },
                _ => Verdict {
                    side: Side::Client,
                    reason: format!("an entry point of the browser bundle ({label})").into(),
                    region,
                },
            }
        }
        Reach::Client {
            chain,
            label,
            audience,
        } => Verdict {
            side: Side::Client,
            reason: format!(
                "bundled for {audience}: imported by {}",
                shown_chain(&chain, &label)
            )
            .into(),
            region: Region::Whole,
        },
        Reach::Server { chain, label } => Verdict {
            side: Side::Server,
            reason: format!(
                "runs on the server only: no browser entry point imports it, server code does: {}",
                shown_chain(&chain, &label)
            )
            .into(),
            region: Region::Whole,
        },
        Reach::ServerOnly { why } => Verdict {
            side: Side::Server,
            reason: format!("never bundled for browsers: {why}").into(),
            region: Region::Whole,
        },
    }
}

/// `.katscan.toml` `[client]` globs.
#[derive(Debug, Default)]
struct Overrides {
    /// The config file's directory, absolute, when it exists.
    base: Option<PathBuf>,
    entries: Vec<Override>,
}

#[derive(Debug)]
struct Override {
    side: Side,
    matcher: Gitignore,
    reason: Arc<str>,
}

impl Overrides {
    fn classify(&self, path: &str, place: Option<&project::Place>) -> Option<Verdict> {
        if self.entries.is_empty() {
            return None;
        }
        let relative = match (place, &self.base) {
            (Some(place), Some(base)) => place.relative_to(base)?,
            _ => normalize(path),
        };
        // The matcher only answers for paths below its directory.
        if relative.starts_with("..") {
            return None;
        }
        self.entries
            .iter()
            .find(|entry| {
                entry
                    .matcher
                    .matched_path_or_any_parents(&relative, false)
                    .is_ignore()
            })
            .map(|entry| Verdict {
                side: entry.side,
                reason: Arc::clone(&entry.reason),
                region: Region::Whole,
            })
    }
}

/// `./a/b` and `a//b` as `a/b`; a leading `../` is kept (globs starting
/// with `**/` still match below it).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().unwrap_or("")),
            Component::ParentDir => parts.push(".."),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    parts.join("/")
}

/// `path` relative to `base`, `/`-separated, if it lies below it.
fn relative_path(path: &Path, base: &Path) -> Option<String> {
    let rest = path.strip_prefix(base).ok()?;
    let parts: Vec<String> = rest
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(path: &str, source: &str) -> Option<(Side, String)> {
        let classifier = Classifier::builtin().unwrap();
        classifier
            .classify(path, None, source.as_bytes())
            .map(|v| (v.side, v.reason.to_string()))
    }

    fn side(path: &str, source: &str) -> Option<Side> {
        verdict(path, source).map(|(side, _)| side)
    }

    #[test]
    fn builtin_data_compiles() {
        ClientRules::builtin().unwrap();
    }

    #[test]
    fn build_output_is_client_with_a_reason() {
        let (side, reason) = verdict("dist/assets/app.js", "x").unwrap();
        assert_eq!(side, Side::Client);
        assert!(reason.contains("`dist/` is build output"), "{reason}");
        assert_eq!(side_of("web/build/static/js/main.js"), Some(Side::Client));
        assert_eq!(
            side_of("apps/site/.next/static/chunks/page.js"),
            Some(Side::Client)
        );
        assert_eq!(side_of("app.js.map"), Some(Side::Client));
        assert_eq!(side_of("vendor/jquery.min.js"), Some(Side::Client));
        assert_eq!(side_of("static/js/main.3f2a1b4c.js"), Some(Side::Client));
        assert_eq!(side_of("dist/assets/index-BxYz12ab.js"), Some(Side::Client));
    }

    fn side_of(path: &str) -> Option<Side> {
        side(path, "")
    }

    #[test]
    fn server_bundles_and_server_modules_are_not_client() {
        assert_eq!(side_of("dist/server/entry.js"), Some(Side::Server));
        assert_eq!(side_of(".next/server/app/page.js"), Some(Side::Server));
        assert_eq!(side_of("src/routes/+page.server.ts"), Some(Side::Server));
        assert_eq!(side_of("src/routes/api/+server.ts"), Some(Side::Server));
        assert_eq!(side_of("src/lib/server/db.ts"), Some(Side::Server));
        // Python or Java build trees are not browser output.
        assert_eq!(side_of("build/lib/app/settings.py"), None);
        // A plain module name is not a content hash.
        assert_eq!(side_of("src/use-debounce.js"), None);
    }

    #[test]
    fn content_markers_decide_before_generic_paths() {
        assert_eq!(
            side("lib/widget.ts", "// widget\n'use client'\nexport {}"),
            Some(Side::Client)
        );
        assert_eq!(
            side(
                "Form.tsx",
                "/* actions */\n\"use server\";\nexport async function f() {}"
            ),
            Some(Side::Server)
        );
        assert_eq!(side("lib/widget.ts", "const a = 'use client'"), None);
    }

    #[test]
    fn components_and_mobile_sources_are_client() {
        assert_eq!(side_of("components/Button.tsx"), Some(Side::Client));
        assert_eq!(side_of("src/App.vue"), Some(Side::Client));
        assert_eq!(side_of("ios/App/AppDelegate.swift"), Some(Side::Client));
        assert_eq!(side_of("ios/App/Info.plist"), Some(Side::Client));
        assert_eq!(side_of("Config/Release.xcconfig"), Some(Side::Client));
        assert_eq!(side_of("server/index.ts"), None);
    }

    #[test]
    fn astro_files_are_client_only_in_script_elements() {
        let classifier = Classifier::builtin().unwrap();
        let verdict = classifier
            .classify("src/pages/index.astro", None, b"")
            .unwrap();
        assert_eq!(verdict.region, Region::ScriptElements);
    }

    #[test]
    fn overrides_win_and_not_paths_win_over_paths() {
        let classifier = Classifier::builtin()
            .unwrap()
            .with_overrides(
                &["web/**".to_string()],
                &["web/server/".to_string(), "/dist".to_string()],
                Path::new(".katscan.toml"),
            )
            .unwrap();
        let classify = |path: &str| classifier.classify(path, None, b"").map(|v| v.side);
        assert_eq!(classify("web/main.py"), Some(Side::Client));
        assert_eq!(classify("web/server/main.py"), Some(Side::Server));
        assert_eq!(classify("dist/app.js"), Some(Side::Server));
        let reason = classifier.classify("web/a.py", None, b"").unwrap().reason;
        assert!(reason.contains(".katscan.toml"), "{reason}");
    }

    #[test]
    fn bad_data_is_an_error_not_a_panic() {
        let unknown_kind =
            "[[files]]\nside = \"client\"\nproject = \"nope\"\npaths = [\"a\"]\nreason = \"r\"\n";
        assert!(matches!(
            ClientRules::from_sources([("t.toml", unknown_kind)]),
            Err(ClientError::Inconsistent { .. })
        ));
        let bad_glob = "[[files]]\nside = \"client\"\npaths = [\"a/**[\"]\nreason = \"r\"\n";
        assert!(matches!(
            ClientRules::from_sources([("t.toml", bad_glob)]),
            Err(ClientError::BadGlob { .. })
        ));
        let empty_dir = "build_output = [\"\"]\n";
        assert!(matches!(
            ClientRules::from_sources([("t.toml", empty_dir)]),
            Err(ClientError::Inconsistent { .. })
        ));
        let no_matcher = "[[files]]\nside = \"client\"\nreason = \"r\"\n";
        assert!(ClientRules::from_sources([("t.toml", no_matcher)]).is_err());
        let unknown_key =
            "[[files]]\nside = \"client\"\npaths = [\"a\"]\nreason = \"r\"\nsize = 1\n";
        assert!(matches!(
            ClientRules::from_sources([("t.toml", unknown_key)]),
            Err(ClientError::Parse { .. })
        ));
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize("./a//b/c.js"), "a/b/c.js");
        assert_eq!(normalize("../x/dist/a.js"), "../x/dist/a.js");
    }
}
