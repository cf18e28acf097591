//! Whether one path is excluded by ignore files or `--exclude` globs, for
//! paths katscan does not reach by walking a directory: paths named on the
//! command line with `--force-exclude`, and staged files.
//!
//! The answer is the one a directory walk would give (ignore crate
//! semantics, as in ripgrep): a path is excluded when it, or any directory
//! above it, matches. For each candidate the nearest ignore file with a
//! matching pattern decides, and the kinds rank `--exclude`, then
//! `.katscanignore`, then `.ignore`, then `.gitignore` (only inside a git
//! repository, up to its top level), then `.git/info/exclude`, then git's
//! global excludes file.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::overrides::{Override, OverrideBuilder};

use crate::input;
use crate::paths::lexical_absolute;
use crate::walk::IGNORE_FILE_NAME;

/// Which rules apply.
#[derive(Debug, Clone, Default)]
pub struct ExcludeOptions {
    /// Read `.katscanignore` and `.ignore`.
    pub ignore_files: bool,
    /// Also read `.gitignore`, `.git/info/exclude` and global excludes.
    pub git_ignore_files: bool,
    /// Gitignore-style globs, relative to `exclude_root`.
    pub excludes: Vec<String>,
    /// Absolute directory the `excludes` globs are relative to.
    pub exclude_root: PathBuf,
}

/// An ignore file or `--exclude` glob that could not be fully parsed. The
/// valid lines still apply, as in a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadIgnoreRule {
    pub path: String,
    pub message: String,
}

/// Answers "is this path excluded?", reading each directory's ignore files
/// at most once.
#[derive(Debug)]
pub struct Excluder {
    options: ExcludeOptions,
    excludes: Gitignore,
    global: Option<Gitignore>,
    dirs: HashMap<PathBuf, DirRules>,
    problems: Vec<BadIgnoreRule>,
    /// See [`Excluder::confine_links_to`].
    scan_roots: Vec<PathBuf>,
    /// Read `.ignore` (with `ignore_files`).
    dot_ignore: bool,
}

/// The ignore files of one directory.
#[derive(Debug, Default)]
struct DirRules {
    katscan: Option<Gitignore>,
    dot_ignore: Option<Gitignore>,
    git_ignore: Option<Gitignore>,
    /// `.git/info/exclude`, present only when this directory is a git
    /// repository's top level.
    git_exclude: Option<Gitignore>,
    is_git_top: bool,
}

/// An `--exclude` glob that cannot be compiled: a usage error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid --exclude glob `{glob}`: {message}")]
pub struct BadExcludeGlob {
    pub glob: String,
    pub message: String,
}

/// `--exclude` globs compiled as a walk applies them (ignore's overrides,
/// relative to the walk's current directory). Every command checks its
/// globs here, so `scan` and `staged` accept and reject the same ones.
pub fn exclude_overrides(globs: &[String]) -> Result<Override, BadExcludeGlob> {
    let mut overrides = OverrideBuilder::new(".");
    for glob in globs {
        // `!` makes an override exclude instead of include.
        overrides
            .add(&format!("!{glob}"))
            .map_err(|error| BadExcludeGlob {
                glob: glob.clone(),
                message: glob_error_reason(&error),
            })?;
    }
    overrides.build().map_err(|error| BadExcludeGlob {
        glob: globs.join(", "),
        message: error.to_string(),
    })
}

/// Why a glob is invalid, without the glob: ignore's message quotes the
/// override built (`!{glob}`), not what the user wrote, which
/// [`BadExcludeGlob`] quotes instead.
fn glob_error_reason(error: &ignore::Error) -> String {
    match error {
        ignore::Error::Glob { err, .. } => err.clone(),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => glob_error_reason(err),
        other => other.to_string(),
    }
}

impl Excluder {
    /// Fails on an invalid `--exclude` glob, which is a usage error.
    pub fn new(options: ExcludeOptions) -> Result<Self, BadExcludeGlob> {
        exclude_overrides(&options.excludes)?;
        // Matched as gitignore lines below `exclude_root`: paths here are
        // absolute, and a walk's overrides match paths as walked.
        let mut builder = GitignoreBuilder::new(&options.exclude_root);
        for glob in &options.excludes {
            builder
                .add_line(None, glob)
                .map_err(|error| BadExcludeGlob {
                    glob: glob.clone(),
                    message: glob_error_reason(&error),
                })?;
        }
        let excludes = builder.build().map_err(|error| BadExcludeGlob {
            glob: options.excludes.join(", "),
            message: error.to_string(),
        })?;
        Ok(Excluder {
            options,
            excludes,
            global: None,
            dirs: HashMap::new(),
            problems: Vec::new(),
            scan_roots: Vec::new(),
            dot_ignore: true,
        })
    }

    /// Ignore files that had invalid lines, seen so far.
    pub fn problems(&self) -> &[BadIgnoreRule] {
        &self.problems
    }

    /// Whether `path` (absolute, or relative to `exclude_root`, which is
    /// the current directory a walk's paths are relative to) or a
    /// directory above it is excluded. `is_dir` describes `path` itself.
    pub fn is_excluded(&mut self, path: &Path, is_dir: bool) -> bool {
        let path = lexical_absolute(&self.options.exclude_root, path);
        let ancestors: Vec<&Path> = path.ancestors().collect();
        // Top-down, like a walk: an excluded directory hides everything
        // below it, whatever a deeper ignore file says.
        for (depth, candidate) in ancestors.iter().enumerate().rev() {
            if candidate.parent().is_none() {
                continue; // the filesystem root
            }
            let candidate_is_dir = depth > 0 || is_dir;
            if self.matches(candidate, &ancestors[depth + 1..], candidate_is_dir) {
                return true;
            }
        }
        false
    }

    /// Whether `candidate` itself matches; `dirs` are the directories above
    /// it, nearest first.
    fn matches(&mut self, candidate: &Path, dirs: &[&Path], is_dir: bool) -> bool {
        // `--exclude` globs describe paths below their root; `--exclude tmp`
        // must not match the `/tmp` a repository happens to live in.
        let below_root = candidate
            .strip_prefix(&self.options.exclude_root)
            .is_ok_and(|rest| !rest.as_os_str().is_empty());
        if below_root && self.excludes.matched(candidate, is_dir).is_ignore() {
            return true;
        }
        if !self.options.ignore_files {
            return false;
        }
        for dir in dirs {
            self.load(dir);
        }
        let rules: Vec<&DirRules> = dirs.iter().map(|dir| &self.dirs[*dir]).collect();
        let first = |pick: fn(&DirRules) -> Option<&Gitignore>, within: &[&DirRules]| {
            first_match(within.iter().filter_map(|r| pick(r)), candidate, is_dir)
        };
        let mut decision = first(|r| r.katscan.as_ref(), &rules);
        if decision.is_none() {
            decision = first(|r| r.dot_ignore.as_ref(), &rules);
        }
        if decision.is_none() && self.options.git_ignore_files {
            // .gitignore files count only inside the repository.
            if let Some(top) = rules.iter().position(|r| r.is_git_top) {
                let inside = &rules[..=top];
                decision = first(|r| r.git_ignore.as_ref(), inside);
                if decision.is_none() {
                    decision = first(|r| r.git_exclude.as_ref(), inside);
                }
                if decision.is_none() {
                    let global = self
                        .global
                        .get_or_insert_with(|| GitignoreBuilder::new(dirs[top]).build_global().0);
                    decision = first_match([&*global].into_iter(), candidate, is_dir);
                }
            }
        }
        decision.is_ignore()
    }

    fn load(&mut self, dir: &Path) {
        if self.dirs.contains_key(dir) {
            return;
        }
        let mut rules = DirRules::default();
        if self.options.ignore_files {
            rules.katscan = self.read(dir, &dir.join(IGNORE_FILE_NAME));
            if self.dot_ignore {
                rules.dot_ignore = self.read(dir, &dir.join(".ignore"));
            }
        }
        if self.options.git_ignore_files {
            rules.git_ignore = self.read(dir, &dir.join(".gitignore"));
            let dot_git = dir.join(".git");
            if dot_git.exists() {
                rules.is_git_top = true;
                if let Some(common) = git_common_dir(&dot_git) {
                    rules.git_exclude = self.read(dir, &common.join("info").join("exclude"));
                }
            }
        }
        self.dirs.insert(dir.to_path_buf(), rules);
    }

    /// The matcher of one ignore file rooted at `dir`, or `None` when the
    /// file does not exist, has no patterns, or is not read: ignore files
    /// come from the repository, so one that is not a regular file, is
    /// larger than [`input::IGNORE_FILE_CAP`] or is a symbolic link leading
    /// out of the repository is recorded as a problem and set aside (which
    /// excludes less, never more). Lines are parsed as the ignore crate's
    /// `GitignoreBuilder::add` does, from a capped read.
    fn read(&mut self, dir: &Path, file: &Path) -> Option<Gitignore> {
        let scan_roots = &self.scan_roots;
        let allowed = input::check_repository_file(
            file,
            || input::boundary_of(dir, scan_roots),
            input::IGNORE_FILE_CAP,
        )
        .and_then(|exists| {
            exists
                .then(|| input::read_capped(file, input::IGNORE_FILE_CAP))
                .transpose()
        });
        let bytes = match allowed {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(error) if error.is_not_found() => return None,
            Err(error) => {
                self.problems.push(BadIgnoreRule {
                    path: file.display().to_string(),
                    message: format!("not read: {error}; its patterns do not apply"),
                });
                return None;
            }
        };
        let mut builder = GitignoreBuilder::new(dir);
        if let Some(error) = add_lines(&mut builder, file, &bytes) {
            self.problems.push(BadIgnoreRule {
                path: file.display().to_string(),
                message: error.to_string(),
            });
        }
        let gitignore = builder.build().ok()?;
        (!gitignore.is_empty()).then_some(gitignore)
    }
}

/// Adds the lines of an ignore file's text to `builder` as
/// `GitignoreBuilder::add` would (lines split at `\n`, a trailing `\r`
/// dropped, a leading byte order mark dropped, a line that is not UTF-8
/// skipped), and returns the errors it would.
fn add_lines(builder: &mut GitignoreBuilder, file: &Path, bytes: &[u8]) -> Option<ignore::Error> {
    let mut errors = Vec::new();
    let tagged = |line: usize, err: ignore::Error| ignore::Error::WithPath {
        path: file.to_path_buf(),
        err: Box::new(ignore::Error::WithLineNumber {
            line: line as u64,
            err: Box::new(err),
        }),
    };
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return None;
    }
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(line) = std::str::from_utf8(line) else {
            errors.push(tagged(
                index + 1,
                ignore::Error::Io(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                )),
            ));
            continue;
        };
        let line = if index == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        if let Err(error) = builder.add_line(Some(file.to_path_buf()), line) {
            errors.push(tagged(index + 1, error));
        }
    }
    match errors.len() {
        0 => None,
        1 => errors.pop(),
        _ => Some(ignore::Error::Partial(errors)),
    }
}

impl Excluder {
    /// Symbolic-linked ignore files outside a git repository may lead only
    /// within the scan root holding them (absolute, links resolved); by
    /// default, within their own directory.
    pub fn confine_links_to(mut self, scan_roots: Vec<PathBuf>) -> Self {
        self.scan_roots = scan_roots;
        self
    }

    /// Sets `.ignore` files aside (a walk of build output reads only
    /// `.katscanignore`).
    pub fn without_dot_ignore(mut self) -> Self {
        self.dot_ignore = false;
        self
    }
}

/// The decision of the first matcher with a matching pattern.
fn first_match<'g>(
    matchers: impl Iterator<Item = &'g Gitignore>,
    candidate: &Path,
    is_dir: bool,
) -> Match<()> {
    for matcher in matchers {
        match matcher.matched(candidate, is_dir) {
            Match::None => {}
            Match::Ignore(_) => return Match::Ignore(()),
            Match::Whitelist(_) => return Match::Whitelist(()),
        }
    }
    Match::None
}

/// Cap on git's one-line pointer files (`.git` in a worktree, `commondir`).
const GIT_FILE_CAP: u64 = 64 * 1024;

/// The git directory holding `info/exclude`: `.git` itself, or for a
/// linked worktree (a `.git` file) the main repository's directory.
fn git_common_dir(dot_git: &Path) -> Option<PathBuf> {
    if dot_git.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    // A `.git` file holds one line; it is not read whatever it is.
    let text = input::read_capped_text(dot_git, GIT_FILE_CAP).ok()?;
    let git_dir = text.trim().strip_prefix("gitdir:")?.trim();
    let git_dir = dot_git.parent()?.join(git_dir);
    match input::read_capped_text(&git_dir.join("commondir"), GIT_FILE_CAP) {
        Ok(common) => Some(git_dir.join(common.trim())),
        Err(_) => Some(git_dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, relative: &str, contents: &str) {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }

    fn excluder(root: &Path, excludes: &[&str], git: bool) -> Excluder {
        Excluder::new(ExcludeOptions {
            ignore_files: true,
            git_ignore_files: git,
            excludes: excludes.iter().map(|s| s.to_string()).collect(),
            exclude_root: root.to_path_buf(),
        })
        .unwrap()
    }

    #[test]
    fn ignored_directories_hide_everything_below_them() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        write(root, IGNORE_FILE_NAME, "/fixtures/\n*.snap\n");
        // A deeper whitelist cannot rescue a file under an ignored directory.
        write(root, "fixtures/sub/.ignore", "!keep.js\n");
        let mut excluder = excluder(root, &[], false);
        assert!(excluder.is_excluded(&root.join("fixtures/sub/keep.js"), false));
        assert!(excluder.is_excluded(&root.join("fixtures"), true));
        assert!(excluder.is_excluded(&root.join("src/x.snap"), false));
        assert!(!excluder.is_excluded(&root.join("src/x.js"), false));
        // `/fixtures/` is anchored to the ignore file's directory.
        assert!(!excluder.is_excluded(&root.join("src/fixtures/x.js"), false));
    }

    #[test]
    fn nearest_ignore_file_wins_and_katscanignore_outranks_dot_ignore() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        write(root, ".ignore", "*.log\n");
        write(root, "logs/.ignore", "!keep.log\n");
        write(root, "other/.katscanignore", "!*.log\n");
        write(root, "other/deep/.ignore", "*.log\n");
        let mut excluder = excluder(root, &[], false);
        assert!(excluder.is_excluded(&root.join("a.log"), false));
        assert!(!excluder.is_excluded(&root.join("logs/keep.log"), false));
        assert!(excluder.is_excluded(&root.join("logs/other.log"), false));
        assert!(!excluder.is_excluded(&root.join("other/deep/x.log"), false));
    }

    #[test]
    fn gitignore_applies_only_when_asked_and_inside_a_repository() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        write(root, ".gitignore", "*.env\n");
        write(root, "repo/.gitignore", "dist/\n");
        fs::create_dir_all(root.join("repo/.git/info")).unwrap();
        write(root, "repo/.git/info/exclude", "local.txt\n");
        let mut with_git = excluder(root, &[], true);
        assert!(with_git.is_excluded(&root.join("repo/dist/app.js"), false));
        assert!(with_git.is_excluded(&root.join("repo/local.txt"), false));
        // The .gitignore above the repository's top level is not its own.
        assert!(!with_git.is_excluded(&root.join("repo/prod.env"), false));
        let mut without_git = excluder(root, &[], false);
        assert!(!without_git.is_excluded(&root.join("repo/dist/app.js"), false));
    }

    #[test]
    fn exclude_globs_match_paths_and_their_directories() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        let mut excluder = excluder(root, &["vendor", "*.min.js"], false);
        assert!(excluder.is_excluded(&root.join("vendor/lib/a.js"), false));
        assert!(excluder.is_excluded(&root.join("web/app.min.js"), false));
        assert!(!excluder.is_excluded(&root.join("web/app.js"), false));
        assert!(excluder.is_excluded(&root.join("web/../vendor/b.js"), false));

        // A glob naming a directory above the root does not exclude the root.
        let above = root
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let mut named_above = self::excluder(root, &[above], false);
        assert!(!named_above.is_excluded(&root.join("src/a.js"), false));
        assert!(named_above.is_excluded(&root.join(format!("src/{above}/a.js")), false));
    }

    #[cfg(unix)]
    #[test]
    fn hostile_ignore_files_are_not_read_and_are_recorded() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::TempDir::new().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(root.join(".git")).unwrap();
        write(&root, "team-ignore", "*.log\n");
        write(&root, "a/x.log", "");
        symlink("../team-ignore", root.join("a/.katscanignore")).unwrap();
        write(&root, "b/x.log", "");
        symlink("/dev/zero", root.join("b/.katscanignore")).unwrap();
        write(&root, "c/x.log", "");
        symlink("/proc/self/environ", root.join("c/.ignore")).unwrap();
        write(&root, "d/x.log", "");
        write(&root, "d/.ignore", "*.log\n# \u{1F600}\r\nbad{\n");

        let mut excluder = excluder(&root, &[], true);
        // A link inside the repository is read; lines as the crate reads them.
        assert!(excluder.is_excluded(&root.join("a/x.log"), false));
        assert!(excluder.is_excluded(&root.join("d/x.log"), false));
        // Links leading out are not: nothing is excluded by them.
        assert!(!excluder.is_excluded(&root.join("b/x.log"), false));
        assert!(!excluder.is_excluded(&root.join("c/x.log"), false));
        let mut problems: Vec<(String, &str)> = excluder
            .problems()
            .iter()
            .map(|p| {
                let path = Path::new(&p.path).strip_prefix(&root).unwrap();
                (path.display().to_string(), p.message.as_str())
            })
            .collect();
        problems.sort();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].0 == "b/.katscanignore" && problems[0].1.starts_with("not read: "));
        assert!(problems[1].0 == "c/.ignore" && problems[1].1.starts_with("not read: "));
        assert!(
            problems[2].0 == "d/.ignore" && problems[2].1.contains("line 3"),
            "{problems:?}"
        );
    }
}
