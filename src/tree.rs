//! A view of a project's files, for what judges a blob by its neighbours:
//! the client classifier asks which project a file belongs to (a
//! `package.json` with `react-native` above it, an `AndroidManifest.xml`)
//! and reads small marker files, and the module graph lists a project's
//! files and reads its modules.
//!
//! A blob is judged against the tree it comes from: a work-tree file
//! against the disk ([`WorkTree`]), a staged blob against the index, a
//! blob from history against its commit's tree ([`GitTree`]). Otherwise a
//! staged `eas.json` deleted from disk, or a commit from last year, would
//! be classified by whatever the disk holds today.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::git::{EntryKind, GitError, Repository};

/// The questions a classifier asks about the files around a blob. Paths
/// are absolute (a git tree's files sit below its repository's top level).
pub trait Tree: Send + Sync + fmt::Debug {
    /// The absolute directory holding `file` (as walked or as reported
    /// below the top level), symbolic links resolved where the tree has
    /// them; `None` when it is not in this tree.
    fn directory_of(&self, file: &Path) -> Option<PathBuf>;

    /// Whether `dir` is the top level of a git repository.
    fn is_repository_top(&self, dir: &Path) -> bool;

    /// The names of the entries directly in `dir`; `None` when `dir` is
    /// not a directory of this tree.
    fn names_in(&self, dir: &Path) -> Option<HashSet<OsString>>;

    /// Whether `path` is a file in this tree.
    fn is_file(&self, path: &Path) -> bool;

    /// At most `limit` bytes of the file at `path`, or `None` when it
    /// cannot be read.
    fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>>;

    /// The project's files below `root` (absolute paths), at most `limit`:
    /// hidden files, `node_modules` and nested projects (a directory with
    /// its own `package.json`) left out; on disk, ignore files honoured.
    fn files(&self, root: &Path, limit: usize) -> Vec<PathBuf>;
}

/// Whether the module graph leaves a directory below a project's root
/// out of the project: dependencies, and nested projects.
fn outside_project(name: &std::ffi::OsStr, has_package_json: bool) -> bool {
    name == "node_modules" || has_package_json
}

/// The files on disk.
#[derive(Debug, Default, Clone, Copy)]
pub struct WorkTree;

impl Tree for WorkTree {
    fn directory_of(&self, file: &Path) -> Option<PathBuf> {
        let parent = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        parent.canonicalize().ok()
    }

    fn is_repository_top(&self, dir: &Path) -> bool {
        crate::paths::holds_git(dir)
    }

    fn names_in(&self, dir: &Path) -> Option<HashSet<OsString>> {
        let entries = fs::read_dir(dir).ok()?;
        Some(
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
                .collect(),
        )
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>> {
        let file = File::open(path).ok()?;
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }

    fn files(&self, root: &Path, limit: usize) -> Vec<PathBuf> {
        let root_owned = root.to_path_buf();
        ignore::WalkBuilder::new(root)
            .hidden(true)
            .follow_links(false)
            .filter_entry(move |entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && entry.path() != root_owned
                    && outside_project(
                        entry.file_name(),
                        entry.path().join("package.json").is_file(),
                    ))
            })
            .build()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
            .map(ignore::DirEntry::into_path)
            .take(limit)
            .collect()
    }
}

/// Which tree of a repository a [`GitTree`] shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revision {
    /// The index: what the next commit will hold.
    Index,
    /// A commit's tree (any revision git resolves to one).
    Commit(String),
}

/// The files of the index or of a commit, read from git's object
/// database. Listed on the first question, not when made: most scans
/// never ask (only a file a client-scoped detector matched is classified).
#[derive(Debug)]
pub struct GitTree {
    repository: Repository,
    revision: Revision,
    listing: OnceLock<Result<Listing, String>>,
}

#[derive(Debug, Default)]
struct Listing {
    /// Object ids of the regular files, by path relative to the top.
    files: HashMap<PathBuf, String>,
    /// Entry names (files, links, submodules, directories) by directory
    /// relative to the top (`""` for the top itself).
    names: HashMap<PathBuf, HashSet<OsString>>,
}

impl GitTree {
    pub fn new(repository: Repository, revision: Revision) -> Self {
        GitTree {
            repository,
            revision,
            listing: OnceLock::new(),
        }
    }

    /// The listing, or `None` when git could not list it (the tree then
    /// answers like an empty one, and files classify by path alone).
    fn listing(&self) -> Option<&Listing> {
        self.listing
            .get_or_init(|| self.list().map_err(|error| error.to_string()))
            .as_ref()
            .ok()
    }

    fn list(&self) -> Result<Listing, GitError> {
        let entries = match &self.revision {
            Revision::Index => self.repository.index_entries()?,
            Revision::Commit(commit) => self.repository.commit_entries(commit)?,
        };
        let mut listing = Listing::default();
        for entry in entries {
            let path = entry.relative_path();
            // Every directory on the way down lists the next component.
            let mut child = path.as_path();
            while let Some(parent) = child.parent() {
                if let Some(name) = child.file_name() {
                    let names = listing.names.entry(parent.to_path_buf()).or_default();
                    if !names.insert(name.to_os_string()) {
                        break; // this directory, and those above, are done
                    }
                }
                child = parent;
            }
            if entry.kind == EntryKind::File {
                listing.files.insert(path, entry.object_id);
            }
        }
        Ok(listing)
    }

    /// `path` relative to the top level, when it lies below it.
    fn below_top<'p>(&self, path: &'p Path) -> Option<&'p Path> {
        path.strip_prefix(self.repository.top_level()).ok()
    }
}

impl Tree for GitTree {
    fn directory_of(&self, file: &Path) -> Option<PathBuf> {
        let absolute = crate::paths::lexical_absolute(self.repository.top_level(), file);
        self.below_top(&absolute)?;
        absolute.parent().map(Path::to_path_buf)
    }

    fn is_repository_top(&self, dir: &Path) -> bool {
        dir == self.repository.top_level()
    }

    fn names_in(&self, dir: &Path) -> Option<HashSet<OsString>> {
        let relative = self.below_top(dir)?;
        self.listing()?.names.get(relative).cloned()
    }

    fn is_file(&self, path: &Path) -> bool {
        self.below_top(path)
            .zip(self.listing())
            .is_some_and(|(relative, listing)| listing.files.contains_key(relative))
    }

    fn files(&self, root: &Path, limit: usize) -> Vec<PathBuf> {
        let (Some(listing), Some(below)) = (self.listing(), self.below_top(root)) else {
            return Vec::new();
        };
        let top = self.repository.top_level();
        let is_hidden = |name: &std::ffi::OsStr| name.as_encoded_bytes().starts_with(b".");
        let mut files: Vec<PathBuf> = listing
            .files
            .keys()
            .filter_map(|file| {
                let inside = file.strip_prefix(below).ok()?;
                // Each directory between the root and the file.
                let mut dir = below.to_path_buf();
                for component in inside.parent()?.components() {
                    dir.push(component);
                    let name = component.as_os_str();
                    let nested = listing.files.contains_key(&dir.join("package.json"));
                    if is_hidden(name) || outside_project(name, nested) {
                        return None;
                    }
                }
                let hidden = inside.file_name().is_some_and(is_hidden);
                (!hidden).then(|| top.join(file))
            })
            .collect();
        files.sort();
        files.truncate(limit);
        files
    }

    fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>> {
        let id = self.listing()?.files.get(self.below_top(path)?)?;
        let mut bytes = Vec::new();
        self.repository
            .read_blobs(&[id], |_, _, body| {
                body.take(limit).read_to_end(&mut bytes).map(drop)
            })
            .ok()?;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::git::tests::git;

    #[test]
    fn a_git_tree_answers_from_the_index_or_a_commit_not_the_disk() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        git(root, &["config", "user.name", "t"]);
        git(root, &["config", "user.email", "t@t.invalid"]);
        git(root, &["config", "commit.gpgsign", "false"]);
        fs::create_dir_all(root.join("mobile/src")).unwrap();
        fs::write(root.join("mobile/package.json"), r#"{"dependencies":{}}"#).unwrap();
        fs::write(root.join("mobile/src/App.js"), "x").unwrap();
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "first"]);
        fs::write(
            root.join("mobile/package.json"),
            r#"{"dependencies":{"expo":"1"}}"#,
        )
        .unwrap();
        fs::write(root.join("mobile/eas.json"), "{}").unwrap();
        git(root, &["add", "."]);
        // The disk no longer has the project at all.
        fs::remove_dir_all(root.join("mobile")).unwrap();

        let repository = Repository::discover(root).unwrap();
        let top = repository.top_level().to_path_buf();
        let index = GitTree::new(repository.clone(), Revision::Index);
        let first = GitTree::new(repository, Revision::Commit("HEAD".into()));
        let mobile = top.join("mobile");

        let names = |tree: &GitTree| {
            let mut names: Vec<String> = tree
                .names_in(&mobile)
                .unwrap_or_default()
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names(&index), ["eas.json", "package.json", "src"]);
        assert_eq!(names(&first), ["package.json", "src"]);
        assert!(index.is_file(&mobile.join("eas.json")));
        assert!(!first.is_file(&mobile.join("eas.json")));
        assert!(
            !index.is_file(&mobile.join("src")),
            "a directory is no file"
        );
        assert_eq!(
            index.read(&mobile.join("package.json"), 1 << 20),
            Some(br#"{"dependencies":{"expo":"1"}}"#.to_vec())
        );
        assert_eq!(
            first.read(&mobile.join("package.json"), 5),
            Some(br#"{"dep"#.to_vec())
        );
        assert!(index.is_repository_top(&top));
        assert!(!index.is_repository_top(&mobile));
        assert_eq!(
            index.directory_of(&mobile.join("src/App.js")),
            Some(mobile.join("src"))
        );
        assert_eq!(index.directory_of(Path::new("/elsewhere/x.js")), None);
        assert_eq!(WorkTree.names_in(&mobile), None, "gone from disk");
    }

    #[test]
    fn a_git_tree_lists_a_projects_files_as_the_module_graph_needs_them() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        for (path, text) in [
            ("web/package.json", "{}"),
            ("web/src/app.ts", "x"),
            ("web/.storybook/main.js", "x"),
            ("web/node_modules/lib/index.js", "x"),
            ("web/packages/inner/package.json", "{}"),
            ("web/packages/inner/index.js", "x"),
            ("api/main.go", "x"),
        ] {
            fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            fs::write(root.join(path), text).unwrap();
        }
        git(root, &["add", "-f", "."]);
        let repository = Repository::discover(root).unwrap();
        let top = repository.top_level().to_path_buf();
        let index = GitTree::new(repository, Revision::Index);
        let listed = index.files(&top.join("web"), 100);
        assert_eq!(
            listed,
            [top.join("web/package.json"), top.join("web/src/app.ts")]
        );
        assert_eq!(index.files(&top.join("web"), 1).len(), 1, "the limit holds");
    }
}
