//! The little of git katscan needs, by running the `git` command (as
//! gitleaks does): the index entries about to be committed, their blobs,
//! and where hooks live. A fixed number of processes per call, never one
//! per file.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;

/// File modes git records that are not regular files.
const MODE_SYMLINK: &str = "120000";
const MODE_GITLINK: &str = "160000";

/// Why a git operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git (is it installed and on PATH?): {0}")]
    NotInstalled(#[source] io::Error),
    #[error("{} is not inside a git work tree{}", .dir.display(), detail(.message))]
    NotARepository { dir: PathBuf, message: String },
    #[error("`git {command}` failed: {message}")]
    Failed { command: String, message: String },
    #[error("unexpected output from `git {command}`: {message}")]
    BadOutput { command: String, message: String },
    #[error("reading from git: {0}")]
    Io(#[from] io::Error),
}

fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    }
}

/// What an index entry is, by its git file mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Symlink,
    /// A submodule's commit: no content in this repository.
    Submodule,
}

/// One file as it is in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// Relative to the top level, `/`-separated, as git prints it (a name
    /// that is not UTF-8 with replacement characters).
    pub path: String,
    /// The name's bytes when they are not UTF-8 (`path` is then lossy):
    /// what tells apart two files whose names show the same.
    pub raw_path: Option<Vec<u8>>,
    pub object_id: String,
    pub kind: EntryKind,
}

/// A git work tree, found from a directory inside it.
#[derive(Debug, Clone)]
pub struct Repository {
    top_level: PathBuf,
}

impl Repository {
    /// The work tree containing `dir`.
    pub fn discover(dir: &Path) -> Result<Self, GitError> {
        let output = git_output(dir, ["rev-parse", "--show-toplevel"])?;
        if !output.status.success() {
            return Err(GitError::NotARepository {
                dir: dir.to_path_buf(),
                message: stderr_line(&output),
            });
        }
        let top = String::from_utf8(output.stdout).map_err(|_| GitError::BadOutput {
            command: "rev-parse --show-toplevel".into(),
            message: "the path is not UTF-8".into(),
        })?;
        let top = top.trim_end_matches(['\n', '\r']);
        if top.is_empty() {
            // A bare repository, or inside `.git/`: there is no index to
            // scan against a work tree.
            return Err(GitError::NotARepository {
                dir: dir.to_path_buf(),
                message: "no work tree".into(),
            });
        }
        Ok(Repository {
            top_level: PathBuf::from(top),
        })
    }

    pub fn top_level(&self) -> &Path {
        &self.top_level
    }

    /// Entries added, copied, modified, renamed or changed in type in the
    /// index relative to `HEAD`; every entry when there is no commit yet.
    /// Deleted and unmerged paths are not included.
    pub fn staged_entries(&self) -> Result<Vec<IndexEntry>, GitError> {
        if self.has_head()? {
            // Plumbing, so user diff settings (renames, colours, external
            // drivers) cannot change the output. Rename detection would
            // only cost time: a renamed file's blob is scanned at its new
            // path either way.
            let args = [
                "diff-index",
                "--cached",
                "-z",
                "--no-renames",
                "--diff-filter=ACMRT",
                "HEAD",
                "--",
            ];
            let stdout = self.run(args)?;
            parse_diff_index(&stdout)
        } else {
            let stdout = self.run(["ls-files", "--stage", "-z", "--"])?;
            parse_ls_files(&stdout)
        }
    }

    /// Every file in the index (stage 0; unmerged paths are not yet a
    /// version of the file).
    pub fn index_entries(&self) -> Result<Vec<IndexEntry>, GitError> {
        let stdout = self.run(["ls-files", "--stage", "-z", "--"])?;
        parse_ls_files(&stdout)
    }

    /// Every file in the tree of `commit` (any revision git resolves to a
    /// commit or tree), paths relative to the top level.
    pub fn commit_entries(&self, commit: &str) -> Result<Vec<IndexEntry>, GitError> {
        let stdout = self.run(["ls-tree", "-r", "-z", "--full-tree", commit, "--"])?;
        parse_ls_tree(&stdout)
    }

    fn has_head(&self) -> Result<bool, GitError> {
        let output = git_output(
            &self.top_level,
            ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
        )?;
        Ok(output.status.success())
    }

    /// Reads the blobs `ids` in one `git cat-file --batch` process and hands
    /// each to `visit` in order: its size, then a reader of exactly that
    /// many bytes (what the visitor leaves unread is skipped).
    pub fn read_blobs<F>(&self, ids: &[&str], mut visit: F) -> Result<(), GitError>
    where
        F: FnMut(usize, u64, &mut dyn Read) -> io::Result<()>,
    {
        if ids.is_empty() {
            return Ok(());
        }
        let mut child = git_command(&self.top_level, ["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(GitError::NotInstalled)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let result = thread::scope(|scope| {
            // Writing on another thread: git answers while it reads, and
            // a full pipe either way would otherwise deadlock.
            scope.spawn(move || {
                let mut writer = io::BufWriter::new(&mut stdin);
                for id in ids {
                    if writeln!(writer, "{id}").is_err() {
                        return;
                    }
                }
                let _ = writer.flush();
                drop(writer);
                drop(stdin);
            });
            read_batch(BufReader::new(stdout), ids, &mut visit)
        });
        let output = child.wait_with_output()?;
        result?;
        if !output.status.success() {
            return Err(GitError::Failed {
                command: "cat-file --batch".into(),
                message: stderr_line(&output),
            });
        }
        Ok(())
    }

    /// The directory git runs hooks from (`core.hooksPath` when set; the
    /// common git directory's `hooks` in a linked worktree).
    pub fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let stdout = self.run(["rev-parse", "--git-path", "hooks"])?;
        let path = String::from_utf8(stdout).map_err(|_| GitError::BadOutput {
            command: "rev-parse --git-path hooks".into(),
            message: "the path is not UTF-8".into(),
        })?;
        Ok(self.top_level.join(path.trim_end_matches(['\n', '\r'])))
    }

    fn run<I, S>(&self, args: I) -> Result<Vec<u8>, GitError>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        let output = git_output(&self.top_level, args.clone())?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(GitError::Failed {
                command: args
                    .into_iter()
                    .map(|a| a.as_ref().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
                message: stderr_line(&output),
            })
        }
    }
}

/// Files git tracks below `dir` that its ignore rules would hide (committed
/// before the rule was written, or added with `git add -f`), relative to
/// `dir`. `None` when `dir` is not in a work tree or git cannot run: then
/// there is nothing such to find.
pub fn tracked_but_ignored(dir: &Path) -> Option<Vec<PathBuf>> {
    let output = git_output(
        dir,
        [
            "ls-files",
            "-z",
            "--cached",
            "--ignored",
            "--exclude-standard",
        ],
    )
    .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(
        output
            .stdout
            .split(|&b| b == 0)
            .filter(|path| !path.is_empty())
            .map(path_from_git)
            .collect(),
    )
}

/// A path as git prints it with `-z`: raw bytes. On Unix every byte
/// string is a path, so a file named in Latin-1 is still found; elsewhere
/// git's paths are UTF-8.
#[cfg(unix)]
fn path_from_git(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_git(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

fn git_command<I, S>(dir: &Path, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new("git");
    command.current_dir(dir).args(args);
    command
}

fn git_output<I, S>(dir: &Path, args: I) -> Result<Output, GitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    git_command(dir, args)
        .stdin(Stdio::null())
        .output()
        .map_err(GitError::NotInstalled)
}

fn stderr_line(output: &Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr);
    let text = text.trim();
    text.strip_prefix("fatal: ").unwrap_or(text).to_string()
}

fn read_batch<R, F>(mut reader: R, ids: &[&str], visit: &mut F) -> Result<(), GitError>
where
    R: BufRead,
    F: FnMut(usize, u64, &mut dyn Read) -> io::Result<()>,
{
    let bad = |message: String| GitError::BadOutput {
        command: "cat-file --batch".into(),
        message,
    };
    let mut header = String::new();
    for (index, id) in ids.iter().enumerate() {
        header.clear();
        if reader.read_line(&mut header)? == 0 {
            return Err(bad(format!("output ended before object {id}")));
        }
        // `<id> <type> <size>`, or `<id> missing`.
        let fields: Vec<&str> = header.split_whitespace().collect();
        let size: u64 = match fields.as_slice() {
            [_, "blob", size] => size
                .parse()
                .map_err(|_| bad(format!("bad size in `{}`", header.trim_end())))?,
            _ => return Err(bad(format!("expected a blob, got `{}`", header.trim_end()))),
        };
        let mut body = (&mut reader).take(size);
        visit(index, size, &mut body)?;
        io::copy(&mut body, &mut io::sink())?;
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline)?;
    }
    Ok(())
}

fn entry_kind(mode: &str) -> EntryKind {
    match mode {
        MODE_SYMLINK => EntryKind::Symlink,
        MODE_GITLINK => EntryKind::Submodule,
        _ => EntryKind::File,
    }
}

fn utf8_path(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The bytes of a name that [`utf8_path`] cannot show exactly.
fn raw_path(bytes: &[u8]) -> Option<Vec<u8>> {
    std::str::from_utf8(bytes).is_err().then(|| bytes.to_vec())
}

impl IndexEntry {
    /// The path relative to the top level, from the raw name: the file on
    /// disk even when its name is not UTF-8.
    pub fn relative_path(&self) -> PathBuf {
        path_from_git(self.raw_path.as_deref().unwrap_or(self.path.as_bytes()))
    }
}

/// `:<old mode> <new mode> <old id> <new id> <status>\0<path>\0` records.
fn parse_diff_index(stdout: &[u8]) -> Result<Vec<IndexEntry>, GitError> {
    let mut fields = stdout.split(|&b| b == 0);
    let mut entries = Vec::new();
    while let Some(meta) = fields.next() {
        if meta.is_empty() {
            continue;
        }
        let bad = || GitError::BadOutput {
            command: "diff-index".into(),
            message: format!("bad record `{}`", String::from_utf8_lossy(meta)),
        };
        let meta = std::str::from_utf8(meta).map_err(|_| bad())?;
        let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let [_, new_mode, _, new_id, _status] = parts.as_slice() else {
            return Err(bad());
        };
        let path = fields.next().ok_or_else(bad)?;
        entries.push(IndexEntry {
            path: utf8_path(path),
            raw_path: raw_path(path),
            object_id: (*new_id).to_string(),
            kind: entry_kind(new_mode),
        });
    }
    Ok(entries)
}

/// `<mode> <id> <stage>\t<path>\0` records; only stage 0 (unconflicted).
fn parse_ls_files(stdout: &[u8]) -> Result<Vec<IndexEntry>, GitError> {
    let mut entries = Vec::new();
    for record in stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let bad = || GitError::BadOutput {
            command: "ls-files --stage".into(),
            message: format!("bad record `{}`", String::from_utf8_lossy(record)),
        };
        let tab = record.iter().position(|&b| b == b'\t').ok_or_else(bad)?;
        let meta = std::str::from_utf8(&record[..tab]).map_err(|_| bad())?;
        let [mode, id, stage] = meta.split(' ').collect::<Vec<_>>()[..] else {
            return Err(bad());
        };
        if stage != "0" {
            continue;
        }
        entries.push(IndexEntry {
            path: utf8_path(&record[tab + 1..]),
            raw_path: raw_path(&record[tab + 1..]),
            object_id: id.to_string(),
            kind: entry_kind(mode),
        });
    }
    Ok(entries)
}

/// `<mode> <type> <id>\t<path>\0` records of `ls-tree -r -z`.
fn parse_ls_tree(stdout: &[u8]) -> Result<Vec<IndexEntry>, GitError> {
    let mut entries = Vec::new();
    for record in stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let bad = || GitError::BadOutput {
            command: "ls-tree".into(),
            message: format!("bad record `{}`", String::from_utf8_lossy(record)),
        };
        let tab = record.iter().position(|&b| b == b'\t').ok_or_else(bad)?;
        let meta = std::str::from_utf8(&record[..tab]).map_err(|_| bad())?;
        let [mode, _kind, id] = meta.split(' ').collect::<Vec<_>>()[..] else {
            return Err(bad());
        };
        entries.push(IndexEntry {
            path: utf8_path(&record[tab + 1..]),
            raw_path: raw_path(&record[tab + 1..]),
            object_id: id.to_string(),
            kind: entry_kind(mode),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_tree_records_parse_with_odd_paths() {
        let raw = format!(
            "100644 blob {ID_A}\tdir/new file.txt\0\
             120000 blob {ID_B}\tlink\0\
             160000 commit {ID_A}\tvendor/sub\0"
        );
        let entries = parse_ls_tree(raw.as_bytes()).unwrap();
        let summary: Vec<(&str, &str, EntryKind)> = entries
            .iter()
            .map(|e| (e.path.as_str(), e.object_id.as_str(), e.kind))
            .collect();
        assert_eq!(
            summary,
            [
                ("dir/new file.txt", ID_A, EntryKind::File),
                ("link", ID_B, EntryKind::Symlink),
                ("vendor/sub", ID_A, EntryKind::Submodule),
            ]
        );
        assert!(parse_ls_tree(b"100644 blob x\0").is_err());
    }

    const ID_A: &str = "0123456789abcdef0123456789abcdef01234567";
    const ID_B: &str = "89abcdef0123456789abcdef0123456789abcdef";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn diff_index_records_parse_with_odd_paths() {
        let raw = format!(
            ":000000 100644 {ZERO} {ID_A} A\0dir/new file.txt\0\
             :100644 120000 {ID_B} {ID_A} T\0link\0\
             :160000 160000 {ID_B} {ID_A} M\0vendor/sub\0"
        );
        let entries = parse_diff_index(raw.as_bytes()).unwrap();
        let summary: Vec<(&str, &str, EntryKind)> = entries
            .iter()
            .map(|e| (e.path.as_str(), e.object_id.as_str(), e.kind))
            .collect();
        assert_eq!(
            summary,
            [
                ("dir/new file.txt", ID_A, EntryKind::File),
                ("link", ID_A, EntryKind::Symlink),
                ("vendor/sub", ID_A, EntryKind::Submodule),
            ]
        );
        assert!(parse_diff_index(b":100644 100644 x\0").is_err());
    }

    #[test]
    fn ls_files_records_skip_conflict_stages() {
        let raw = format!(
            "100644 {ID_A} 0\ta\tb.txt\0100644 {ID_B} 1\tconflict\0100755 {ID_B} 0\trun.sh\0"
        );
        let entries = parse_ls_files(raw.as_bytes()).unwrap();
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a\tb.txt", "run.sh"]);
        assert!(parse_ls_files(b"100644 no-tab\0").is_err());
    }

    #[test]
    fn names_that_are_not_utf8_keep_their_bytes() {
        let mut raw = format!("100644 {ID_A} 0\t").into_bytes();
        raw.extend_from_slice(b"a\xff.env\0");
        raw.extend_from_slice(format!("100644 {ID_B} 0\tb.env\0").as_bytes());
        let entries = parse_ls_files(&raw).unwrap();
        assert_eq!(entries[0].path, "a\u{FFFD}.env");
        assert_eq!(entries[0].raw_path.as_deref(), Some(&b"a\xff.env"[..]));
        assert_eq!(entries[1].raw_path, None);
        assert_eq!(entries[1].relative_path(), PathBuf::from("b.env"));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            assert_eq!(
                entries[0].relative_path().as_os_str().as_bytes(),
                b"a\xff.env"
            );
        }
    }

    #[test]
    fn batch_output_is_split_into_blobs() {
        let output = format!("{ID_A} blob 5\nhello\n{ID_B} blob 0\n\n");
        let mut seen = Vec::new();
        read_batch(output.as_bytes(), &[ID_A, ID_B], &mut |i, size, body| {
            let mut text = String::new();
            body.read_to_string(&mut text)?;
            seen.push((i, size, text));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [(0, 5, "hello".to_string()), (1, 0, String::new())]);

        let missing = format!("{ID_A} missing\n");
        let result = read_batch(missing.as_bytes(), &[ID_A], &mut |_, _, _| Ok(()));
        assert!(matches!(result, Err(GitError::BadOutput { .. })));
    }
}
