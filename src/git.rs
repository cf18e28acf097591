//! The little of git katscan needs, by running the `git` command (as
//! gitleaks does): the index entries about to be committed, the files each
//! commit of a range changed, their blobs, and where hooks live. A fixed
//! number of processes per call, never one per file or per commit.

use std::collections::HashMap;
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
        self.stream_blobs(ids, |index, blob| match blob {
            Some((size, body)) => visit(index, size, body),
            None => Err(io::Error::other(format!(
                "object {} is missing",
                ids[index]
            ))),
        })
    }

    /// [`Repository::read_blobs`], but an object missing from the object
    /// database (a partial clone's blob that was never fetched) is handed
    /// to `visit` as `None` instead of ending the read. Missing objects are
    /// not fetched on demand (`GIT_NO_LAZY_FETCH`, git 2.44+): one network
    /// round trip per blob would make a scan of a blobless clone take hours.
    pub fn stream_blobs<F>(&self, ids: &[&str], mut visit: F) -> Result<(), GitError>
    where
        F: FnMut(usize, Option<(u64, &mut dyn Read)>) -> io::Result<()>,
    {
        if ids.is_empty() {
            return Ok(());
        }
        let mut command = git_command(&self.top_level, ["cat-file", "--batch"]);
        command.env("GIT_NO_LAZY_FETCH", "1");
        let mut child = command
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
            // A large buffer: most blobs are small, and one read each
            // through an 8 KiB buffer was a tenth of a history scan.
            read_batch(BufReader::with_capacity(1 << 20, stdout), ids, &mut visit)
        });
        if result.is_err() {
            // The reader stopped early: git may be blocked writing.
            let _ = child.kill();
        }
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

    /// Every object id in the object database, in pack order (how `git
    /// cat-file --batch-all-objects --unordered` lists them): reading
    /// blobs in this order lets git reuse the delta bases it just
    /// inflated. On cargo's history (58,681 blobs, 1.4 GB) `cat-file
    /// --batch` took 10.4 s oldest first, 4.8 s newest first, 2.3 s in
    /// pack order; listing 233k objects takes 0.2 s.
    pub fn objects_in_pack_order(&self) -> Result<Vec<u8>, GitError> {
        self.run([
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname)",
            "--unordered",
        ])
    }

    /// Whether the repository is a shallow clone: its history stops at
    /// grafted commits whose parents were never fetched.
    pub fn is_shallow(&self) -> Result<bool, GitError> {
        let stdout = self.run(["rev-parse", "--is-shallow-repository"])?;
        Ok(stdout.starts_with(b"true"))
    }

    /// The commits `revisions` name (as `git log` takes them: `main..HEAD`,
    /// `A...B`, a branch; every ref with `all`), oldest first with parents
    /// before children, each with the files it changed relative to its
    /// first parent (everything for a root commit, or a commit whose
    /// parents a shallow clone lacks). A merge lists what it brought into
    /// its first parent, so a file first seen in a merge (a side branch's
    /// work, or a resolution that added a key) is listed there too.
    pub fn commit_changes(
        &self,
        revisions: &[String],
        all: bool,
        since: Option<&str>,
    ) -> Result<Vec<CommitChanges>, GitError> {
        let mut args: Vec<String> = [
            "log",
            "-z",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "--root",
            "--diff-merges=first-parent",
            "--topo-order",
            "--reverse",
            "--no-color",
            "--no-show-signature",
            "--no-mailmap",
            "--format=%x01%H%x00%an%x00%aI",
        ]
        .map(String::from)
        .to_vec();
        if let Some(since) = since {
            args.push(format!("--since={since}"));
        }
        if all {
            args.push("--all".into());
        }
        args.push("--end-of-options".into());
        args.extend(revisions.iter().cloned());
        args.push("--".into());
        let stdout = self.run(&args)?;
        parse_log(&stdout)
    }

    /// The commits the positive `revisions` (every ref with `all`) point
    /// at: the tips of a range, where "is the key still there" is asked.
    pub fn tips(&self, revisions: &[String], all: bool) -> Result<Vec<String>, GitError> {
        let mut args: Vec<String> = vec!["rev-parse".into(), "--revs-only".into()];
        if all {
            args.push("--all".into());
        }
        args.extend(revisions.iter().cloned());
        if revisions.is_empty() && !all {
            args.push("HEAD".into());
        }
        let stdout = self.run(&args)?;
        let text = String::from_utf8_lossy(&stdout);
        let mut tips: Vec<String> = text
            .lines()
            .filter(|line| !line.is_empty() && line.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|line| format!("{line}^{{commit}}"))
            .collect();
        // Resolve tags to commits so one commit is asked about once.
        if tips.is_empty() {
            return Ok(tips);
        }
        // Every argument is `<hex id>^{commit}`: none can be an option.
        let mut args: Vec<String> = vec!["rev-parse".into()];
        args.append(&mut tips);
        let stdout = self.run(&args)?;
        let mut commits: Vec<String> = String::from_utf8_lossy(&stdout)
            .lines()
            .map(str::to_string)
            .collect();
        commits.sort();
        commits.dedup();
        Ok(commits)
    }

    /// The object at each `(commit, raw path)` of `queries`, in order;
    /// `None` where the commit has nothing at that path. One `git cat-file
    /// --batch-check` for them all (a repository with hundreds of tags
    /// would otherwise take one process per tag).
    pub fn objects_at(&self, queries: &[(&str, &[u8])]) -> Result<Vec<Option<String>>, GitError> {
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        // A name with a line break cannot be asked on a line: asked with
        // `ls-tree`, one process per such name and commit (rare).
        let (lines, odd): (Vec<usize>, Vec<usize>) =
            (0..queries.len()).partition(|&i| !queries[i].1.contains(&b'\n'));
        let mut found: Vec<Option<String>> = vec![None; queries.len()];
        let mut child = git_command(
            &self.top_level,
            ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        )
        .env("GIT_NO_LAZY_FETCH", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(GitError::NotInstalled)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let read = thread::scope(|scope| {
            scope.spawn(|| {
                let mut writer = io::BufWriter::new(&mut stdin);
                for &i in &lines {
                    let (commit, path) = queries[i];
                    let line = [commit.as_bytes(), b":", path, b"\n"].concat();
                    if writer.write_all(&line).is_err() {
                        return;
                    }
                }
                let _ = writer.flush();
            });
            let mut reader = BufReader::new(stdout);
            let mut answer = String::new();
            for &i in &lines {
                answer.clear();
                if reader.read_line(&mut answer)? == 0 {
                    return Err(GitError::BadOutput {
                        command: "cat-file --batch-check".into(),
                        message: "output ended early".into(),
                    });
                }
                // `<id> blob`, or `<query> missing` (nothing there).
                if let Some(id) = answer.trim_end().strip_suffix(" blob") {
                    found[i] = Some(id.to_string());
                }
            }
            Ok(())
        });
        drop(stdin);
        let output = child.wait_with_output()?;
        read?;
        if !output.status.success() {
            return Err(GitError::Failed {
                command: "cat-file --batch-check".into(),
                message: stderr_line(&output),
            });
        }
        for i in odd {
            let (commit, path) = queries[i];
            let mut command = git_command(
                &self.top_level,
                ["--literal-pathspecs", "ls-tree", "-z", "--full-tree"],
            );
            command.arg(commit).arg("--").arg(path_from_git(path));
            let output = command
                .stdin(Stdio::null())
                .output()
                .map_err(GitError::NotInstalled)?;
            let record = output.stdout.split(|&b| b == 0).next().unwrap_or_default();
            let meta = record.split(|&b| b == b'\t').next().unwrap_or_default();
            if let [_, "blob", id] =
                String::from_utf8_lossy(meta).split(' ').collect::<Vec<_>>()[..]
            {
                found[i] = Some(id.to_string());
            }
        }
        Ok(found)
    }

    /// Each commit of `ids` (full ids) as short as git makes it while
    /// unambiguous in this repository (`core.abbrev`), by full id.
    pub fn short_ids(&self, ids: &[&str]) -> Result<HashMap<String, String>, GitError> {
        let mut short = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(2000) {
            let mut args = vec!["log", "--no-walk=unsorted", "--format=%H %h"];
            args.extend(chunk.iter().copied());
            let stdout = self.run(&args)?;
            for line in String::from_utf8_lossy(&stdout).lines() {
                if let Some((full, abbreviated)) = line.split_once(' ') {
                    short.insert(full.to_string(), abbreviated.to_string());
                }
            }
        }
        Ok(short)
    }

    /// Where `origin` points, for SARIF's version-control provenance;
    /// `None` without one.
    pub fn origin_url(&self) -> Option<String> {
        let output = git_output(&self.top_level, ["remote", "get-url", "origin"]).ok()?;
        if !output.status.success() {
            return None;
        }
        let url = String::from_utf8(output.stdout).ok()?;
        let url = without_credentials(url.trim());
        (!url.is_empty()).then_some(url)
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
    F: FnMut(usize, Option<(u64, &mut dyn Read)>) -> io::Result<()>,
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
            [_, "missing"] => {
                visit(index, None)?;
                continue;
            }
            _ => return Err(bad(format!("expected a blob, got `{}`", header.trim_end()))),
        };
        let mut body = (&mut reader).take(size);
        visit(index, Some((size, &mut body)))?;
        io::copy(&mut body, &mut io::sink())?;
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline)?;
    }
    Ok(())
}

/// A remote URL without any `user:password@` (a token in a clone URL must
/// not reach a report).
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host_start = rest.find('/').unwrap_or(rest.len());
            match rest[..host_start].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// One commit as `git log` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The full object id.
    pub id: String,
    /// The id as short as git makes it while unambiguous here.
    pub short_id: String,
    pub author: String,
    /// Author date, strict ISO 8601 (`2026-11-03T10:00:00+01:00`).
    pub date: String,
}

/// What one commit did to one path, relative to its first parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The raw name, relative to the top level.
    pub path: Vec<u8>,
    /// What is at the path after the commit; `None` when it was deleted.
    pub object_id: Option<String>,
    pub kind: EntryKind,
}

/// A commit and the paths it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitChanges {
    pub commit: Commit,
    pub changes: Vec<Change>,
}

/// `git log -z --raw --format=%x01%H%x00%an%x00%aI`: each commit is
/// `\x01<id>\0<author>\0<date>\0`, then (after a newline) its
/// `:<old mode> <new mode> <old id> <new id> <status>\0<path>\0` records.
fn parse_log(stdout: &[u8]) -> Result<Vec<CommitChanges>, GitError> {
    let bad = |message: String| GitError::BadOutput {
        command: "log --raw".into(),
        message,
    };
    let mut fields = stdout.split(|&b| b == 0);
    let mut commits: Vec<CommitChanges> = Vec::new();
    while let Some(field) = fields.next() {
        let field = field.strip_prefix(b"\n").unwrap_or(field);
        if field.is_empty() {
            continue;
        }
        if let Some(id) = field.strip_prefix(b"\x01") {
            let mut text = || -> Result<String, GitError> {
                let field = fields
                    .next()
                    .ok_or_else(|| bad("a commit record ends early".into()))?;
                Ok(String::from_utf8_lossy(field).into_owned())
            };
            let id = String::from_utf8_lossy(id).into_owned();
            let commit = Commit {
                // `%h` would print the full id too (`--no-abbrev`, which
                // the raw records need); see `Repository::short_ids`.
                short_id: id.get(..7).unwrap_or(&id).to_string(),
                id,
                author: text()?,
                date: text()?,
            };
            commits.push(CommitChanges {
                commit,
                changes: Vec::new(),
            });
            continue;
        }
        let Some(meta) = field.strip_prefix(b":") else {
            return Err(bad(format!(
                "unexpected `{}`",
                String::from_utf8_lossy(field)
            )));
        };
        let meta = String::from_utf8_lossy(meta);
        let [_, new_mode, _, new_id, status] = meta.split(' ').collect::<Vec<_>>()[..] else {
            return Err(bad(format!("bad record `:{meta}`")));
        };
        let path = fields
            .next()
            .ok_or_else(|| bad(format!("record `:{meta}` has no path")))?;
        let commit = commits
            .last_mut()
            .ok_or_else(|| bad("a change before any commit".into()))?;
        let deleted = status.starts_with('D') || new_mode.bytes().all(|b| b == b'0');
        commit.changes.push(Change {
            path: path.to_vec(),
            object_id: (!deleted).then(|| new_id.to_string()),
            kind: entry_kind(new_mode),
        });
    }
    Ok(commits)
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

/// `<mode> <id> <stage>\t<path>\0` records of `ls-files --stage -z`.
fn parse_ls_files(stdout: &[u8]) -> Result<Vec<IndexEntry>, GitError> {
    // `<mode> <id> <stage>`; only stage 0: unmerged paths are not yet a
    // version of the file.
    parse_tab_records(stdout, "ls-files --stage", |meta| match meta[..] {
        [mode, id, stage] => Some((stage == "0").then_some((mode, id))),
        _ => None,
    })
}

/// `<mode> <type> <id>\t<path>\0` records of `ls-tree -r -z`.
fn parse_ls_tree(stdout: &[u8]) -> Result<Vec<IndexEntry>, GitError> {
    parse_tab_records(stdout, "ls-tree", |meta| match meta[..] {
        [mode, _kind, id] => Some(Some((mode, id))),
        _ => None,
    })
}

/// `<fields>\t<path>\0` records, the shape `ls-files --stage` and
/// `ls-tree` share. `fields` gets the space-separated fields and gives the
/// mode and object id, `Some(None)` to leave the record out, or `None`
/// when the fields are not what `command` prints.
fn parse_tab_records<'s>(
    stdout: &'s [u8],
    command: &str,
    fields: impl Fn(Vec<&'s str>) -> Option<Option<(&'s str, &'s str)>>,
) -> Result<Vec<IndexEntry>, GitError> {
    let mut entries = Vec::new();
    for record in stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let bad = || GitError::BadOutput {
            command: command.into(),
            message: format!("bad record `{}`", String::from_utf8_lossy(record)),
        };
        let tab = record.iter().position(|&b| b == b'\t').ok_or_else(bad)?;
        let meta = std::str::from_utf8(&record[..tab]).map_err(|_| bad())?;
        let Some((mode, id)) = fields(meta.split(' ').collect()).ok_or_else(bad)? else {
            continue;
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
pub(crate) mod tests {
    use super::*;

    /// Runs git in `dir` for a test's set-up; fails the test if git does.
    pub(crate) fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

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
        read_batch(output.as_bytes(), &[ID_A, ID_B], &mut |i, blob| {
            let (size, body) = blob.expect("present");
            let mut text = String::new();
            body.read_to_string(&mut text)?;
            seen.push((i, size, text));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [(0, 5, "hello".to_string()), (1, 0, String::new())]);

        // A missing object (a partial clone's) is reported, and the blobs
        // after it still read.
        let missing = format!("{ID_A} missing\n{ID_B} blob 2\nhi\n");
        let mut seen = Vec::new();
        read_batch(missing.as_bytes(), &[ID_A, ID_B], &mut |i, blob| {
            seen.push((i, blob.map(|(size, _)| size)));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, [(0, None), (1, Some(2))]);

        let tree = format!("{ID_A} tree 0\n\n");
        let result = read_batch(tree.as_bytes(), &[ID_A], &mut |_, _| Ok(()));
        assert!(matches!(result, Err(GitError::BadOutput { .. })));
    }

    #[test]
    fn remote_urls_lose_their_credentials() {
        assert_eq!(
            without_credentials("https://x-access-token:ghs_abc@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            without_credentials("https://github.com/o/r"),
            "https://github.com/o/r"
        );
        assert_eq!(
            without_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
    }

    #[test]
    fn log_records_split_into_commits_and_changes() {
        let mut raw = Vec::new();
        raw.extend_from_slice(
            format!("\x01{ID_A}\0Ann\x002026-11-03T10:00:00+01:00\0\n").as_bytes(),
        );
        raw.extend_from_slice(format!(":000000 100644 {ZERO} {ID_B} A\0").as_bytes());
        raw.extend_from_slice(b"a b\xff.env\0");
        raw.extend_from_slice(format!(":000000 160000 {ZERO} {ID_B} A\0sub\0").as_bytes());
        // A commit that changed nothing (an empty commit), then a deletion.
        raw.extend_from_slice(format!("\x01{ID_B}\0Bo\x002026-11-04T00:00:00Z\0").as_bytes());
        raw.extend_from_slice(format!("\x01{ZERO}\0Cy\x002026-11-05T00:00:00Z\0\n").as_bytes());
        raw.extend_from_slice(format!(":100644 000000 {ID_B} {ZERO} D\0").as_bytes());
        raw.extend_from_slice(b"a b\xff.env\0");
        let commits = parse_log(&raw).unwrap();
        assert_eq!(commits.len(), 3);
        assert_eq!(commits[0].commit.id, ID_A);
        assert_eq!(commits[0].commit.short_id, &ID_A[..7]);
        assert_eq!(commits[0].commit.author, "Ann");
        assert_eq!(commits[0].commit.date, "2026-11-03T10:00:00+01:00");
        let first: Vec<(&[u8], Option<&str>, EntryKind)> = commits[0]
            .changes
            .iter()
            .map(|c| (c.path.as_slice(), c.object_id.as_deref(), c.kind))
            .collect();
        assert_eq!(
            first,
            [
                (&b"a b\xff.env"[..], Some(ID_B), EntryKind::File),
                (&b"sub"[..], Some(ID_B), EntryKind::Submodule),
            ]
        );
        assert!(commits[1].changes.is_empty());
        assert_eq!(commits[2].changes[0].object_id, None);
        assert!(parse_log(b"garbage\0").is_err());
        assert!(parse_log(format!("\x01{ID_A}\0").as_bytes()).is_err());
    }
}
