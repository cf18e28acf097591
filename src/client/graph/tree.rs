//! The one door through which the module graph reads a project: its file
//! list and file contents. The work tree today; the git index or a commit
//! (for staged and history scans) can implement [`SourceTree`] later
//! without the graph changing.

use std::fmt::Debug;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files and contents of the tree a project is read from.
pub trait SourceTree: Debug + Send + Sync {
    /// The project's files below `root` (absolute paths), at most `limit`:
    /// ignore files honoured, `node_modules` and nested projects (a
    /// directory with its own `package.json`) left out.
    fn files(&self, root: &Path, limit: usize) -> Vec<PathBuf>;
    /// At most `limit` bytes of `path`, or `None` when it cannot be read.
    fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>>;
}

/// The files on disk.
#[derive(Debug, Default, Clone, Copy)]
pub struct WorkTree;

impl SourceTree for WorkTree {
    fn files(&self, root: &Path, limit: usize) -> Vec<PathBuf> {
        let root_owned = root.to_path_buf();
        let walker = ignore::WalkBuilder::new(root)
            .hidden(true)
            .follow_links(false)
            .filter_entry(move |entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && (entry.file_name() == "node_modules"
                        || (entry.path() != root_owned
                            && entry.path().join("package.json").is_file())))
            })
            .build();
        walker
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
            .map(ignore::DirEntry::into_path)
            .take(limit)
            .collect()
    }

    fn read(&self, path: &Path, limit: u64) -> Option<Vec<u8>> {
        let file = File::open(path).ok()?;
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }
}
