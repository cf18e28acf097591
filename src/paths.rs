//! How katscan names files, in one place: the path a finding or a skip
//! reports, the raw bytes that tell apart two names that only display the
//! same, paths relative to a directory (the repository's top, a config
//! file's directory) and lexical absolute paths. Every source of blobs (the
//! walk, the index, the config's excludes) shows paths through these, so a
//! file is called the same whichever way it was reached.

use std::path::{Component, Path, PathBuf};

/// What a report calls a file: text, and the bytes of the name when they
/// are not UTF-8 (`text` is then lossy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownPath {
    pub text: String,
    pub raw: Option<Vec<u8>>,
}

impl ShownPath {
    /// A path as walked or as named on the command line.
    pub fn of(path: &Path) -> Self {
        ShownPath {
            text: display_path(path),
            raw: raw_display_path(path),
        }
    }
}

/// The path as reported: as given on the command line, `/`-separated,
/// without a leading `./`.
pub fn display_path(path: &Path) -> String {
    let lossy = path.to_string_lossy();
    let mut shown: &str = &lossy;
    while let Some(rest) = shown.strip_prefix("./") {
        shown = rest.trim_start_matches('/');
    }
    if std::path::MAIN_SEPARATOR == '\\' {
        shown.replace('\\', "/")
    } else {
        shown.to_string()
    }
}

/// [`display_path`]'s bytes without the lossy conversion, when the name
/// is not valid UTF-8 (`None` when [`display_path`] is exact): what tells
/// apart two files whose names display the same.
pub fn raw_display_path(path: &Path) -> Option<Vec<u8>> {
    if path.to_str().is_some() {
        return None;
    }
    let mut shown = path.as_os_str().as_encoded_bytes();
    while let Some(rest) = shown.strip_prefix(b"./") {
        let slashes = rest.iter().take_while(|&&b| b == b'/').count();
        shown = &rest[slashes..];
    }
    let mut bytes = shown.to_vec();
    if std::path::MAIN_SEPARATOR == '\\' {
        for byte in &mut bytes {
            if *byte == b'\\' {
                *byte = b'/';
            }
        }
    }
    Some(bytes)
}

/// `path` shown relative to `dir` (`/`-separated); as it is when it does
/// not lie below `dir`.
pub fn shown_relative_to(dir: &Path, path: &Path) -> String {
    display_path(path.strip_prefix(dir).unwrap_or(path))
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved
/// lexically: symbolic links are not followed, so a path is judged where
/// the user named it.
pub fn lexical_absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The top level of the git work tree holding `dir`: the nearest
/// directory at or above it that holds `.git` (a directory, or a file in
/// linked worktrees and submodules). Asked of the disk, not of git: config
/// discovery, link boundaries and the client classifier need it for every
/// scan, inside a repository or not, and one process per question would
/// cost more than the scan of a small tree. `dir` should be absolute with
/// links resolved, as the answer is one of its ancestors.
pub fn work_tree_top(dir: &Path) -> Option<&Path> {
    dir.ancestors().find(|dir| holds_git(dir))
}

/// Whether `dir` is the top level of a git work tree (see [`work_tree_top`]).
pub fn holds_git(dir: &Path) -> bool {
    dir.join(".git").symlink_metadata().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn raw_display_paths_keep_the_bytes_display_paths_replace() {
        use std::os::unix::ffi::OsStrExt;
        let raw = Path::new(std::ffi::OsStr::from_bytes(b"././/d/a\xff.env"));
        assert_eq!(display_path(raw), "d/a\u{FFFD}.env");
        assert_eq!(raw_display_path(raw).as_deref(), Some(&b"d/a\xff.env"[..]));
        // A UTF-8 name is shown exactly: no raw bytes needed.
        assert_eq!(raw_display_path(Path::new("./d/a.env")), None);
        assert_eq!(ShownPath::of(raw).raw.as_deref(), Some(&b"d/a\xff.env"[..]));
    }

    #[test]
    fn display_paths_drop_leading_dot_slash() {
        assert_eq!(display_path(Path::new("./src/a.js")), "src/a.js");
        assert_eq!(display_path(Path::new("src/a.js")), "src/a.js");
        assert_eq!(display_path(Path::new("/abs/a.js")), "/abs/a.js");
        assert_eq!(display_path(Path::new("././a")), "a");
    }

    #[test]
    fn the_work_tree_top_is_the_nearest_directory_holding_git() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("repo/sub/deep")).unwrap();
        std::fs::create_dir(root.join("repo/.git")).unwrap();
        // A linked worktree or submodule has a `.git` file.
        std::fs::write(root.join("repo/sub/.git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(
            work_tree_top(&root.join("repo/sub/deep")),
            Some(root.join("repo/sub").as_path())
        );
        assert_eq!(
            work_tree_top(&root.join("repo")),
            Some(root.join("repo").as_path())
        );
        assert!(holds_git(&root.join("repo")));
        assert!(!holds_git(&root));
    }

    #[test]
    fn relative_and_absolute_paths_are_lexical() {
        let top = Path::new("/repo");
        assert_eq!(
            shown_relative_to(top, Path::new("/repo/src/a.js")),
            "src/a.js"
        );
        assert_eq!(
            shown_relative_to(top, Path::new("/elsewhere/a.js")),
            "/elsewhere/a.js"
        );
        assert_eq!(
            lexical_absolute(Path::new("/repo/src"), Path::new("../lib/./b.js")),
            PathBuf::from("/repo/lib/b.js")
        );
        assert_eq!(
            lexical_absolute(Path::new("/repo"), Path::new("/abs/x")),
            PathBuf::from("/abs/x")
        );
    }
}
