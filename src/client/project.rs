//! What the directories above a file say about the project it belongs to:
//! the repository top and the nearest root of each project kind.
//!
//! Only files that a client-scoped detector cares about are classified, so
//! directories are examined lazily and each one once per scan, whatever
//! the number of files below it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{ProjectSpec, relative_path};
use crate::tree::Tree;

/// Marker files larger than this are not read (a `package.json` is small).
const MARKER_READ_LIMIT: u64 = 1 << 20;

/// Where a file sits: its absolute path and what its ancestors say.
#[derive(Debug)]
pub(crate) struct Place {
    file: PathBuf,
    facts: Arc<DirFacts>,
}

impl Place {
    /// The path relative to the repository top, when there is one.
    pub fn relative_to_top(&self) -> Option<String> {
        relative_path(&self.file, self.facts.top.as_deref()?)
    }

    /// The path relative to `dir` (absolute), if it lies below it.
    pub fn relative_to(&self, dir: &Path) -> Option<String> {
        relative_path(&self.file, dir)
    }

    /// The file's absolute path.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The repository top, when there is one.
    pub fn top(&self) -> Option<&Path> {
        self.facts.top.as_deref()
    }

    /// The nearest root of any of the project kinds `kinds`.
    pub fn deepest_root(&self, kinds: &[usize]) -> Option<PathBuf> {
        kinds
            .iter()
            .filter_map(|&kind| self.facts.roots.get(kind)?.as_deref())
            .max_by_key(|root| root.components().count())
            .map(Path::to_path_buf)
    }

    /// The nearest root of project kind `kind`.
    pub fn root_of(&self, kind: usize) -> Option<&Path> {
        self.facts.roots.get(kind)?.as_deref()
    }

    /// The project kinds whose nearest root is `root`.
    pub fn kinds_rooted_at(&self, root: &Path) -> Vec<usize> {
        (0..self.facts.roots.len())
            .filter(|&kind| self.facts.roots[kind].as_deref() == Some(root))
            .collect()
    }

    /// The path relative to the nearest root of project kind `kind`.
    pub fn relative_to_project(&self, kind: usize) -> Option<String> {
        relative_path(&self.file, self.facts.roots.get(kind)?.as_deref()?)
    }
}

#[derive(Debug)]
struct DirFacts {
    /// The nearest directory at or above with a `.git`.
    top: Option<PathBuf>,
    /// Per project kind, the nearest root at or above (never above `top`).
    roots: Vec<Option<PathBuf>>,
}

#[derive(Debug, Default)]
pub(super) struct ProjectCache {
    /// By absolute directory.
    dirs: Mutex<HashMap<PathBuf, Arc<DirFacts>>>,
    /// By directory as walked (relative, unresolved), so files after the
    /// first in a directory cost one lookup, not a `canonicalize`.
    walked: Mutex<HashMap<PathBuf, (PathBuf, Arc<DirFacts>)>>,
}

impl ProjectCache {
    pub fn place_of(
        &self,
        tree: &dyn Tree,
        location: &Path,
        projects: &[ProjectSpec],
    ) -> Option<Place> {
        let name = location.file_name()?;
        let walked_dir = location.parent().unwrap_or(Path::new(""));
        let known = self
            .walked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(walked_dir)
            .cloned();
        let (dir, facts) = match known {
            Some(known) => known,
            None => {
                let dir = tree.directory_of(location)?;
                let facts = self.facts(tree, &dir, projects);
                self.walked
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(walked_dir.to_path_buf(), (dir.clone(), Arc::clone(&facts)));
                (dir, facts)
            }
        };
        Some(Place {
            file: dir.join(name),
            facts,
        })
    }

    fn cached(&self, dir: &Path) -> Option<Arc<DirFacts>> {
        let dirs = self.dirs.lock().unwrap_or_else(|p| p.into_inner());
        dirs.get(dir).cloned()
    }

    /// Facts of `dir`, computing those of its ancestors first (iteratively,
    /// from the nearest cached one or the repository top downwards). No
    /// lock is held while reading the disk; two threads may do the same
    /// directory twice, harmlessly.
    fn facts(&self, tree: &dyn Tree, dir: &Path, projects: &[ProjectSpec]) -> Arc<DirFacts> {
        let mut pending = Vec::new();
        let mut above: Option<Arc<DirFacts>> = None;
        let mut cursor = Some(dir);
        while let Some(current) = cursor {
            if let Some(facts) = self.cached(current) {
                above = Some(facts);
                break;
            }
            let is_top = tree.is_repository_top(current);
            pending.push((current.to_path_buf(), is_top));
            if is_top {
                break;
            }
            cursor = current.parent();
        }
        for (current, is_top) in pending.into_iter().rev() {
            let markers = markers_in(tree, &current, projects);
            let inherited = above.as_deref().filter(|_| !is_top);
            let facts = Arc::new(DirFacts {
                top: if is_top {
                    Some(current.clone())
                } else {
                    inherited.and_then(|f| f.top.clone())
                },
                roots: markers
                    .iter()
                    .enumerate()
                    .map(|(kind, &here)| {
                        if here {
                            Some(current.clone())
                        } else {
                            inherited.and_then(|f| f.roots[kind].clone())
                        }
                    })
                    .collect(),
            });
            self.dirs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(current, Arc::clone(&facts));
            above = Some(facts);
        }
        above.unwrap_or_else(|| {
            Arc::new(DirFacts {
                top: None,
                roots: vec![None; projects.len()],
            })
        })
    }
}

/// For each project kind, whether `dir` is a root of it. One directory
/// listing answers most marker questions; only markers below a
/// subdirectory that exists (`src/main/AndroidManifest.xml`) cost a lookup.
fn markers_in(tree: &dyn Tree, dir: &Path, projects: &[ProjectSpec]) -> Vec<bool> {
    let Some(names) = tree.names_in(dir) else {
        return vec![false; projects.len()];
    };
    let present = |marker: &str| {
        let mut components = Path::new(marker).components();
        let Some(first) = components.next() else {
            return false;
        };
        if !names.contains(first.as_os_str()) {
            return false;
        }
        components.next().is_none() || tree.is_file(&dir.join(marker))
    };
    let mut package: Option<Option<serde_json::Value>> = None;
    projects
        .iter()
        .map(|project| {
            project.files.iter().any(|file| present(file))
                || (!project.dependencies.is_empty() && present("package.json") && {
                    let manifest = package.get_or_insert_with(|| read_package_json(tree, dir));
                    manifest
                        .as_ref()
                        .is_some_and(|m| has_dependency(m, &project.dependencies))
                })
                || project.contains.iter().any(|c| {
                    present(&c.file)
                        && read_small(tree, &dir.join(&c.file)).is_some_and(|text| {
                            memchr::memmem::find(&text, c.text.as_bytes()).is_some()
                        })
                })
        })
        .collect()
}

fn read_small(tree: &dyn Tree, path: &Path) -> Option<Vec<u8>> {
    tree.read(path, MARKER_READ_LIMIT)
}

fn read_package_json(tree: &dyn Tree, dir: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&read_small(tree, &dir.join("package.json"))?).ok()
}

fn has_dependency(manifest: &serde_json::Value, names: &[String]) -> bool {
    [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ]
    .iter()
    .filter_map(|section| manifest.get(section)?.as_object())
    .any(|deps| names.iter().any(|name| deps.contains_key(name)))
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::{Classifier, Side};

    fn write(root: &std::path::Path, path: &str, text: &str) -> std::path::PathBuf {
        let full = root.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(&full, text).unwrap();
        full
    }

    fn side(classifier: &Classifier, location: &std::path::Path, text: &str) -> Option<Side> {
        classifier
            .classify("ignored-when-located", Some(location), text.as_bytes())
            .map(|v| v.side)
    }

    #[test]
    fn project_kinds_come_from_markers_in_ancestors() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir(root.join(".git")).unwrap();
        write(
            root,
            "web/package.json",
            r#"{"dependencies":{"next":"15.0.0"}}"#,
        );
        let page = write(root, "web/pages/index.ts", "export default 1");
        let api = write(root, "web/pages/api/search.ts", "export default 1");
        let server_component = write(root, "web/app/page.ts", "export default 1");
        let client_component = write(root, "web/app/ui.ts", "'use client'\nexport default 1");
        let component = write(root, "web/components/Card.tsx", "export default 1");
        let classifier = Classifier::builtin().unwrap();
        assert_eq!(side(&classifier, &page, "x"), Some(Side::Client));
        assert_eq!(side(&classifier, &api, "x"), Some(Side::Server));
        assert_eq!(
            side(&classifier, &server_component, "export default 1"),
            Some(Side::Server)
        );
        assert_eq!(
            side(
                &classifier,
                &client_component,
                "'use client'\nexport default 1"
            ),
            Some(Side::Client)
        );

        // Before the app router: a pages-router project's components are
        // browser code; with a root layout they are server components.
        assert_eq!(side(&classifier, &component, "x"), Some(Side::Client));
        write(root, "web/app/layout.tsx", "export default 1");
        let classifier = Classifier::builtin().unwrap();
        assert_eq!(side(&classifier, &component, "x"), Some(Side::Server));
        assert_eq!(
            side(&classifier, &component, "\"use client\";\nexport default 1"),
            Some(Side::Client)
        );

        write(root, "spa/vite.config.ts", "export default {}");
        let module = write(root, "spa/src/lib/katalo.ts", "x");
        assert_eq!(side(&classifier, &module, "x"), Some(Side::Client));
        // Without a project marker, `src/*.ts` is nothing in particular.
        let plain = write(root, "tool/src/main.ts", "x");
        assert_eq!(side(&classifier, &plain, "x"), None);
    }

    #[test]
    fn markers_above_the_repository_top_do_not_count() {
        let tmp = tempfile::tempdir().unwrap();
        let outer = tmp.path();
        write(outer, "vite.config.ts", "");
        fs::create_dir_all(outer.join("repo/.git")).unwrap();
        let module = write(outer, "repo/src/main.ts", "x");
        let classifier = Classifier::builtin().unwrap();
        assert_eq!(side(&classifier, &module, "x"), None);
    }

    #[test]
    fn extensions_and_mobile_projects() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::create_dir(root.join(".git")).unwrap();
        write(root, "ext/manifest.json", r#"{"manifest_version": 3}"#);
        let popup = write(root, "ext/popup/popup.js", "x");
        write(
            root,
            "android/app/src/main/AndroidManifest.xml",
            "<manifest/>",
        );
        let strings = write(root, "android/app/src/main/res/values/strings.xml", "x");
        let gradle = write(root, "android/app/build.gradle.kts", "x");
        let properties = write(root, "android/gradle.properties", "x");
        write(
            root,
            "mobile/pubspec.yaml",
            "flutter:\n  uses-material-design: true\n",
        );
        let dart = write(root, "mobile/lib/src/api.dart", "x");
        let classifier = Classifier::builtin().unwrap();
        for file in [&popup, &strings, &gradle, &properties, &dart] {
            assert_eq!(side(&classifier, file, "x"), Some(Side::Client), "{file:?}");
        }
        // A non-Flutter Dart package's lib/ is not an app.
        write(root, "dartpkg/pubspec.yaml", "name: server\n");
        let server_dart = write(root, "dartpkg/lib/server.dart", "x");
        assert_eq!(side(&classifier, &server_dart, "x"), None);
    }
}
